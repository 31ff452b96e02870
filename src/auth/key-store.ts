/**
 * Keys in a PostgreSQL table shared by every replica, looked up by digest on first use and
 * remembered for `cache_ttl` in bounded caches: found keys, and misses apart (so a flood of
 * bad keys costs one lookup per key per TTL and never pushes good keys out). Revocation and
 * rotation are published on Redis, when there is one, so every replica drops the key at once;
 * without Redis they take effect within `cache_ttl`.
 */
import { settledWithin } from '../timing.ts';
import { hash, randomBytes } from 'node:crypto';
import type { Redis } from 'ioredis';
import { LRUCache } from 'lru-cache';
import type { ApiKey, KeyStoreSettings, Source } from '../catalog/types.ts';
import { GatewayError } from '../errors.ts';
import { KeyTableSql, infoOfRow, type KeyInfo, type NewKey, type NewKeyRow } from './key-table-sql.ts';

export type { KeyInfo, NewKey } from './key-table-sql.ts';

/** A key just made: its plaintext is in this value only, never stored or logged. */
export interface CreatedKey {
  readonly key: string;
  readonly key_hash: string;
  readonly info: KeyInfo;
}

const RETRY_AFTER_SECONDS = '5';
const MISS = Symbol('miss');

export function storeUnavailable(cause: unknown): GatewayError {
  return new GatewayError('auth.key_store_unavailable', 503,
    'The key store is not reachable, so this key cannot be checked now. Retry shortly; keys in use keep working meanwhile.',
    { headers: { 'Retry-After': RETRY_AFTER_SECONDS }, cause });
}

/** A new random key: 256 bits, `sg_` so a leaked one is recognisable (secret scanners). */
export function newSecret(): { key: string; hash: Buffer; id: string } {
  const key = `sg_${randomBytes(32).toString('base64url')}`;
  const digest = hash('sha256', key, 'buffer');
  return { key, hash: digest, id: `k_${digest.toString('hex', 0, 6)}` };
}

export class KeyStore {
  readonly sql: KeyTableSql;
  /** Redis channel of this store's invalidations: per database and table. */
  readonly channel: string;
  private readonly found: LRUCache<string, ApiKey>;
  private readonly missing: LRUCache<string, typeof MISS>;
  private readonly inflight = new Map<string, Promise<ApiKey | null>>();
  /** Bumped by every invalidation: a lookup that started before one does not cache its answer. */
  private epoch = 0;
  private redis: Redis | null = null;
  private subscriber: Redis | null = null;
  private lookups = 0;

  constructor(readonly source: Source, readonly settings: KeyStoreSettings) {
    this.sql = new KeyTableSql(source, settings);
    this.channel = `sg:keys:${String(source.connection['database'] ?? '')}:${this.sql.table.replace(/"/g, '')}`;
    const ttl = settings.cacheTtlSeconds * 1000;
    this.found = new LRUCache({ max: settings.cacheMax, ttl });
    this.missing = new LRUCache({ max: Math.max(100, Math.floor(settings.cacheMax / 10)), ttl });
  }

  /** Whether a new configuration's store is this one (then it is kept across a reload). */
  sameAs(source: Source, settings: KeyStoreSettings): boolean {
    return JSON.stringify([source.connection, settings]) === JSON.stringify([this.source.connection, this.settings]);
  }

  /** Publishes invalidations on `redis` and listens for other replicas' (null: TTL only). */
  async attach(redis: Redis | null): Promise<void> {
    this.redis = redis;
    if (!redis || this.subscriber) return;
    // The gateway's client fails fast while Redis is away; the subscriber must instead wait
    // for its connection (a subscribe sent before it is lost), and ioredis re-subscribes it
    // after a reconnect. Invalidations sent meanwhile are missed: cache_ttl bounds that.
    // No command timeout (the gateway's client has one): a queued SUBSCRIBE waits for the connection.
    this.subscriber = redis.duplicate({ enableOfflineQueue: true, maxRetriesPerRequest: null, commandTimeout: undefined });
    this.subscriber.on('error', () => undefined);
    this.subscriber.on('message', (channel: string, digest: string) => {
      if (channel === this.channel) this.forget(digest);
    });
    // Waited for briefly: with Redis away the SUBSCRIBE stays queued, and start-up goes on.
    await settledWithin(this.subscriber.subscribe(this.channel).catch(() => undefined), 2000);
  }

