import { LRUCache } from 'lru-cache';
import { QueryCache, type EntryScope, type Filled } from '../cache/query-cache.ts';
import type { Catalog, FieldType } from '../catalog/types.ts';
import { assertScopeFits, compileCount, compilePlan } from '../sql/compile.ts';
import type { SourceRegistry } from '../sources/registry.ts';
import { clientGone } from '../sources/common.ts';
import type { ExecRequest, ExecResult, Row, RowStream } from '../sources/types.ts';
import { ResultStream, estimateBytes } from './result-stream.ts';
import { canonicalQuery } from '../query/canonical.ts';
import { parseSemanticQuery } from '../query/parse.ts';
import { planQuery } from '../query/plan.ts';
import type { CompiledQuery, Principal, QueryPlan } from '../query/types.ts';
import type { ConcurrencyLimits, Release } from '../limits/concurrency.ts';

export interface QueryResult {
  readonly columns: { readonly name: string; readonly type: FieldType }[];
  readonly rows: Row[];
  readonly meta: { readonly row_count: number; readonly truncated: boolean; readonly duration_ms: number };
}

export interface Prepared {
  readonly plan: QueryPlan;
  readonly compiled: CompiledQuery;
  /** The result cache's key of this SQL, when prepareQuery already had it. */
  readonly resultKey?: string;
  /** Whether the SQL came from the compiled-SQL cache. */
  readonly compile?: CompileOutcome;
}

interface CompiledEntry {
  readonly compiled: CompiledQuery;
  readonly resultKey: string;
  /** Whose rows and which pool the SQL was built for: checked against each new plan. */
  readonly target: string;
}

/** Per catalog, so a reload starts empty and an old catalog's entries go with it. */
const compiledByCatalog = new WeakMap<Catalog, LRUCache<string, CompiledEntry>>();
/** Queries whose canonical text is longer are compiled every time (rare; they would crowd the cache). */
const MAX_CACHED_QUERY = 4096;

/** `suffix` keeps a plan's other results (its `#count`) apart from its rows. */
function resultKeyOf(plan: QueryPlan, compiled: CompiledQuery, suffix = ''): string {
  return QueryCache.keyFor({ dataset: plan.dataset.name + suffix, source: plan.target.source, tenant: plan.target.tenant, sql: compiled.sql, parameters: compiled.parameters });
}

function execRequest(plan: QueryPlan, compiled: CompiledQuery, columnTypes: ExecRequest['columnTypes']): ExecRequest {
  return {
    sql: compiled.sql,
    parameters: compiled.parameters,
    columnTypes,
    timeoutMs: plan.timeoutMs,
    tenant: plan.scope.kind === 'tenant' ? plan.scope.tenant : null,
  };
}

/** The concurrency limits each registry's gateway set (none, as in the CLI: no caps). */
const slotsOf = new WeakMap<SourceRegistry, ConcurrencyLimits>();
/** Whose share a plan spends, decided where the principal is known (prepareQuery). */
const shareOf = new WeakMap<QueryPlan, { tenant: string; cap: number | null }>();

export function useSlots(registry: SourceRegistry, slots: ConcurrencyLimits): void {
  slotsOf.set(registry, slots);
}

/**
 * A slot of the plan's tenant and source (src/limits/concurrency.ts), taken before the
 * query runs; the caller releases it when the rows are delivered. Cache hits never get here.
 */
export function acquireSlot(registry: SourceRegistry, plan: QueryPlan, signal?: AbortSignal): Promise<Release> {
  const slots = slotsOf.get(registry);
  if (slots === undefined) return Promise.resolve(() => undefined);
  const share = shareOf.get(plan) ?? { tenant: plan.scope.kind === 'tenant' ? plan.scope.tenant : '_unknown', cap: null };
  return slots.acquire({
    source: registry.source(plan.target.source), pool: plan.target.tenant, tenant: share.tenant, tenantCap: share.cap,
    ...(signal !== undefined && { signal }),
  });
}

/** Compiled SQL of a plan, run on the plan's pool for the plan's tenant, within a slot. */
async function runOnSource(registry: SourceRegistry, plan: QueryPlan, compiled: CompiledQuery, columnTypes: ExecRequest['columnTypes']): Promise<ExecResult> {
  const release = await acquireSlot(registry, plan);
  try {
    return await registry.executor(plan.target.source, plan.target.tenant).run(execRequest(plan, compiled, columnTypes));
  } finally {
    release();
  }
}

