/**
 * The admin operations on keys, once for the HTTP API (`/v1/admin/keys`) and the CLI
 * (`semgate keys ...`): what each refuses (404, 409, 503) is decided here.
 */
import type { ApiKey, Catalog } from '../catalog/types.ts';
import { GatewayError } from '../errors.ts';
import { storeUnavailable, type CreatedKey, type KeyInfo, type KeyStore } from './key-store.ts';
import { checkNewKey, tenantCaseConflict } from './provision.ts';

export const KEY_ID = /^k_[0-9a-f]{12}$/;
export const MAX_GRACE_SECONDS = 30 * 86400;

/** A failure of the store's database is a 503 the admin's tooling can retry, not a 500. */
async function onStore<T>(run: () => Promise<T>): Promise<T> {
  try {
    return await run();
  } catch (err) {
    throw err instanceof GatewayError ? err : storeUnavailable(err);
  }
}

export function requireStore(store: KeyStore | null): KeyStore {
  if (!store) {
    throw new GatewayError('auth.no_key_store', 409, 'This gateway has no key store: configure `key_store:` in api-keys.yaml, or add keys to the file (`semgate keys create` prints an entry).');
  }
  return store;
}

/** A key of api-keys.yaml as the list shows it: no secret, no digest. */
export function infoOfFileKey(k: ApiKey): KeyInfo {
  return {
    id: k.id, tenant: k.tenant, role: k.role, source: 'file', created_at: null, expires_at: k.expiresAt?.toISOString() ?? null,
    last_used_at: null, revoked_at: null, enabled: k.enabled, rate_limit: k.rateLimit, allowed_datasets: k.allowedDatasets,
    description: k.description ?? null, replaced_by: null,
  };
}

function notInFile(catalog: Catalog, id: string): void {
  if (catalog.apiKeys.findId(id)) {
    throw new GatewayError('auth.key_in_file', 409, `Key ${id} is configured in api-keys.yaml: rotate or revoke it there (set \`expires_at\` or \`enabled: false\`, then reload).`);
  }
}

const noKey = (id: string): GatewayError => new GatewayError('http.not_found', 404, `There is no key ${id} in the key store.`);

export async function createStoreKey(catalog: Catalog, store: KeyStore | null, body: unknown): Promise<CreatedKey> {
  const s = requireStore(store);
  const request = checkNewKey(catalog, body);
  return onStore(async () => {
    const other = await s.sql.otherCase(request.tenant);
    if (other !== null) throw tenantCaseConflict(request.tenant, other);
    return s.create(request);
  });
}

export interface ListOptions {
  readonly tenant?: string;
  readonly source?: 'store' | 'file';
  readonly limit: number;
  readonly after?: string;
}

/** The file's keys first (on the first page), then the store's, paged by id. */
export async function listKeys(catalog: Catalog, store: KeyStore | null, o: ListOptions): Promise<{ keys: KeyInfo[]; next_after: string | null }> {
  const keys: KeyInfo[] = o.after !== undefined || o.source === 'store' ? []
    : [...catalog.apiKeys].filter((k) => o.tenant === undefined || k.tenant === o.tenant).map(infoOfFileKey);
  let nextAfter: string | null = null;
  if (store && o.source !== 'file') {
    const page = await onStore(() => store.sql.list({ ...(o.tenant !== undefined && { tenant: o.tenant }), ...(o.after !== undefined && { after: o.after }), limit: o.limit }));
    keys.push(...page);
    nextAfter = page.length === o.limit ? page[page.length - 1]!.id : null;
  }
  return { keys, next_after: nextAfter };
}

export async function rotateStoreKey(catalog: Catalog, store: KeyStore | null, id: string, graceSeconds: number): Promise<{ created: CreatedKey; old: KeyInfo }> {
  const s = requireStore(store);
  notInFile(catalog, id);
  const done = await onStore(() => s.rotate(id, graceSeconds));
  if (done) return done;
  const exists = await onStore(() => s.sql.byId(id));
  throw exists ? new GatewayError('auth.key_not_live', 409, `Key ${id} is revoked or expired: create a new key instead.`) : noKey(id);
}

export async function revokeStoreKey(catalog: Catalog, store: KeyStore | null, id: string): Promise<KeyInfo> {
  const s = requireStore(store);
  notInFile(catalog, id);
  const info = await onStore(() => s.revoke(id));
  if (!info) throw noKey(id);
  return info;
}
