import { PostgresAdapter, PostgresIntrospector, PostgresQueryCompiler, sql } from 'kysely';
import { compileOnlyKysely } from './kysely-compile-only.ts';
import { orderNullsLast, quoteDoubleQuoted, truncateWithDateTrunc } from './postgres.ts';
import type { SqlDialect } from './types.ts';

/** DuckDB speaks PostgreSQL's quoting and `$n` placeholders, so kysely's PG compiler fits. */
export const duckdbDialect: SqlDialect = {
  name: 'duckdb',
  db: compileOnlyKysely(() => new PostgresAdapter(), () => new PostgresQueryCompiler(), (db) => new PostgresIntrospector(db)),
  quoteIdent: quoteDoubleQuoted,
  truncateTime: truncateWithDateTrunc,
  value(type, v) {
    switch (type) {
      case 'number': return sql`CAST(${v} AS DOUBLE)`;
      case 'date': return sql`CAST(${v} AS DATE)`;
      case 'timestamp': return sql`CAST(${v} AS TIMESTAMP)`;
      case 'boolean': return sql`CAST(${v} AS BOOLEAN)`;
      default: return sql`CAST(${v} AS VARCHAR)`;
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
