import { sql } from 'kysely';
import type { TimeGrain } from '../../catalog/types.ts';
import type { Expr, SqlDialect } from './types.ts';

/** Standard-SQL pieces that more than one engine shares. */
export function quoteDoubleQuoted(id: string): string {
  return `"${id.replace(/"/g, '""')}"`;
}

/** date_trunc is ISO (Monday) for weeks in both PostgreSQL and DuckDB. */
export function truncateWithDateTrunc(grain: TimeGrain, expr: Expr): Expr {
  const unit = sql.lit(grain);
  return grain === 'hour' ? sql`date_trunc(${unit}, ${expr})` : sql`CAST(date_trunc(${unit}, ${expr}) AS DATE)`;
}

/** NULLS LAST is standard SQL; PostgreSQL and DuckDB both take it. */
export function orderNullsLast(column: Expr, direction: 'asc' | 'desc'): Expr[] {
  return [direction === 'asc' ? sql`${column} asc nulls last` : sql`${column} desc nulls last`];
}

/** LOWER/UPPER, EXTRACT and CAST AS DATE read the same on all three engines. */
export const standardTransform: SqlDialect['transform'] = (kind, e) => {
  switch (kind) {
    case 'lower': return sql`LOWER(${e})`;
    case 'upper': return sql`UPPER(${e})`;
    case 'date': return sql`CAST(${e} AS DATE)`;
    default: return sql`EXTRACT(${sql.raw(kind.toUpperCase())} FROM ${e})`;
  }
};

/** ILIKE / LIKE with an explicit backslash escape (PostgreSQL, DuckDB). */
export const likeWithEscape: SqlDialect['like'] = (expr, pattern, caseInsensitive) =>
  caseInsensitive ? sql`${expr} ILIKE ${pattern} ESCAPE '\\'` : sql`${expr} LIKE ${pattern} ESCAPE '\\'`;