  /** The cached answer for a digest: the key, null for a known miss, undefined when not cached. */
  cached(digestHex: string): ApiKey | null | undefined {
    const k = this.found.get(digestHex);
    if (k !== undefined) return k;
    return this.missing.has(digestHex) ? null : undefined;
  }

  /** The key with this digest (cached, or looked up once for everyone asking), or null; 503 when the store is down. */
  lookup(digestHex: string): Promise<ApiKey | null> {
    const known = this.cached(digestHex);
    if (known !== undefined) return Promise.resolve(known);
    let pending = this.inflight.get(digestHex);
    if (!pending) {
      const epoch = this.epoch;
      this.lookups++;
      pending = this.sql.lookup(Buffer.from(digestHex, 'hex')).then((k) => {
        if (epoch === this.epoch) {
          if (k) this.found.set(digestHex, k);
          else this.missing.set(digestHex, MISS);
        }
        return k;
      }, (err: unknown) => {
        throw storeUnavailable(err);
      }).finally(() => this.inflight.delete(digestHex));
      this.inflight.set(digestHex, pending);
    }
    return pending;
  }

  /** Drops a digest here and, through Redis, on every replica. */
  private async invalidate(digestHex: string): Promise<void> {
    this.forget(digestHex);
    if (this.redis?.status === 'ready') await this.redis.publish(this.channel, digestHex).catch(() => undefined);
  }

  private forget(digestHex: string): void {
    this.epoch++;
    this.found.delete(digestHex);
    this.missing.delete(digestHex);
  }

  async create(k: NewKey): Promise<CreatedKey> {
    for (let attempt = 0; ; attempt++) {
      const secret = newSecret();
      try {
        const info = await this.sql.insert({ ...k, id: secret.id, hash: secret.hash });
        await this.invalidate(secret.hash.toString('hex'));
        return { key: secret.key, key_hash: `sha256:${secret.hash.toString('hex')}`, info };
      } catch (err) {
        // Two keys whose digests share their first 48 bits: draw another (rare).
        if ((err as { code?: string }).code === '23505' && attempt < 3) continue;
        throw err;
      }
    }
  }

  /** A new key for the same tenant and role; the old one works until the grace period ends. Null: no such live key. */
  async rotate(id: string, graceSeconds: number): Promise<{ created: CreatedKey; old: KeyInfo } | null> {
    const old = await this.sql.byId(id);
    if (!old) return null;
    const secret = newSecret();
    const next: NewKeyRow = {
      id: secret.id, hash: secret.hash, tenant: old.tenant!, role: old.role, expiresAt: null,
      rateLimit: old.rate_limit, allowedDatasets: old.allowed_datasets, description: old.description,
    };
    const done = await this.sql.rotate(id, next, graceSeconds);
    if (!done) return null;
    // Every replica must see the old key's new expiry now, not after its cache TTL.
    await this.invalidate(done.old.key_hash.toString('hex'));
    return { created: { key: secret.key, key_hash: `sha256:${secret.hash.toString('hex')}`, info: done.next }, old: infoOfRow(done.old) };
  }

  /** Revokes the key on every replica; null when there is no such key. */
  async revoke(id: string): Promise<KeyInfo | null> {
    const row = await this.sql.revoke(id);
    if (!row) return null;
    await this.invalidate(row.key_hash.toString('hex'));
    return infoOfRow(row);
  }

  /** Whether the table answers (at start: a missing `semgate keys init` shows in the log, not as 503s later). */
  async check(): Promise<string | null> {
    try {
      await this.sql.list({ limit: 1 });
      return null;
    } catch (err) {
      return (err as Error).message;
    }
  }

  stats(): { found: number; missing: number; lookups: number } {
    return { found: this.found.size, missing: this.missing.size, lookups: this.lookups };
  }

  async close(): Promise<void> {
    this.subscriber?.disconnect();
    this.subscriber = null;
    await this.sql.close();
  }
}
