import { Redis } from 'ioredis';
import { pino, type Logger } from 'pino';
import { AuditLog, auditLogFor } from '../audit/index.ts';
import { authenticatorFor, type Authenticator } from '../auth/authenticate.ts';
import type { KeyIndex } from '../auth/keys.ts';
import { QueryCache } from '../cache/query-cache.ts';
import { loadConfig } from '../catalog/load.ts';
import { formatIssues, summarizeCatalog } from '../catalog/format.ts';
import type { Catalog, ConfigIssue } from '../catalog/types.ts';
import { ConcurrencyLimits } from '../limits/concurrency.ts';
import { RateLimits } from '../limits/rate-limit.ts';
import { Metrics } from '../observability/metrics.ts';
import { SharedUsage } from '../observability/shared-usage.ts';
import { SourceRegistry } from '../sources/registry.ts';
import { useSlots } from './query.ts';

/** What one loaded configuration serves with; swapped whole on reload. */
export interface GatewayState {
  readonly catalog: Catalog;
  readonly keys: KeyIndex;
  /** The file's keys, and the key store and token verifiers when configured. */
  readonly auth: Authenticator;
  readonly registry: SourceRegistry;
}

export class ConfigError extends Error {
  constructor(readonly issues: readonly ConfigIssue[]) {
    super(`configuration has errors:\n${formatIssues(issues.filter((i) => i.severity === 'error'))}`);
  }
}

/** `previous` lends its key store (pool and cache) when the new configuration names the same one. */
export function stateFor(catalog: Catalog, previous: GatewayState | null = null): GatewayState {
  const auth = authenticatorFor(catalog, previous?.auth ?? null);
  return { catalog, keys: auth.index, auth, registry: new SourceRegistry(catalog.sources) };
}

/** Closes what a retired state opened and the current one did not carry on. */
function closeState(s: GatewayState, current: GatewayState): void {
  void s.registry.close();
  void s.auth.close(current.auth);
}

export type ReloadResult =
  | { readonly ok: true; readonly summary: string; readonly keptSources: readonly string[] }
  | { readonly ok: false; readonly issues: readonly ConfigIssue[] };

/** The long-lived gateway: current state, usage, logger. */
export interface GatewayOptions {
  /** Shared state of every replica (rate limits, later cache and usage); none: in memory. */
  redis?: Redis | null;
  /** Where audit lines go; default: what sources.yaml says (SEMGATE_AUDIT_SINK overrides). */
  audit?: AuditLog;
  /** Bound of the in-process result cache; default $SEMGATE_CACHE_MAX_MB or 256 MiB. */
  cacheMaxBytes?: number;
}

function cacheBytesFromEnv(): number {
  const mb = Number(process.env.SEMGATE_CACHE_MAX_MB ?? 256);
  return (Number.isFinite(mb) && mb > 0 ? mb : 256) * 1024 * 1024;
}

/**
 * How long one Redis command may take before it counts as failed (limits fall back to the
 * replica's memory, the cache to its first level): a Redis that stops answering without
 * closing the connection must not hold requests. `SEMGATE_REDIS_TIMEOUT_MS`, default 500.
 */
export function redisCommandTimeoutMs(): number {
  const ms = Number(process.env.SEMGATE_REDIS_TIMEOUT_MS ?? 500);
  return Number.isFinite(ms) && ms > 0 ? ms : 500;
}

/** A Redis client that fails fast while Redis is away, so limits fall back to memory at once. */
export function redisClient(url: string | undefined): Redis | null {
  if (!url) return null;
  return new Redis(url, {
    enableOfflineQueue: false, maxRetriesPerRequest: 1, lazyConnect: false,
    commandTimeout: redisCommandTimeoutMs(), connectTimeout: 2_000,
  });
}

export class Gateway {
  readonly usage: SharedUsage;
  readonly limits: RateLimits;
  /** Queries at once per tenant and per source on this replica; outlives reloads (running queries keep counting). */
  readonly concurrency: ConcurrencyLimits;
  readonly cache: QueryCache;
  readonly audit: AuditLog;
  readonly metrics: Metrics;
  readonly redis: Redis | null;
  /** Requests in flight per state: an old state's pools close when its last request ends. */
  private readonly active = new Map<GatewayState, number>();
  private readonly retired = new Set<GatewayState>();
  private reloading: Promise<ReloadResult> | null = null;
  constructor(public state: GatewayState, readonly logger: Logger, opts: GatewayOptions = {}) {
    this.redis = opts.redis ?? null;
    this.limits = new RateLimits(this.redis);
    this.usage = new SharedUsage(this.redis);
    this.cache = new QueryCache(this.redis, opts.cacheMaxBytes ?? cacheBytesFromEnv());
    this.audit = opts.audit ?? auditLogFor(state.catalog, logger);
    this.metrics = new Metrics({
      pools: () => this.state.registry.stats(),
      audit: () => this.audit.status(),
      cache: () => this.cache.stats(),
      // Every source, 0 when none of its slots is taken (an idle gate is dropped).
      slots: () => ({
        ...Object.fromEntries([...this.state.catalog.sources.keys()].map((name) => [name, { running: 0, waiting: 0 }])),
        ...this.concurrency.stats(),
      }),
    });
    this.concurrency = new ConcurrencyLimits({
      waited: (source, tenant, seconds) => this.metrics.observeSlotWait(source, tenant, seconds),
      rejected: (scope, source, tenant) => this.metrics.observeSlotRejection(scope, source, tenant),
    });
    useSlots(state.registry, this.concurrency);
    // ioredis reports every failed reconnect; one warning line each is enough.
    this.redis?.on('error', (err: Error) => logger.warn({ err: err.message }, 'redis unavailable: limits are per replica until it returns'));
  }

