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
