/**
 * What an admin may ask for: a new store key (`POST /v1/admin/keys`, `semgate keys create`)
 * and a guest token (`POST /v1/admin/guest-tokens`). Untrusted bodies are checked against
 * the catalog here, once for the HTTP API and the CLI; a mistake is a 400 naming the field.
 */
import { randomBytes } from 'node:crypto';
import { SignJWT } from 'jose';
import { parseExpiry } from '../catalog/rules.ts';
import { TENANT_ID_PATTERN, type Catalog, type GuestTokenSettings } from '../catalog/types.ts';
import { badQuery, GatewayError } from '../errors.ts';
import { isJsonObject, notAnObject, parseSemanticQuery } from '../query/parse.ts';
import { datasetVisible } from '../query/plan.ts';
import { tokenConditions } from '../query/token-filters.ts';
import type { Principal, QueryFilter } from '../query/types.ts';
import { didYouMeanOrList } from '../suggest.ts';
import type { NewKey } from './key-store.ts';
import { GUEST_ISSUER, idOf } from './tokens.ts';

const ROLE = /^[a-z][a-z0-9_]*$/;
const RATE = /^\d+\/(second|minute|hour)$/;
type Body = Record<string, unknown>;

const invalid = (field: string, message: string): GatewayError => badQuery('invalid', message, { field });

function objectBody(body: unknown, allowed: readonly string[]): Body {
  if (!isJsonObject(body)) throw invalid('', notAnObject(body, 'The body', allowed.join(', ')));
  for (const k of Object.keys(body)) {
    if (!allowed.includes(k)) throw invalid(k.slice(0, 40), `Unknown field '${k.slice(0, 40)}'. Allowed: ${allowed.join(', ')}.`);
  }
  return body as Body;
}

function tenantOf(b: Body, catalog: Catalog): string {
  const t = b['tenant'];
  if (typeof t !== 'string' || !TENANT_ID_PATTERN.test(t)) throw invalid('tenant', '`tenant` is required: 1 to 64 letters, digits, _ or -.');
  const other = fileTenants(catalog).get(t.toLowerCase());
  if (other !== undefined && other !== t) throw tenantCaseConflict(t, other);
  return t;
}

const tenantsOfFile = new WeakMap<Catalog, ReadonlyMap<string, string>>();

/** The tenant ids of api-keys.yaml by their lowercase form (worked out once per catalog). */
function fileTenants(catalog: Catalog): ReadonlyMap<string, string> {
  let m = tenantsOfFile.get(catalog);
  if (!m) {
    const ids = new Map<string, string>();
    for (const id of catalog.tenants.keys()) ids.set(id.toLowerCase(), id);
    for (const k of catalog.apiKeys) if (k.tenant !== null) ids.set(k.tenant.toLowerCase(), k.tenant);
    m = ids;
    tenantsOfFile.set(catalog, m);
  }
  return m;
}

export function tenantCaseConflict(tenant: string, other: string): GatewayError {
  return new GatewayError('auth.tenant_case_conflict', 409,
    `Tenant '${tenant}' differs only by case from the existing tenant '${other}': use that spelling (tenant ids must differ by more than case).`, { field: 'tenant' });
}

function roleOf(b: Body, fallback: string | null): string {
  const r = b['role'] ?? fallback;
  if (typeof r !== 'string' || !ROLE.test(r)) throw invalid('role', '`role` is required: a role name such as analyst or viewer.');
  if (r === 'admin') throw invalid('role', 'Admin keys are configured in api-keys.yaml; keys and tokens made here are for one tenant.');
  return r;
}

function datasetsOf(b: Body, name: string, catalog: Catalog, role: string): string[] | null {
  const list = b[name];
  if (list === undefined) return null;
  if (!Array.isArray(list) || list.length === 0 || !list.every((d) => typeof d === 'string') || new Set(list).size !== list.length) {
    throw invalid(name, `\`${name}\` is a list of distinct dataset names (leave it out for every dataset the role may see).`);
  }
  const viewer: Principal = { keyId: 'provision', tenant: 'provision', role, isAdmin: false, allowedDatasets: null };
  list.forEach((d: string, i) => {
    const ds = catalog.datasets.get(d);
    if (!ds) throw invalid(`${name}[${i}]`, `There is no dataset '${d}'.${didYouMeanOrList(d, [...catalog.datasets.keys()], 'Datasets')}`);
    if (!datasetVisible(ds, viewer)) throw invalid(`${name}[${i}]`, `Role '${role}' may not query dataset '${d}'.`);
  });
  return list as string[];
}

