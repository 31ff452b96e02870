import { sql, type RawBuilder, type SqlBool } from 'kysely';
import type { Dataset } from '../catalog/types.ts';
import { TENANT_PLACEHOLDER } from '../catalog/rules.ts';
import { GatewayError } from '../errors.ts';
import type { CompiledQuery, QueryPlan, TenantScope } from '../query/types.ts';
import { conditionExpr, fieldExpr } from './conditions.ts';
import { dialectFor } from './dialects/index.ts';
import type { Expr, SqlDialect } from './dialects/types.ts';

/**
 * Fail closed, second time: the planner adds the tenant scope, and the compiler refuses
 * any plan whose scope does not fit the dataset's layout. One mistake needs two bugs.
 */
/** The plan's scope and pool fit its dataset's layout; run before any SQL of the plan is used. */
export function assertScopeFits({ dataset: ds, scope, target }: QueryPlan): void {
  const ok =
    ds.layout.kind === 'global' ? scope.kind === 'global'
      : ds.layout.kind === 'shared' ? scope.kind === 'tenant' || scope.kind === 'all-tenants'
        : scope.kind === 'tenant';
  // In a database per tenant the pool is the isolation, so it must be the scope's tenant's.
  const tenant = scope.kind === 'tenant' ? scope.tenant : null;
  const poolOk = ds.source === TENANT_PLACEHOLDER ? target.source === tenant && (target.tenant === null || target.tenant === tenant)
    : ds.layout.kind === 'database' ? target.tenant === tenant : target.tenant === null;
  if (!ok || !poolOk) {
    throw new GatewayError('internal.scope_mismatch', 500, 'The query could not be scoped to a tenant.');
  }
}

/** The schema `{tenant}` stands for: only a tenant's scope has one (fail closed otherwise). */
function tenantSchemaOf(scope: TenantScope): string {
  if (scope.kind !== 'tenant') throw new GatewayError('internal.scope_mismatch', 500, 'The query could not be scoped to a tenant.');
  return scope.schema;
}

/** `{tenant}` in trusted SQL becomes the tenant's schema, quoted by kysely as any identifier. */
function withTenantSchema(text: string, scope: TenantScope): Expr {
  if (!text.includes(TENANT_PLACEHOLDER)) return sql.raw(text);
  return sql.join(text.split(TENANT_PLACEHOLDER).map((part) => sql.raw(part)), sql.id(tenantSchemaOf(scope)));
}

function fromExpr(ds: Dataset, scope: TenantScope): Expr {
  if (ds.table) {
    const schema = ds.table.schema === TENANT_PLACEHOLDER ? tenantSchemaOf(scope) : ds.table.schema;
    return schema === null ? sql.id(ds.table.name) : sql.id(schema, ds.table.name);
  }
  return sql`(${withTenantSchema(ds.sql!, scope)})`;
}

const bool = (e: Expr): RawBuilder<SqlBool> => e as RawBuilder<SqlBool>;

/** The scoped, filtered, grouped SELECT of a plan, before ordering and limits. */
function groupedSelect(plan: QueryPlan, d: SqlDialect) {
  const { dataset: ds, scope } = plan;
  assertScopeFits(plan);
  const fields = [...plan.dimensions, ...plan.metrics];
  let q = d.db.selectFrom(sql`${fromExpr(ds, scope)}`.as('t'))
    .select(fields.map((f) => fieldExpr(f, d).as(f.alias)));

  if (ds.layout.kind === 'shared' && scope.kind === 'tenant') {
    q = q.where(sql<SqlBool>`${sql.id('t', ds.layout.tenantColumn)} = ${scope.tenant}`);
  }
  if (plan.where) q = q.where(bool(conditionExpr(plan.where, d)));
  // A metric filter needs GROUP BY even when no metric is selected: DISTINCT has no HAVING.
  if (plan.dimensions.length > 0 && (plan.metrics.length > 0 || plan.having)) {
    q = q.groupBy(plan.dimensions.map((_, i) => sql.raw(String(i + 1))));
  } else if (plan.metrics.length === 0) {
    q = q.distinct();
  }
  if (plan.having) q = q.having(bool(conditionExpr(plan.having, d)));
  return q;
}

/** QueryPlan -> parameterised SQL for the plan's engine. Pure; no I/O. */
export function compilePlan(plan: QueryPlan, dialect: SqlDialect = dialectFor(plan.target.type)): CompiledQuery {
  const d = dialect;
  let q = groupedSelect(plan, d);
  const byAlias = new Map([...plan.dimensions, ...plan.metrics].map((f) => [f.alias, f]));
  for (const o of plan.orderBy) {
    const f = byAlias.get(o.alias)!; // the planner orders by selected fields only
    // Dimensions are tested through their alias (valid with GROUP BY ordinals and DISTINCT);
    // metrics through their aggregate expression.
    const value = f.kind === 'metric' ? fieldExpr(f, d) : sql.id(o.alias);
    for (const term of d.orderTerms(sql.id(o.alias), o.direction, value)) q = q.orderBy(term);
  }
  // One row more than asked tells the caller the result was cut (meta.truncated).
  q = q.limit(plan.limit + 1);
  if (plan.offset > 0) q = q.offset(plan.offset);
  const c = q.compile();
  return Object.freeze({ sql: c.sql, parameters: Object.freeze([...c.parameters]) });
}

/** How many rows the plan's result has, whatever its limit: `SELECT COUNT(*)` over it. */
export function compileCount(plan: QueryPlan, dialect: SqlDialect = dialectFor(plan.target.type)): CompiledQuery {
  const inner = groupedSelect(plan, dialect);
  const c = dialect.db.selectFrom(inner.as('r')).select(sql<number>`COUNT(*)`.as('count')).compile();
  return Object.freeze({ sql: c.sql, parameters: Object.freeze([...c.parameters]) });
}
