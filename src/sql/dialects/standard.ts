/** Standard-SQL pieces that more than one engine shares, and the PostgreSQL family built from them. */
import { PostgresAdapter, PostgresIntrospector, PostgresQueryCompiler } from 'kysely';
import { sql } from '../fragment.ts';
import { compileOnlyKysely } from './kysely-compile-only.ts';
import type { FieldType, TimeGrain } from '../../catalog/types.ts';
import type { Expr, SqlDialect } from './types.ts';

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

/**
 * PostgreSQL's SQL, which DuckDB speaks too (double quotes, `$n` placeholders, so kysely's
 * PG compiler fits): the two differ only in the type names a bound number and text cast to.
 */
export function postgresFamily(name: 'postgres' | 'duckdb', types: { readonly number: string; readonly text: string; readonly typedNulls: boolean }): SqlDialect {
  const number = sql.raw(types.number);
  const text = sql.raw(types.text);
  const NULL_TYPES: Record<FieldType, string> = { number: 'NUMERIC', integer: 'BIGINT', string: 'TEXT', boolean: 'BOOLEAN', date: 'DATE', timestamp: 'TIMESTAMP' };
  return {
    name,
    db: compileOnlyKysely(() => new PostgresAdapter(), () => new PostgresQueryCompiler(), (db) => new PostgresIntrospector(db)),
    truncateTime: truncateWithDateTrunc,
    value(type, v) {
      switch (type) {
        case 'number': return sql`CAST(${v} AS ${number})`;
        case 'date': return sql`CAST(${v} AS DATE)`;
        case 'timestamp': return sql`CAST(${v} AS TIMESTAMP)`;
        case 'boolean': return sql`CAST(${v} AS BOOLEAN)`;
        default: return sql`CAST(${v} AS ${text})`;
      }
    },
    transform: standardTransform,
    typedNull: (type) => (types.typedNulls ? sql`CAST(NULL AS ${sql.raw(NULL_TYPES[type])})` : sql`null`),
    // Text equality is exact in PostgreSQL and DuckDB.
    tenantEquals: (column, tenant) => sql`${column} = ${tenant}`,
    like: likeWithEscape,
    orderTerms: orderNullsLast,
  };
}
