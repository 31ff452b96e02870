/**
 * Which executor runs a query: one per source, created on first use, and for database-per-
 * tenant sources one per tenant, of which at most `pool.maxTenantPools` stay open. The
 * least recently used idle tenant pool is drained to make room; pools idle for a while are
 * closed by a background sweep.
 */
import type { Source, SourceType } from '../catalog/types.ts';
import { GatewayError, badQuery } from '../errors.ts';
import { assertTenantId, unavailable } from './common.ts';
import { createDuckdbExecutor } from './duckdb.ts';
import { createMysqlExecutor } from './mysql.ts';
import { createPostgresExecutor } from './postgres.ts';
import type { ExecRequest, ExecResult, Executor, RowStream } from './types.ts';

export type ExecutorFactory = (source: Source, tenant: string | null) => Executor;

export interface SourceStats {
  readonly inUse: number;
  readonly idle: number;
  readonly waiting: number;
  /** Open executors: 0 or 1 for a plain source, the open tenant pools for a per-tenant one. */
  readonly pools: number;
}

const FACTORIES: Readonly<Record<SourceType, ExecutorFactory>> = {
  postgres: createPostgresExecutor,
  mysql: createMysqlExecutor,
  duckdb: createDuckdbExecutor,
};

interface TenantPool {
  readonly executor: Executor;
  lastUsed: number;
  /** Runs in flight through the registry; a pool with any is never evicted. */
  running: number;
}

/** Tenant pools unused this many times the source's idle timeout are closed. */
const TENANT_IDLE_FACTOR = 4;

export class SourceRegistry {
  readonly #sources: ReadonlyMap<string, Source>;
  readonly #create: ExecutorFactory;
  readonly #shared = new Map<string, Executor>();
  /** source name -> tenant -> pool, in least- to most-recently-used order. */
  readonly #tenantPools = new Map<string, Map<string, TenantPool>>();
  readonly #closing = new Set<Promise<void>>();
  #sweep: NodeJS.Timeout | undefined;
  #closed = false;
  /** Sources whose pools a newer registry took over on reload: close() leaves them be. */
  readonly #handedOver = new Set<string>();

  constructor(sources: ReadonlyMap<string, Source>, options: { createExecutor?: ExecutorFactory } = {}) {
    this.#sources = sources;
    this.#create = options.createExecutor ?? ((source, tenant) => FACTORIES[source.type](source, tenant));
  }

  executor(sourceName: string, tenant: string | null): Executor {
    const source = this.#source(sourceName);
    if (!source.perTenant) {
      let executor = this.#shared.get(source.name);
      if (executor === undefined) {
        executor = this.#create(source, null);
        this.#shared.set(source.name, executor);
      }
      return executor;
    }
    if (tenant === null) throw badQuery('tenant_required', 'this dataset needs a tenant: send X-Tenant-Id');
    assertTenantId(tenant);
    // A handle, not the pool: each run looks the pool up again, so a pool evicted between
    // executor() and run() is simply reopened.
    return {
      run: (req: ExecRequest) => this.#runForTenant(source, tenant, req),
      stream: (req: ExecRequest) => this.#streamForTenant(source, tenant, req),
      ping: () => this.#runTracked(source, tenant, (e) => e.ping()),
      close: async () => {
        const pool = this.#tenantPools.get(source.name)?.get(tenant);
        if (pool !== undefined && pool.running === 0) this.#evict(source.name, tenant, pool);
      },
      stats: () => this.#tenantPools.get(source.name)?.get(tenant)?.executor.stats() ?? { inUse: 0, idle: 0, waiting: 0 },
    };
  }

  /** A source of this registry's configuration (throws 503 once closed). */
  source(name: string): Source {
    return this.#source(name);
  }

