import { createHmac, hash, timingSafeEqual } from 'node:crypto';
import { sha256 } from '../digest.ts';
import type { Catalog } from '../catalog/types.ts';
import { badQuery } from '../errors.ts';

/**
 * Server-driven paging: `$skiptoken` is opaque to clients, signed with HMAC-SHA256, and
 * bound to the tenant and to the query (every other option), so it can be neither forged,
 * edited, replayed by another tenant, nor reused for another query.
 */
interface TokenBody {
  /** Rows of this query already sent. */
  readonly o: number;
  /** Hash of the entity set and the query options other than $skiptoken and the key. */
  readonly q: string;
  /** The tenant it was issued to (`*` for an admin across tenants). */
  readonly t: string;
}

const secrets = new WeakMap<Catalog, Buffer>();

/** The signing secret: configured, or derived from the keys' hashes (the same on every replica). */
export function tokenSecret(catalog: Catalog): Buffer {
  let s = secrets.get(catalog);
  if (!s) {
    const configured = process.env.SEMGATE_ODATA_SECRET ?? catalog.settings.odata.skiptokenSecret;
    const material = configured ?? `semgate-skiptoken:${catalog.apiKeys.digestMaterial()}`;
    s = sha256(material);
    secrets.set(catalog, s);
  }
  return s;
}

/** The query options that define the query: all but the page's token and the key itself. */
export function queryDefining(params: URLSearchParams, keyParam: string | null): [string, string][] {
  return [...params].filter(([k]) => k !== '$skiptoken' && k !== 'skiptoken' && k !== keyParam);
}

/** What identifies "the same query" across pages. */
export function queryHash(entitySet: string, params: URLSearchParams, keyParam: string | null): string {
  const kept = queryDefining(params, keyParam).sort(([a, x], [b, y]) => (a === b ? x.localeCompare(y) : a.localeCompare(b)));
  return hash('sha256', JSON.stringify([entitySet, kept]), 'base64url').slice(0, 22);
}

export function signToken(secret: Buffer, body: TokenBody): string {
  const payload = Buffer.from(JSON.stringify(body)).toString('base64url');
  const mac = createHmac('sha256', secret).update(payload).digest('base64url');
  return `${payload}.${mac}`;
}

const invalid = (): never => {
  throw badQuery('invalid_skiptoken', 'The $skiptoken is not valid for this query and key: start again from the first page.', { field: '$skiptoken' });
};

/** The offset a token stands for, if its signature, tenant and query all match. */
export function readToken(secret: Buffer, token: string, expect: { q: string; t: string }): number {
  const [payload, mac, extra] = token.split('.');
  if (!payload || !mac || extra !== undefined || token.length > 512) return invalid();
  const want = createHmac('sha256', secret).update(payload).digest();
  const got = Buffer.from(mac, 'base64url');
  if (got.length !== want.length || !timingSafeEqual(got, want)) return invalid();
  let body: TokenBody;
  try {
    body = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as TokenBody;
  } catch {
    return invalid();
  }
  if (body.q !== expect.q || body.t !== expect.t || !Number.isSafeInteger(body.o) || body.o < 0) return invalid();
  return body.o;
}
