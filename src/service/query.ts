import { QueryCache } from '../cache/query-cache.ts';
import type { Catalog, FieldType } from '../catalog/types.ts';
import { compilePlan } from '../sql/compile.ts';
import type { SourceRegistry } from '../sources/registry.ts';
import type { Row } from '../sources/types.ts';
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
}

/** Untrusted JSON -> validated plan and SQL. Pure: what `compile` prints and `query` runs. */
export function prepareQuery(catalog: Catalog, principal: Principal, body: unknown): Prepared {
  const plan = planQuery(catalog, principal, parseSemanticQuery(body));
  return { plan, compiled: compilePlan(plan) };
}

/** Runs a prepared query on its source and shapes the spec's response. */
export async function executePrepared(registry: SourceRegistry, { plan, compiled }: Prepared): Promise<QueryResult> {
  const started = performance.now();
  const fields = [...plan.dimensions, ...plan.metrics];
  const executor = registry.executor(plan.target.source, plan.target.tenant);
  const { rows } = await executor.run({
    sql: compiled.sql,
    parameters: compiled.parameters,
    columnTypes: fields.map((f) => f.type),
    timeoutMs: plan.timeoutMs,
    tenant: plan.scope.kind === 'tenant' ? plan.scope.tenant : null,
  });
  const truncated = rows.length > plan.limit;
  if (truncated) rows.length = plan.limit;
  return {
    columns: fields.map((f) => ({ name: f.alias, type: f.type })),
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
  const key = QueryCache.keyFor({ dataset: plan.dataset.name, source: plan.target.source, tenant: plan.target.tenant, sql: compiled.sql, parameters: compiled.parameters });
  const scope = {
    dataset: plan.dataset.name,
    tenant: plan.scope.kind === 'tenant' ? plan.scope.tenant : plan.scope.kind === 'all-tenants' ? '_all' : '_global',
  };
  const { value, hit } = await cache.getOrRun(key, plan.dataset.cacheTtlSeconds, scope, async () => {
    const r = await executePrepared(registry, prepared);
    return { rows: r.rows, truncated: r.meta.truncated };
  }, bypassRead);
  const fields = [...plan.dimensions, ...plan.metrics];
  return {
    columns: fields.map((f) => ({ name: f.alias, type: f.type })),
    rows: value.rows,
    meta: { row_count: value.rows.length, truncated: value.truncated, duration_ms: Math.round((performance.now() - started) * 10) / 10 },
    cached: hit,
  };
}