  /** Pings a source; for a per-tenant source, every tenant pool that is open. */
  async ping(sourceName: string): Promise<void> {
    const source = this.#source(sourceName);
    if (!source.perTenant) return this.executor(sourceName, null).ping();
    const pools = [...(this.#tenantPools.get(source.name)?.values() ?? [])];
    await Promise.all(pools.map((p) => p.executor.ping()));
  }

  stats(): Record<string, SourceStats> {
    const out: Record<string, SourceStats> = {};
    for (const name of this.#sources.keys()) {
      const executors = this.#sources.get(name)?.perTenant
        ? [...(this.#tenantPools.get(name)?.values() ?? [])].map((p) => p.executor)
        : [this.#shared.get(name)].filter((e): e is Executor => e !== undefined);
      const sum = { inUse: 0, idle: 0, waiting: 0, pools: executors.length };
      for (const e of executors) {
        const s = e.stats();
        sum.inUse += s.inUse;
        sum.idle += s.idle;
        sum.waiting += s.waiting;
      }
      out[name] = sum;
    }
    return out;
  }

  /**
   * Reload: takes over the open pools of every source whose configuration is unchanged,
   * so they keep their connections; the previous registry still serves requests that
   * began before the reload, and its close() drains only what was not taken over.
   */
  adopt(previous: SourceRegistry): string[] {
    const kept: string[] = [];
    for (const [name, source] of this.#sources) {
      const before = previous.#sources.get(name);
      if (before === undefined || JSON.stringify(before) !== JSON.stringify(source)) continue;
      const shared = previous.#shared.get(name);
      if (shared !== undefined) this.#shared.set(name, shared);
      const pools = previous.#tenantPools.get(name);
      if (pools !== undefined) {
        this.#tenantPools.set(name, pools);
        this.#startSweep();
      }
      previous.#handedOver.add(name);
      kept.push(name);
    }
    return kept;
  }

  /** Drains every pool (but those a newer registry took over); refuses new work afterwards. */
  async close(): Promise<void> {
    this.#closed = true;
    clearInterval(this.#sweep);
    const closing = [...this.#shared].filter(([name]) => !this.#handedOver.has(name)).map(([, e]) => e.close());
    this.#shared.clear();
    for (const [name, pools] of this.#tenantPools) {
      if (this.#handedOver.has(name)) continue;
      for (const [tenant, pool] of pools) this.#evict(name, tenant, pool);
    }
    await Promise.allSettled([...closing, ...this.#closing]);
  }

  #source(name: string): Source {
    if (this.#closed) throw new GatewayError('internal.registry_closed', 503, 'The gateway is shutting down', { headers: { 'Retry-After': '5' } });
    const source = this.#sources.get(name);
    if (source === undefined) throw new GatewayError('internal.unknown_source', 500, `Unknown source '${name}'`);
    return source;
  }

  #runForTenant(source: Source, tenant: string, req: ExecRequest): Promise<ExecResult> {
    return this.#runTracked(source, tenant, (e) => e.run(req));
  }

  /** A stream keeps its tenant pool counted as running (never evicted) until it ends or is cancelled. */
  async #streamForTenant(source: Source, tenant: string, req: ExecRequest): Promise<RowStream> {
    const pool = this.#openTenant(source, tenant);
    pool.running++;
    let done = false;
    const finish = (): void => {
      if (done) return;
      done = true;
      pool.running--;
      pool.lastUsed = Date.now();
    };
    let rows: RowStream;
    try {
      rows = await pool.executor.stream(req);
    } catch (err) {
      finish();
      throw err;
    }
    return {
      async next() {
        try {
          const batch = await rows.next();
          if (batch === null) finish();
          return batch;
        } catch (err) {
          finish();
          throw err;
        }
      },
      async cancel() {
        try {
          await rows.cancel();
        } finally {
          finish();
        }
      },
    };
  }

  async #runTracked<T>(source: Source, tenant: string, work: (e: Executor) => Promise<T>): Promise<T> {
    const pool = this.#openTenant(source, tenant);
    pool.running++;
    try {
      return await work(pool.executor);
    } finally {
      pool.running--;
      pool.lastUsed = Date.now();
    }
  }

  #openTenant(source: Source, tenant: string): TenantPool {
    let pools = this.#tenantPools.get(source.name);
    if (pools === undefined) {
      pools = new Map();
      this.#tenantPools.set(source.name, pools);
    }
    const existing = pools.get(tenant);
    if (existing !== undefined) {
      pools.delete(tenant); // re-insert: Map order is our LRU order
      pools.set(tenant, existing);
      existing.lastUsed = Date.now();
      return existing;
    }
    if (pools.size >= Math.max(1, source.pool.maxTenantPools)) {
      const victim = [...pools].find(([, p]) => p.running === 0);
      if (victim === undefined) throw unavailable(source, new Error('every tenant pool is busy'));
      this.#evict(source.name, victim[0], victim[1]);
    }
    const pool: TenantPool = { executor: this.#create(source, tenant), lastUsed: Date.now(), running: 0 };
    pools.set(tenant, pool);
    this.#startSweep();
    return pool;
  }

  #evict(sourceName: string, tenant: string, pool: TenantPool): void {
    const pools = this.#tenantPools.get(sourceName);
    if (pools?.get(tenant) === pool) pools.delete(tenant);
    // close() drains: queries already running on the pool finish first.
    const closing = pool.executor.close().catch(() => undefined);
    this.#closing.add(closing);
    void closing.finally(() => this.#closing.delete(closing));
  }

  #startSweep(): void {
    if (this.#sweep !== undefined) return;
    const periods = [...this.#sources.values()].filter((s) => s.perTenant).map((s) => s.pool.idleTimeoutMs);
    const every = Math.min(60_000, Math.max(1_000, Math.min(...periods)));
    this.#sweep = setInterval(() => this.#closeIdleTenantPools(), every);
    this.#sweep.unref();
  }

  #closeIdleTenantPools(): void {
    const now = Date.now();
    for (const [name, pools] of this.#tenantPools) {
      if (this.#handedOver.has(name)) continue; // the newer registry sweeps them
      const source = this.#sources.get(name);
      if (source === undefined) continue;
      const maxIdle = source.pool.idleTimeoutMs * TENANT_IDLE_FACTOR;
      for (const [tenant, pool] of [...pools]) {
        if (pool.running === 0 && now - pool.lastUsed > maxIdle) this.#evict(name, tenant, pool);
      }
    }
  }
}
