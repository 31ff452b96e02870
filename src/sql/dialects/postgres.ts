import { PostgresAdapter, PostgresIntrospector, PostgresQueryCompiler, sql } from 'kysely';
import type { TimeGrain } from '../../catalog/types.ts';
import { compileOnlyKysely } from './kysely-compile-only.ts';
import type { Expr, SqlDialect } from './types.ts';

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

export const postgresDialect: SqlDialect = {
  name: 'postgres',
  db: compileOnlyKysely(() => new PostgresAdapter(), () => new PostgresQueryCompiler(), (db) => new PostgresIntrospector(db)),
  quoteIdent: quoteDoubleQuoted,
  truncateTime: truncateWithDateTrunc,
  value(type, v) {
    switch (type) {
      // A bare $n next to a bigint column would be inferred as bigint and reject 2.5.
      case 'number': return sql`CAST(${v} AS NUMERIC)`;
      case 'date': return sql`CAST(${v} AS DATE)`;
      case 'timestamp': return sql`CAST(${v} AS TIMESTAMP)`;
      case 'boolean': return sql`CAST(${v} AS BOOLEAN)`;
      default: return sql`CAST(${v} AS TEXT)`;
    }
  },
  transform(kind, e) {
    switch (kind) {
      case 'lower': return sql`LOWER(${e})`;
      case 'upper': return sql`UPPER(${e})`;
      case 'date': return sql`CAST(${e} AS DATE)`;
      default: return sql`EXTRACT(${sql.raw(kind.toUpperCase())} FROM ${e})`;
    }
  },
  like(expr, pattern, caseInsensitive) {
    return caseInsensitive
      ? sql`${expr} ILIKE ${pattern} ESCAPE '\\'`
      : sql`${expr} LIKE ${pattern} ESCAPE '\\'`;
  },
  orderTerms: orderNullsLast,
};