function columnsOf(plan: QueryPlan): QueryResult['columns'] {
  return [...plan.dimensions, ...plan.metrics].map((f) => ({ name: f.alias, type: f.type }));
}

function targetOf(plan: QueryPlan): string {
  const s = plan.scope;
  return JSON.stringify([plan.dataset.name, plan.target.source, plan.target.tenant, s.kind, s.kind === 'tenant' ? [s.tenant, s.schema] : null]);
}

/** What prepareQuery did with the compiled-SQL cache: for tests and the audit of a request. */
export type CompileOutcome = 'hit' | 'miss' | 'uncached';

/**
 * The one road of every front door: untrusted query value -> schema check -> plan ->
 * compiled SQL. Pure: what `compile` prints and `query` runs.
 *
 * The SQL build, about a fifth of a cache hit's CPU, is reused across front doors: parsing
 * and planning, which check the caller's rights and scope, run every time; only compilePlan,
 * a pure function of the plan, is skipped. The plan is a function of the catalog, the
 * principal and the query's meaning, so the key holds every principal field and the
 * query's canonical text (REST's body and OData's options meaning the same query share
 * one entry), and the entry must name the same dataset, pool and tenant scope as the fresh
 * plan: two tenants, or an admin acting as two tenants, never share one.
 */
export function prepareQuery(catalog: Catalog, principal: Principal, body: unknown): Prepared {
  const query = parseSemanticQuery(body);
  const plan = planQuery(catalog, principal, query);
  const tenant = principal.tenant ?? `key:${principal.keyId}`;
  shareOf.set(plan, { tenant, cap: (principal.tenant === null ? undefined : catalog.tenants.get(principal.tenant)?.maxConcurrent) ?? catalog.defaults.maxConcurrent });
  const text = canonicalQuery(query);
  if (text.length > MAX_CACHED_QUERY) return { plan, compiled: compilePlan(plan), compile: 'uncached' };
  let cache = compiledByCatalog.get(catalog);
  if (!cache) {
    cache = new LRUCache<string, CompiledEntry>({ max: 1000 });
    compiledByCatalog.set(catalog, cache);
  }
  const key = JSON.stringify([principal.keyId, principal.tenant, principal.role, principal.isAdmin, principal.allowedDatasets, principal.filters ?? null, text]);
  const target = targetOf(plan);
  const hit = cache.get(key);
  if (hit && hit.target === target) {
    assertScopeFits(plan); // what compilePlan checks first, kept on the reused path
    return { plan, compiled: hit.compiled, resultKey: hit.resultKey, compile: 'hit' };
  }
  const compiled = compilePlan(plan);
  const resultKey = resultKeyOf(plan, compiled);
  cache.set(key, { compiled, resultKey, target });
  return { plan, compiled, resultKey, compile: 'miss' };
}

/** Whose entry a result is, for purges by dataset or tenant. */
function cacheScopeOf(plan: QueryPlan): EntryScope {
  const s = plan.scope;
  return { dataset: plan.dataset.name, tenant: s.kind === 'tenant' ? s.tenant : s.kind === 'all-tenants' ? '_all' : '_global' };
}

/** Runs a prepared query on its source and shapes the spec's response. */
export async function executePrepared(registry: SourceRegistry, { plan, compiled }: Prepared): Promise<QueryResult> {
  const started = performance.now();
  const columns = columnsOf(plan);
  const { rows } = await runOnSource(registry, plan, compiled, columns.map((c) => c.type));
  const truncated = rows.length > plan.limit;
  if (truncated) rows.length = plan.limit;
  return {
    columns,
    rows,
    meta: { row_count: rows.length, truncated, duration_ms: Math.round((performance.now() - started) * 10) / 10 },
  };
}

/**
 * Rows held before an answer starts (estimated as JSON). A result that ends within it is
 * answered whole, with its row count and truncation known up front, and is cached; past it
 * the rest is streamed from the database cursor and the result is not cached.
 */
export const STREAM_BUFFER_BYTES = 1024 * 1024;

export interface StreamOptions {
  /** The caller's Cache-Control: no-cache: run afresh (the answer is still cached when small). */
  readonly bypassRead?: boolean;
  /** Aborts when the client goes away: the statement is then stopped in the database. */
  readonly signal?: AbortSignal;
}

