import { hash } from 'node:crypto';
import type { Redis } from 'ioredis';
import { LRUCache } from 'lru-cache';
import { GatewayError } from '../errors.ts';
import type { Row } from '../sources/types.ts';
import { settledWithin } from '../timing.ts';

/** What is cached of a result: its rows and whether they were cut by the limit. */
export interface CachedRows {
  readonly rows: Row[];
  readonly truncated: boolean;
}

/** Whose entry it is, so a purge can pick entries by dataset or tenant. */
export interface EntryScope {
  readonly dataset: string;
  /** The tenant the rows belong to; `_all` for an admin across tenants, `_global` for rls: none. */
  readonly tenant: string;
}

interface Entry extends EntryScope {
  readonly value: CachedRows;
}

export interface CacheOutcome {
  readonly value: CachedRows;
  readonly hit: boolean;
}

/**
 * What a streamed fill produced: the whole result (small enough to keep, so it is cached),
 * or a result too big to hold, handed on unbuffered and never cached.
 */
export type Filled<S> = { readonly complete: CachedRows } | { readonly streaming: S };

export type StreamOutcome<S> = CacheOutcome | { readonly streaming: S; readonly hit: false };

export interface PurgeFilter {
  readonly dataset?: string;
  readonly tenant?: string;
}

const PURGE_CHANNEL = 'sg:cache:purge';

/** UTF-16 in memory: about two bytes a character of the entry's JSON. */
function sizeOf(json: string): number {
  return Math.max(1, json.length * 2);
}

/**
 * Results by source + tenant pool + SQL + parameters: two tenants' queries compile to
 * different parameters, schemas or pools, so they can never share an entry. Level one is
 * lru-cache bounded by bytes; with Redis, level two is shared by every replica. Identical
 * queries in flight at once run once (single flight).
 */
export class QueryCache {
  private readonly local: LRUCache<string, Entry>;
  /** Resolves to null when the leader's result was too big to share: waiters then run their own. */
  private readonly inflight = new Map<string, Promise<CachedRows | null>>();
  private subscriber: Redis | null = null;

  constructor(private readonly redis: Redis | null, maxBytes = 256 * 1024 * 1024, private readonly prefix = 'sg:cache') {
    // Every set() passes the entry's size (sizeOf its JSON), so no sizeCalculation.
    this.local = new LRUCache<string, Entry>({ maxSize: maxBytes });
  }

  /**
   * The dataset is part of the key too: two datasets over the same SQL have their own TTL
   * and must each be purged by name.
   */
  static keyFor(parts: { dataset: string; source: string; tenant: string | null; sql: string; parameters: readonly unknown[] }): string {
    return hash('sha256', JSON.stringify([parts.dataset, parts.source, parts.tenant, parts.sql, parts.parameters]), 'hex');
  }

  private redisKey(scope: EntryScope, key: string): string {
    return `${this.prefix}:${scope.dataset}:${scope.tenant}:${key}`;
  }

  /**
   * The cached rows, or `run()` once for everyone asking at the same time. `bypassRead`
   * (Cache-Control: no-cache) skips the read but still fills.
   */
  async getOrRun(key: string, ttlSeconds: number, scope: EntryScope, run: () => Promise<CachedRows>, bypassRead = false): Promise<CacheOutcome> {
    const out = await this.getOrStream<never>(key, ttlSeconds, scope, async () => ({ complete: await run() }), bypassRead);
    if ('streaming' in out) throw new Error('unreachable: a complete fill never streams');
    return out;
  }

  /**
   * Like getOrRun, for a result read as a stream: `open()` buffers up to a size bound and
   * says whether it got the whole result (cached, and shared with identical queries in
   * flight) or not (handed on as a stream, not cached; waiters run their own).
   */
  async getOrStream<S>(key: string, ttlSeconds: number, scope: EntryScope, open: () => Promise<Filled<S>>, bypassRead = false): Promise<StreamOutcome<S>> {
    if (ttlSeconds <= 0) {
      const r = await open();
      return 'complete' in r ? { value: r.complete, hit: false } : { streaming: r.streaming, hit: false };
    }
    if (!bypassRead) {
      const local = this.local.get(key);
      if (local) return { value: local.value, hit: true };
      const shared = this.inflight.get(key);
      if (shared) {
        let value: CachedRows | null;
        try {
          value = await shared;
        } catch (err) {
          // The run we waited for stopped because its own client left: that is not our
          // answer. Run our own (the failed entry is gone, or is removed here).
          if (!(err instanceof GatewayError && err.code === 'http.client_closed')) throw err;
          if (this.inflight.get(key) === shared) this.inflight.delete(key);
          return this.getOrStream(key, ttlSeconds, scope, open, bypassRead);
        }
        if (value !== null) return { value, hit: false };
        return this.getOrStream(key, 0, scope, open); // too big to share: a run of our own
      }
    }
    const pending = this.fill(key, ttlSeconds, scope, open, bypassRead);
    if (!bypassRead) {
      const shared = pending.then((o) => ('value' in o ? o.value : null));
      // Waiters get the failure; with none, it must not be an unhandled rejection (a crash).
      shared.catch(() => undefined);
      this.inflight.set(key, shared);
    }
    try {
      return await pending;
    } finally {
      if (!bypassRead) this.inflight.delete(key);
    }
  }