/** A new store key's settings from an admin's body. */
export function checkNewKey(catalog: Catalog, body: unknown, now = new Date()): NewKey {
  const b = objectBody(body, ['tenant', 'role', 'expires_at', 'rate_limit', 'allowed_datasets', 'description']);
  const tenant = tenantOf(b, catalog);
  const role = roleOf(b, null);
  let expiresAt: Date | null = null;
  if (b['expires_at'] !== undefined && b['expires_at'] !== null) {
    expiresAt = typeof b['expires_at'] === 'string' ? parseExpiry(b['expires_at']) : null;
    if (!expiresAt) throw invalid('expires_at', '`expires_at` is an ISO 8601 date or date-time, for example 2027-01-31T00:00:00Z.');
    if (expiresAt.getTime() <= now.getTime()) throw invalid('expires_at', '`expires_at` is in the past.');
  }
  const rate = b['rate_limit'];
  if (rate !== undefined && (typeof rate !== 'string' || !RATE.test(rate))) throw invalid('rate_limit', '`rate_limit` looks like `100/minute` (second, minute or hour).');
  const description = b['description'];
  if (description !== undefined && (typeof description !== 'string' || description.length > 500)) throw invalid('description', '`description` is text of at most 500 characters.');
  return {
    tenant, role, expiresAt, rateLimit: (rate as string | undefined) ?? null,
    allowedDatasets: datasetsOf(b, 'allowed_datasets', catalog, role), description: (description as string | undefined) ?? null,
  };
}

/** A guest token for embedding: tenant, role, and optional dataset allow-list and row filters. */
export async function mintGuestToken(settings: GuestTokenSettings, catalog: Catalog, body: unknown, now = new Date()): Promise<{ token: string; expires_at: string; id: string }> {
  const b = objectBody(body, ['tenant', 'role', 'datasets', 'filters', 'ttl']);
  const tenant = tenantOf(b, catalog);
  const role = roleOf(b, 'viewer');
  const datasets = datasetsOf(b, 'datasets', catalog, role);
  let filters: QueryFilter[] | null = null;
  if (b['filters'] !== undefined) {
    try {
      filters = parseSemanticQuery({ dataset: 'token', metrics: ['token'], filters: b['filters'] }).filters ?? [];
    } catch (err) {
      throw invalid((err as GatewayError).field ?? 'filters', (err as Error).message);
    }
    // Each listed dataset must take every filter, or the token could never query it.
    const principal: Principal = { keyId: 'provision', tenant, role, isAdmin: false, allowedDatasets: datasets, filters };
    for (const name of datasets ?? []) tokenConditionsOrInvalid(catalog, name, principal);
  }
  const ttl = b['ttl'] ?? settings.ttlSeconds;
  if (typeof ttl !== 'number' || !Number.isInteger(ttl) || ttl < 1 || ttl > settings.maxTtlSeconds) {
    throw invalid('ttl', `\`ttl\` is a whole number of seconds from 1 to ${settings.maxTtlSeconds} (guest_tokens.max_ttl).`);
  }
  const jti = randomBytes(16).toString('base64url');
  const iat = Math.floor(now.getTime() / 1000);
  const token = await new SignJWT({ tenant, role, ...(datasets && { datasets }), ...(filters && { filters }) })
    .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
    .setIssuer(GUEST_ISSUER).setAudience(GUEST_ISSUER).setJti(jti).setIssuedAt(iat).setExpirationTime(iat + ttl)
    .sign(new TextEncoder().encode(settings.secret));
  return { token, expires_at: new Date((iat + ttl) * 1000).toISOString(), id: idOf('g_', jti) };
}

function tokenConditionsOrInvalid(catalog: Catalog, name: string, principal: Principal): void {
  try {
    tokenConditions(catalog, catalog.datasets.get(name)!, principal);
  } catch (err) {
    throw invalid('filters', (err as Error).message);
  }
}

