import { PostgresAdapter, PostgresIntrospector, PostgresQueryCompiler, sql } from 'kysely';
import { compileOnlyKysely } from './kysely-compile-only.ts';
import { likeWithEscape, orderNullsLast, quoteDoubleQuoted, standardTransform, truncateWithDateTrunc } from './standard.ts';
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
  transform: standardTransform,
  like: likeWithEscape,
  orderTerms: orderNullsLast,
};
