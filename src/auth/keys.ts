import { createHash, timingSafeEqual } from 'node:crypto';
import type { ApiKey, Catalog } from '../catalog/types.ts';
import { GatewayError } from '../errors.ts';
import type { Principal } from '../query/types.ts';

export function sha256(text: string): Buffer {
  return createHash('sha256').update(text, 'utf8').digest();
}

/**
 * Finds keys by the SHA-256 of what the caller sent. Only hashes are held; the final
 * comparison is constant-time so a lookup leaks nothing about stored hashes.
 */
export class KeyIndex {
  private readonly byHash = new Map<string, ApiKey>();
  private readonly byId = new Map<string, ApiKey>();
  constructor(keys: readonly ApiKey[]) {
    for (const k of keys) {
      this.byHash.set(k.hash.toString('hex'), k);
      this.byId.set(k.id, k);
    }
  }

  /** The entry behind a principal (for its rate limit, explain flag, ...). */
  get(id: string): ApiKey | null {
    return this.byId.get(id) ?? null;
  }

  find(presented: string): ApiKey | null {
    const h = sha256(presented);
    const k = this.byHash.get(h.toString('hex'));
    return k && timingSafeEqual(k.hash, h) ? k : null;
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
  return Object.freeze({
    keyId: k.id,
    tenant: k.tenant,
    role: k.role,
    isAdmin: k.role === 'admin',
    allowedDatasets: k.allowedDatasets,
  });
}

export function keyIndexFor(catalog: Catalog): KeyIndex {
  return new KeyIndex(catalog.apiKeys);
}
