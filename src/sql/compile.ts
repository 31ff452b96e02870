import { sql } from './fragment.ts';
import { id, raw } from './ident.ts';
import { TENANT_PLACEHOLDER } from '../catalog/rules.ts';
import type { Dataset } from '../catalog/types.ts';
import { GatewayError } from '../errors.ts';
import type { CompiledQuery, PlannedField, QueryPlan } from '../query/types.ts';
import { conditionExpr } from './conditions.ts';
import { levelReader, rowWhere } from './rows.ts';
import { dialectFor } from './dialects/index.ts';
import type { Expr, SqlDialect } from './dialects/types.ts';
import { partsSelect, needsParts } from './parts.ts';
import { Level } from './scans.ts';

/**
 * Fail closed, second time: the planner adds the tenant scope, and the compiler refuses
 * any plan whose scope does not fit the layout of every dataset it reads, or whose pool is
 * not the tenant's. One mistake needs two bugs.
 */
export function assertScopeFits({ dataset: base, datasets, scope, target }: QueryPlan): void {
  const fits = (ds: Dataset): boolean => {
    if (ds.layout.kind === 'global') return true;
    if (ds.layout.kind === 'shared') return scope.kind === 'tenant' || (scope.kind === 'all-tenants' && !ds.sqlUsesTenantId);
    return scope.kind === 'tenant';
  };
  // In a database per tenant the pool is the isolation, so it must be the scope's tenant's.
  const tenant = scope.kind === 'tenant' ? scope.tenant : null;
  const poolOk = base.source === TENANT_PLACEHOLDER ? target.source === tenant && (target.tenant === null || target.tenant === tenant)
    : base.layout.kind === 'database' ? target.tenant === tenant : target.tenant === null || target.tenant === tenant;
  const all = [...datasets.values()];
  // Reference data alone reads no tenant's rows: its plan says so (scope global), and only it may.
  const globalOnly = all.every((d) => d.layout.kind === 'global');
  if (globalOnly !== (scope.kind === 'global') || !all.includes(base) || !all.every(fits) || !all.every((d) => d.source === base.source) || !poolOk) {
    throw new GatewayError('internal.scope_mismatch', 500, 'The query could not be scoped to a tenant.');
  }
}

/** The SELECT of a plan whose metrics are all the queried dataset's and no join repeats its rows. */
function simpleSelect(plan: QueryPlan, d: SqlDialect): { select: Expr; value: (f: PlannedField) => Expr } {
  const level = new Level(plan.dataset, plan.dataset, plan.datasets, plan.scope, d);
  const r = levelReader(level, d);
  const fields = [...plan.dimensions, ...plan.metrics];
  const columns = sql.join(fields.map((f) => sql`${r.value(f)} as ${id(f.alias)}`));
  const where = rowWhere(level, plan, r, d);
  const having = plan.having ? conditionExpr(plan.having, d, r) : null;
  // A metric filter needs GROUP BY even when no metric is selected: DISTINCT has no HAVING.
  const grouped = plan.dimensions.length > 0 && (plan.metrics.length > 0 || having !== null);
  const distinct = plan.metrics.length === 0 && !grouped;
  const select = sql.join([
    sql`select ${distinct ? sql`distinct ` : sql``}${columns} from ${level.from()}`,
    where ? sql`where ${where}` : null,
    grouped ? sql`group by ${sql.join(plan.dimensions.map((_, i) => raw(String(i + 1))))}` : null,
    having ? sql`having ${having}` : null,
  ].filter((x): x is Expr => x !== null), raw(' '));
  // Dimensions are ordered through their alias (valid with GROUP BY ordinals and DISTINCT); metrics through their aggregate.
  return { select, value: (f) => r.value(f) };
}

/** The grouped SELECT of a plan, before ordering and limits, and how its metrics are read for ORDER BY. */
function groupedSelect(plan: QueryPlan, d: SqlDialect): { select: Expr; value: (f: PlannedField) => Expr } {
  assertScopeFits(plan);
  return needsParts(plan) ? partsSelect(plan, d) : simpleSelect(plan, d);
}

function compiled(e: Expr, d: SqlDialect): CompiledQuery {
  const c = e.compile(d.db);
  return Object.freeze({ sql: c.sql, parameters: Object.freeze([...c.parameters]) });
}

/** QueryPlan -> parameterised SQL for the plan's engine. Pure; no I/O. */
export function compilePlan(plan: QueryPlan, dialect: SqlDialect = dialectFor(plan.target.type)): CompiledQuery {
  const d = dialect;
  const { select, value } = groupedSelect(plan, d);
  const byAlias = new Map([...plan.dimensions, ...plan.metrics].map((f) => [f.alias, f]));
  const order = plan.orderBy.flatMap((o) => {
    const f = byAlias.get(o.alias)!; // the planner orders by selected fields only
    return d.orderTerms(id(o.alias), o.direction, f.kind === 'metric' ? value(f) : id(o.alias));
  });
  // One row more than asked tells the caller the result was cut (meta.truncated).
  return compiled(sql.join([
    select,
    order.length > 0 ? sql`order by ${sql.join(order)}` : null,
    sql`limit ${plan.limit + 1}`,
    plan.offset > 0 ? sql`offset ${plan.offset}` : null,
  ].filter((x): x is Expr => x !== null), raw(' ')), d);
}

/** How many rows the plan's result has, whatever its limit: `SELECT COUNT(*)` over it. */
export function compileCount(plan: QueryPlan, dialect: SqlDialect = dialectFor(plan.target.type)): CompiledQuery {
  const { select } = groupedSelect(plan, dialect);
  return compiled(sql`select COUNT(*) as ${id('count')} from (${select}) as ${id('r')}`, dialect);
}