/** Starts the statement and reads up to STREAM_BUFFER_BYTES: the whole result, or a stream of the rest. */
async function openResult(registry: SourceRegistry, { plan, compiled }: Prepared, columns: QueryResult['columns'], started: number,
  signal: AbortSignal | undefined): Promise<Filled<ResultStream>> {
  if (signal?.aborted) throw clientGone();
  // The slot is held while rows come: to the end of a small result, or of the stream. A
  // client that leaves while it waits for one leaves the line (and runs nothing).
  const release = await acquireSlot(registry, plan, signal);
  let rows: RowStream;
  try {
    if (signal?.aborted) throw clientGone();
    rows = await registry.executor(plan.target.source, plan.target.tenant).stream(execRequest(plan, compiled, columns.map((c) => c.type)));
  } catch (err) {
    release();
    throw err;
  }
  if (signal?.aborted) {
    // Gone while the statement started: an 'abort' listener added now would never fire.
    await rows.cancel();
    release();
    throw clientGone();
  }
  const stop = (): void => void rows.cancel();
  signal?.addEventListener('abort', stop, { once: true });
  const head: Row[] = [];
  let bytes = 0;
  try {
    for (;;) {
      const batch = await rows.next();
      if (batch === null) {
        signal?.removeEventListener('abort', stop);
        release();
        const truncated = head.length > plan.limit;
        if (truncated) head.length = plan.limit;
        return { complete: { rows: head, truncated } };
      }
      for (const r of batch) head.push(r);
      bytes += estimateBytes(batch);
      if (bytes > STREAM_BUFFER_BYTES) {
        const stream = new ResultStream(columns, false, head, rows, plan.limit, false, started);
        stream.onClose(release);
        signal?.removeEventListener('abort', stop);
        const cancel = (): void => void stream.cancel();
        signal?.addEventListener('abort', cancel, { once: true });
        stream.onClose(() => signal?.removeEventListener('abort', cancel));
        return { streaming: stream };
      }
    }
  } catch (err) {
    signal?.removeEventListener('abort', stop);
    await rows.cancel();
    release();
    throw err;
  }
}

/**
 * Through the cache, as a stream: a hit or a small result is complete (`head` holds it all);
 * a big one streams the rest from the database as the caller reads it. The caller must read
 * it to the end or `cancel()` it (which stops the statement in the database).
 */
export async function executeStreamed(cache: QueryCache, registry: SourceRegistry, prepared: Prepared, options: StreamOptions = {}): Promise<ResultStream> {
  const started = performance.now();
  const { plan, compiled } = prepared;
  const columns = columnsOf(plan);
  const key = prepared.resultKey ?? resultKeyOf(plan, compiled);
  const out = await cache.getOrStream(key, plan.dataset.cacheTtlSeconds, cacheScopeOf(plan),
    () => openResult(registry, prepared, columns, started, options.signal), options.bypassRead);
  if ('streaming' in out) return out.streaming;
  return new ResultStream(columns, out.hit, out.value.rows, null, plan.limit, out.value.truncated, started);
}

/**
 * Through the cache, as one array: the dataset's `cache.ttl` decides, and `bypassRead` (the
 * caller's Cache-Control: no-cache) runs the query afresh but still stores the answer.
 */
export async function executeCached(
  cache: QueryCache, registry: SourceRegistry, prepared: Prepared, bypassRead = false,
): Promise<QueryResult & { readonly cached: boolean }> {
  const stream = await executeStreamed(cache, registry, prepared, { bypassRead });
  const rows = await stream.drain();
  return { columns: [...stream.columns], rows, meta: stream.summary(), cached: stream.cached };
}

/** The number of rows a plan's result has (OData `$count`), through the cache like its rows. */
export async function executeCount(cache: QueryCache, registry: SourceRegistry, plan: QueryPlan): Promise<number> {
  const compiled = compileCount(plan);
  const key = resultKeyOf(plan, compiled, '#count');
  const { value } = await cache.getOrRun(key, plan.dataset.cacheTtlSeconds, cacheScopeOf(plan), async () => {
    const { rows } = await runOnSource(registry, plan, compiled, ['integer']);
    return { rows, truncated: false };
  });
  return Number(value.rows[0]?.[0] ?? 0);
}
