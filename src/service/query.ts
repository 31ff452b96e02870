import { LRUCache } from 'lru-cache';
import { QueryCache, type EntryScope } from '../cache/query-cache.ts';
import type { Catalog, FieldType } from '../catalog/types.ts';
import { assertScopeFits, compileCount, compilePlan } from '../sql/compile.ts';
import type { SourceRegistry } from '../sources/registry.ts';
import type { ExecRequest, ExecResult, Row } from '../sources/types.ts';
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
export function acquireSlot(registry: SourceRegistry, plan: QueryPlan): Promise<Release> {
  const slots = slotsOf.get(registry);
  if (slots === undefined) return Promise.resolve(() => undefined);
  const share = shareOf.get(plan) ?? { tenant: plan.scope.kind === 'tenant' ? plan.scope.tenant : '_unknown', cap: null };
  return slots.acquire({ source: registry.source(plan.target.source), pool: plan.target.tenant, tenant: share.tenant, tenantCap: share.cap });
}

/** Compiled SQL of a plan, run on the plan's pool for the plan's tenant, within a slot. */
async function runOnSource(registry: SourceRegistry, plan: QueryPlan, compiled: CompiledQuery, columnTypes: ExecRequest['columnTypes']): Promise<ExecResult> {
  const release = await acquireSlot(registry, plan);
  try {
    return await registry.executor(plan.target.source, plan.target.tenant).run({
      sql: compiled.sql,
      parameters: compiled.parameters,
      columnTypes,
      timeoutMs: plan.timeoutMs,
      tenant: plan.scope.kind === 'tenant' ? plan.scope.tenant : null,
    });
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
 * Through the cache: the dataset's `cache.ttl` decides, and `bypassRead` (the caller's
 * Cache-Control: no-cache) runs the query afresh but still stores the answer.
 */
export async function executeCached(
  cache: QueryCache, registry: SourceRegistry, prepared: Prepared, bypassRead = false,
): Promise<QueryResult & { readonly cached: boolean }> {
  const started = performance.now();
  const { plan, compiled } = prepared;
  const key = prepared.resultKey ?? resultKeyOf(plan, compiled);
  const scope = cacheScopeOf(plan);
  const { value, hit } = await cache.getOrRun(key, plan.dataset.cacheTtlSeconds, scope, async () => {
    const r = await executePrepared(registry, prepared);
    return { rows: r.rows, truncated: r.meta.truncated };
  }, bypassRead);
  return {
    columns: columnsOf(plan),
    rows: value.rows,
    meta: { row_count: value.rows.length, truncated: value.truncated, duration_ms: Math.round((performance.now() - started) * 10) / 10 },
    cached: hit,
  };
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
