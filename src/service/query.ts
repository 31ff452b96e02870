import { LRUCache } from 'lru-cache';
import { QueryCache, type EntryScope } from '../cache/query-cache.ts';
import type { Catalog, FieldType } from '../catalog/types.ts';
import { assertScopeFits, compileCount, compilePlan } from '../sql/compile.ts';
import type { SourceRegistry } from '../sources/registry.ts';
import type { ExecRequest, ExecResult, Row } from '../sources/types.ts';
import { parseSemanticQuery } from '../query/parse.ts';
import { planQuery } from '../query/plan.ts';
import type { CompiledQuery, Principal, QueryPlan } from '../query/types.ts';

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
}

interface CompiledEntry {
  readonly compiled: CompiledQuery;
  readonly resultKey: string;
  /** Whose rows and which pool the SQL was built for: checked against each new plan. */
  readonly target: string;
}

/** Bodies longer than this are compiled every time (they are rare, and would crowd the cache). */
const MAX_CACHED_BODY = 4096;
/** Per catalog, so a reload starts empty and an old catalog's entries go with it. */
const compiledByCatalog = new WeakMap<Catalog, LRUCache<string, CompiledEntry>>();

/** `suffix` keeps a plan's other results (its `#count`) apart from its rows. */
function resultKeyOf(plan: QueryPlan, compiled: CompiledQuery, suffix = ''): string {
  return QueryCache.keyFor({ dataset: plan.dataset.name + suffix, source: plan.target.source, tenant: plan.target.tenant, sql: compiled.sql, parameters: compiled.parameters });
}

/** Compiled SQL of a plan, run on the plan's pool for the plan's tenant. */
function runOnSource(registry: SourceRegistry, plan: QueryPlan, compiled: CompiledQuery, columnTypes: ExecRequest['columnTypes']): Promise<ExecResult> {
  return registry.executor(plan.target.source, plan.target.tenant).run({
    sql: compiled.sql,
    parameters: compiled.parameters,
    columnTypes,
    timeoutMs: plan.timeoutMs,
    tenant: plan.scope.kind === 'tenant' ? plan.scope.tenant : null,
  });
}

function columnsOf(plan: QueryPlan): QueryResult['columns'] {
  return [...plan.dimensions, ...plan.metrics].map((f) => ({ name: f.alias, type: f.type }));
}

function targetOf(plan: QueryPlan): string {
  const s = plan.scope;
  return JSON.stringify([plan.dataset.name, plan.target.source, plan.target.tenant, s.kind, s.kind === 'tenant' ? [s.tenant, s.schema] : null]);
}

/**
 * Untrusted JSON -> validated plan and SQL. Pure: what `compile` prints and `query` runs.
 * With `bodyText` (the exact text `body` was parsed from), the SQL build, about a fifth of
 * a cache hit's CPU, is reused: parsing and planning, which check the caller's rights and
 * scope, run every time; only compilePlan, a pure function of the plan, is skipped. The
 * plan is a function of the catalog, the principal and the body, so the key holds every
 * principal field and the text, and the entry must name the same dataset, pool and tenant
 * scope as the fresh plan: two tenants, or an admin acting as two tenants, never share one.
 */
export function prepareQuery(catalog: Catalog, principal: Principal, body: unknown, bodyText?: string): Prepared {
  const plan = planQuery(catalog, principal, parseSemanticQuery(body));
  if (bodyText === undefined || bodyText.length > MAX_CACHED_BODY) return { plan, compiled: compilePlan(plan) };
  let cache = compiledByCatalog.get(catalog);
  if (!cache) {
    cache = new LRUCache<string, CompiledEntry>({ max: 1000 });
    compiledByCatalog.set(catalog, cache);
  }
  const key = JSON.stringify([principal.keyId, principal.tenant, principal.role, principal.isAdmin, principal.allowedDatasets, bodyText]);
  const target = targetOf(plan);
  const hit = cache.get(key);
  if (hit && hit.target === target) {
    assertScopeFits(plan); // what compilePlan checks first, kept on the reused path
    return { plan, compiled: hit.compiled, resultKey: hit.resultKey };
  }
  const compiled = compilePlan(plan);
  const resultKey = resultKeyOf(plan, compiled);
  cache.set(key, { compiled, resultKey, target });
  return { plan, compiled, resultKey };
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
