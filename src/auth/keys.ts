import { hash } from 'node:crypto';
import { TENANT_ID_PATTERN, type ApiKey, type Catalog } from '../catalog/types.ts';
import { GatewayError, forbidden } from '../errors.ts';
import type { Principal } from '../query/types.ts';

/**
 * Finds keys by the SHA-256 of what the caller sent; only hashes are held. The lookup is a
 * map keyed by the hex digest: what a timing difference could tell an attacker is how much
 * of the digest of their own guess matched a stored one, which says nothing about a key
 * (that is why keys are looked up by digest, as GitHub and Stripe look up tokens).
 */
export class KeyIndex {
  private readonly byHash = new Map<string, ApiKey>();
  private readonly byId = new Map<string, ApiKey>();
  /** One frozen Principal per key, made once: the same for every request with that key. */
  private readonly principals = new Map<ApiKey, Principal>();
  constructor(keys: readonly ApiKey[]) {
    for (const k of keys) {
      this.byHash.set(k.hash.toString('hex'), k);
      this.byId.set(k.id, k);
      this.principals.set(k, Object.freeze({
        keyId: k.id,
        tenant: k.tenant,
        role: k.role,
        isAdmin: k.role === 'admin',
        allowedDatasets: k.allowedDatasets,
      }));
    }
  }

  /** The entry behind a principal (for its rate limit, explain flag, ...). */
  get(id: string): ApiKey | null {
    return this.byId.get(id) ?? null;
  }

  find(presented: string): ApiKey | null {
    // crypto.hash (one call, hex out) costs a fifth of createHash().update().digest().toString('hex').
    return this.byHash.get(hash('sha256', presented, 'hex')) ?? null;
  }

  principalOf(k: ApiKey): Principal {
    return this.principals.get(k)!;
  }
}

const unauthorized = (message: string): GatewayError =>
  new GatewayError('auth.unauthorized', 401, message, {
    headers: { 'WWW-Authenticate': 'Basic realm="semgate", Bearer' },
  });

/** Key -> Principal. Unknown, disabled and expired keys are all 401. */
export function principalForKey(index: KeyIndex, presented: string | null, now: Date = new Date()): Principal {
  if (!presented) throw unauthorized('An API key is required.');
  const k = index.find(presented);
  if (!k || !k.enabled) throw unauthorized('The API key is not valid.');
  if (k.expiresAt !== null && k.expiresAt.getTime() <= now.getTime()) throw unauthorized('The API key has expired.');
  return index.principalOf(k);
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
