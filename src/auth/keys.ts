import { hash } from 'node:crypto';
import type { KeyTable } from '../catalog/key-table.ts';
import { TENANT_ID_PATTERN, type ApiKey, type Catalog } from '../catalog/types.ts';
import { GatewayError, forbidden } from '../errors.ts';
import type { Principal } from '../query/types.ts';

/**
 * Finds the keys of api-keys.yaml by the SHA-256 of what the caller sent; only digests are
 * held (compactly, in the catalog's KeyTable). What a timing difference of the lookup could
 * tell an attacker is how much of the digest of their own guess matched a stored one, which
 * says nothing about a key (that is why keys are looked up by digest, as GitHub and Stripe
 * look up tokens).
 */
export class KeyIndex {
  /** One frozen Principal per key entry: the same for every request with that key. */
  private readonly principals = new WeakMap<ApiKey, Principal>();
  constructor(private readonly table: KeyTable) {}

  /** The entry behind a principal (for its rate limit, explain flag, ...). */
  get(id: string): ApiKey | null {
    return this.table.findId(id);
  }

  find(presented: string): ApiKey | null {
    // crypto.hash (one call) costs a fifth of createHash().update().digest().
    return this.findDigest(hash('sha256', presented, 'buffer'));
  }

  findDigest(digest: Buffer): ApiKey | null {
    return this.table.length === 0 ? null : this.table.findDigest(digest);
  }

  principalOf(k: ApiKey): Principal {
    let p = this.principals.get(k);
    if (!p) {
      p = principalOfKey(k);
      this.principals.set(k, p);
    }
    return p;
  }
}

/** The principal of a key entry (of the file or of the key store). */
export function principalOfKey(k: ApiKey): Principal {
  return Object.freeze({ keyId: k.id, tenant: k.tenant, role: k.role, isAdmin: k.role === 'admin', allowedDatasets: k.allowedDatasets });
}

export const unauthorized = (message: string): GatewayError =>
  new GatewayError('auth.unauthorized', 401, message, {
    headers: { 'WWW-Authenticate': 'Basic realm="semgate", Bearer' },
  });

/** Unknown, disabled and expired keys are all 401; the message says which only for expiry. */
export function checkKey(k: ApiKey | null, now: number): ApiKey {
  if (!k || !k.enabled) throw unauthorized('The API key is not valid.');
  if (k.expiresAt !== null && k.expiresAt.getTime() <= now) throw unauthorized('The API key has expired.');
  return k;
}

/** Key of api-keys.yaml -> Principal (the CLI, tests). Unknown, disabled and expired keys are all 401. */
export function principalForKey(index: KeyIndex, presented: string | null, now: Date = new Date()): Principal {
  if (!presented) throw unauthorized('An API key is required.');
  return index.principalOf(checkKey(index.find(presented), now.getTime()));
}

/**
 * An admin acting as one tenant (`X-Tenant-Id` over HTTP, `--tenant` on the command line):
 * only admin keys may, and only with a well-formed tenant id. `field` names where it came from.
 */
export function actAs(p: Principal, tenant: string, field: string): Principal {
  if (!p.isAdmin) throw forbidden('tenant_override', `Only admin keys may send ${field}.`, { field });
  if (!TENANT_ID_PATTERN.test(tenant)) {
    throw new GatewayError('query.invalid_tenant', 400, `${field} must match ^[A-Za-z0-9_-]{1,64}$.`, { field });
  }
  return Object.freeze({ ...p, tenant });
}

export function keyIndexFor(catalog: Catalog): KeyIndex {
  return new KeyIndex(catalog.apiKeys);
}
