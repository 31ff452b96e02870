/** How a row-level SELECT (over the queried dataset and its joins) reads fields and filters rows. */
import { sql } from 'kysely';
import { raw } from './ident.ts';
import type { PlannedField, QueryPlan } from '../query/types.ts';
import { aggregateExpr, conditionExpr, withGrain, type Reader } from './conditions.ts';
import type { Expr, SqlDialect } from './dialects/types.ts';
import type { Level } from './scans.ts';

/** Reads fields where they are: dimensions and segments through the level, metrics over its home dataset. */
export function levelReader(level: Level, d: SqlDialect): Reader {
  const dimension = (f: PlannedField): Expr => withGrain(f, level.field(f), d);
  return {
    value: (f) => (f.kind === 'metric' ? aggregateExpr(f, dimension) : dimension(f)),
    segment: (c) => (c.dataset === level.home.name ? raw(c.sql) : level.read(c.dataset, sql`(${raw(c.sql)})`, `s:${c.sql}`)),
  };
}

/** WHERE of a row-level SELECT: the home dataset's tenant predicate, the plan's filters, then `more`. */
export function rowWhere(level: Level, plan: QueryPlan, r: Reader, d: SqlDialect, more: Expr[] = []): Expr | null {
  const parts = [level.homeTenant(), plan.where ? conditionExpr(plan.where, d, r) : null, ...more].filter((x): x is Expr => x !== null);
  return parts.length === 0 ? null : sql.join(parts, raw(' and '));
}
