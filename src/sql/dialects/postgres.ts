import { PostgresAdapter, PostgresIntrospector, PostgresQueryCompiler, sql } from 'kysely';
import { compileOnlyKysely } from './kysely-compile-only.ts';
import { likeWithEscape, orderNullsLast, quoteDoubleQuoted, standardTransform, truncateWithDateTrunc } from './standard.ts';
import type { SqlDialect } from './types.ts';

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
  transform: standardTransform,
  like: likeWithEscape,
  orderTerms: orderNullsLast,
};