  private async fill<S>(key: string, ttlSeconds: number, scope: EntryScope, open: () => Promise<Filled<S>>, bypassRead: boolean): Promise<StreamOutcome<S>> {
    if (!bypassRead && this.redis?.status === 'ready') {
      const text = await this.redis.get(this.redisKey(scope, key)).catch(() => null);
      if (text !== null) {
        const value = JSON.parse(text) as CachedRows;
        this.local.set(key, { ...scope, value }, { ttl: ttlSeconds * 1000, size: sizeOf(text) });
        return { value, hit: true };
      }
    }
    const filled = await open();
    if (!('complete' in filled)) return { streaming: filled.streaming, hit: false };
    const value = filled.complete;
    // Encoded once: for the size here and, with Redis, for the shared entry.
    const text = JSON.stringify(value);
    this.local.set(key, { ...scope, value }, { ttl: ttlSeconds * 1000, size: sizeOf(text) });
    if (this.redis?.status === 'ready') {
      // A Redis hiccup costs a shared hit later, never this answer.
      await this.redis.set(this.redisKey(scope, key), text, 'EX', ttlSeconds).catch(() => undefined);
    }
    return { value, hit: false };
  }

  private purgeLocal(filter: PurgeFilter): number {
    let n = 0;
    for (const [key, e] of this.local.entries()) {
      if ((filter.dataset === undefined || e.dataset === filter.dataset) && (filter.tenant === undefined || e.tenant === filter.tenant)) {
        this.local.delete(key);
        n++;
      }
    }
    return n;
  }

  /** Drops matching entries here, in Redis, and (through pub/sub) in every other replica. */
  async purge(filter: PurgeFilter = {}): Promise<{ local: number; shared: number }> {
    const local = this.purgeLocal(filter);
    let shared = 0;
    if (this.redis?.status === 'ready') {
      const pattern = `${this.prefix}:${filter.dataset ?? '*'}:${filter.tenant ?? '*'}:*`;
      let cursor = '0';
      do {
        const [next, keys] = await this.redis.scan(cursor, 'MATCH', pattern, 'COUNT', 500);
        cursor = next;
        if (keys.length > 0) shared += await this.redis.unlink(...keys);
      } while (cursor !== '0');
      await this.redis.publish(PURGE_CHANNEL, JSON.stringify(filter));
    }
    return { local, shared };
  }

  /** Listens for other replicas' purges (a subscriber needs a connection of its own). */
  async listen(): Promise<void> {
    if (!this.redis || this.subscriber) return;
    // The shared connection drops commands while Redis is away (enableOfflineQueue: false);
    // a subscriber must queue its SUBSCRIBE instead, or a replica that starts before Redis
    // is reachable never hears another replica's purge (ioredis resubscribes on reconnect).
    this.subscriber = this.redis.duplicate({ enableOfflineQueue: true, maxRetriesPerRequest: null, commandTimeout: undefined });
    this.subscriber.on('error', () => undefined);
    this.subscriber.on('message', (_channel: string, message: string) => {
      try {
        this.purgeLocal(JSON.parse(message) as PurgeFilter);
      } catch {
        /* not ours */
      }
    });
    // Waited for briefly: with Redis away the SUBSCRIBE stays queued, and start-up goes on.
    await settledWithin(this.subscriber.subscribe(PURGE_CHANNEL).catch(() => undefined), 2000);
  }

  stats(): { entries: number; bytes: number } {
    return { entries: this.local.size, bytes: this.local.calculatedSize };
  }

  close(): void {
    this.subscriber?.disconnect();
  }
}