  static async load(dir: string, logger: Logger = defaultLogger(), opts?: GatewayOptions): Promise<Gateway> {
    const { catalog, issues } = await loadConfig(dir);
    for (const i of issues.filter((x) => x.severity === 'warning')) {
      logger.warn({ file: i.file, line: i.line, field: i.field }, i.message);
    }
    if (!catalog) throw new ConfigError(issues);
    return new Gateway(stateFor(catalog), logger, opts ?? { redis: redisClient(process.env.REDIS_URL ?? catalog.settings.redisUrl ?? undefined) });
  }

  /** Requests in flight, on the current configuration and on retired ones. */
  inFlight(): { current: number; retired: number } {
    let retired = 0;
    for (const [s, n] of this.active) if (s !== this.state) retired += n;
    return { current: this.active.get(this.state) ?? 0, retired };
  }

  /** The current state, pinned for one request until release(). */
  acquire(): GatewayState {
    const s = this.state;
    this.active.set(s, (this.active.get(s) ?? 0) + 1);
    return s;
  }

  release(s: GatewayState): void {
    const n = (this.active.get(s) ?? 1) - 1;
    if (n > 0) {
      this.active.set(s, n);
      return;
    }
    this.active.delete(s);
    if (this.retired.delete(s)) closeState(s, this.state);
  }

  /**
   * Reloads the three files atomically. A configuration with errors is refused and the old
   * one keeps serving; a good one serves every new request at once, keeps the pools of
   * unchanged sources, drains the others after the requests still using them, and purges
   * cached results (a changed dataset may answer differently).
   */
  reload(): Promise<ReloadResult> {
    // One reload at a time: SIGHUP, the endpoint and the watcher may fire together.
    this.reloading ??= this.reloadOnce().finally(() => { this.reloading = null; });
    return this.reloading;
  }

  private async reloadOnce(): Promise<ReloadResult> {
    const { catalog, issues } = await loadConfig(this.state.catalog.dir);
    if (!catalog) {
      const errors = issues.filter((i) => i.severity === 'error');
      this.metrics.reloads.inc({ result: 'refused' });
      this.logger.error({ errors: errors.map((e) => `${e.file}:${e.line}:${e.column} ${e.field}: ${e.message}`) }, 'reload refused: the old configuration keeps serving');
      return { ok: false, issues: errors };
    }
    const old = this.state;
    const next = stateFor(catalog, old);
    const keptSources = next.registry.adopt(old.registry);
    useSlots(next.registry, this.concurrency);
    if (next.auth.store !== old.auth.store) await next.auth.store?.attach(this.redis);
    this.state = next;
    if (this.active.has(old)) this.retired.add(old);
    else closeState(old, next);
    await this.cache.purge().catch((err: Error) => this.logger.warn({ err: err.message }, 'cache purge after reload failed'));
    this.metrics.reloads.inc({ result: 'ok' });
    const summary = summarizeCatalog(catalog);
    this.logger.info({ kept_sources: keptSources }, `reloaded: ${summary}`);
    return { ok: true, summary, keptSources };
  }

  /** Starts what needs I/O: cache purge notices from other replicas. */
  async start(): Promise<void> {
    await this.audit.init();
    await this.cache.listen();
    await this.state.auth.store?.attach(this.redis);
    await this.warmUp();
  }

  /** Opens every shared source once (the demo builds its data), so the first query is not slow. */
  async warmUp(): Promise<void> {
    const { catalog, registry, auth } = this.state;
    const storeProblem = await auth.store?.check();
    if (storeProblem) this.logger.warn({ table: auth.store!.sql.table, err: storeProblem }, 'key store not usable yet (is its table created? `semgate keys init`): unknown keys get 503 until it is');
    await Promise.all([...catalog.sources.values()].filter((s) => !s.perTenant).map(async (s) => {
      try {
        await registry.ping(s.name);
      } catch (err) {
        this.logger.warn({ source: s.name, err: (err as Error).message }, 'source is not reachable yet');
      }
    }));
  }

  /** Flushes the audit buffer first: on SIGTERM no line is lost. */
  async close(): Promise<void> {
    // Pools first: a stream still open when they close is stopped, and its audit line is
    // recorded as it ends; the audit closes last, after a turn for those lines to arrive.
    await Promise.all([this.state.registry.close(), ...[...this.retired].map((s) => s.registry.close())]);
    await Promise.all([this.state.auth.close(), ...[...this.retired].map((s) => s.auth.close(this.state.auth))]);
    await new Promise((resolve) => setImmediate(resolve));
    await this.audit.close();
    this.cache.close();
    this.redis?.disconnect();
  }
}

export function defaultLogger(): Logger {
  return pino({ level: process.env.LOG_LEVEL ?? 'info', base: undefined });
}
