/** How a row-level SELECT (over the queried dataset and its joins) reads fields and filters rows. */
import { sql } from './fragment.ts';
import { raw } from './ident.ts';
import type { PlannedField, QueryPlan } from '../query/types.ts';
import { aggregateExpr, conditionExpr, withGrain, type Reader } from './conditions.ts';
import type { Expr, SqlDialect } from './dialects/types.ts';
import type { Level } from './scans.ts';

/** Reads fields where they are: dimensions and segments through the level, metrics over its home dataset. */
class LevelReader implements Reader {
  constructor(private readonly level: Level, private readonly d: SqlDialect) {}

  #dimension(f: PlannedField): Expr {
    return withGrain(f, this.level.field(f), this.d);
  }

  value(f: PlannedField): Expr {
    return f.kind === 'metric' ? aggregateExpr(f, (inner) => this.#dimension(inner)) : this.#dimension(f);
  }

  segment(c: { readonly sql: string; readonly dataset: string }): Expr {
    return c.dataset === this.level.home.name ? raw(c.sql) : this.level.read(c.dataset, sql`(${raw(c.sql)})`, `s:${c.sql}`);
  }
}

export function levelReader(level: Level, d: SqlDialect): Reader {
  return new LevelReader(level, d);
}

/** WHERE of a row-level SELECT: the home dataset's tenant predicate, the plan's filters, then `more`. */
export function rowWhere(level: Level, plan: QueryPlan, r: Reader, d: SqlDialect, more: Expr[] = []): Expr | null {
  const parts = [level.homeTenant(), plan.where ? conditionExpr(plan.where, d, r) : null, ...more].filter((x): x is Expr => x !== null);
  return parts.length === 0 ? null : sql.join(parts, raw(' and '));
}
