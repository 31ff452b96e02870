import { MysqlAdapter, MysqlIntrospector, MysqlQueryCompiler } from 'kysely';
import { sql } from '../fragment.ts';
import { compileOnlyKysely } from './kysely-compile-only.ts';
import { standardTransform } from './standard.ts';
import type { SqlDialect } from './types.ts';

/** MySQL and MariaDB: no date_trunc, no ILIKE, no NULLS LAST. */
export const mysqlDialect: SqlDialect = {
  name: 'mysql',
  db: compileOnlyKysely(() => new MysqlAdapter(), () => new MysqlQueryCompiler(), (db) => new MysqlIntrospector(db)),
  truncateTime(grain, e) {
    switch (grain) {
      case 'hour': return sql`CAST(DATE_FORMAT(${e}, '%Y-%m-%d %H:00:00') AS DATETIME)`;
      case 'day': return sql`CAST(${e} AS DATE)`;
      // WEEKDAY() is 0 on Monday: ISO weeks, as on the other engines.
      case 'week': return sql`DATE_SUB(CAST(${e} AS DATE), INTERVAL WEEKDAY(${e}) DAY)`;
      case 'month': return sql`CAST(DATE_FORMAT(${e}, '%Y-%m-01') AS DATE)`;
      case 'quarter': return sql`MAKEDATE(YEAR(${e}), 1) + INTERVAL (QUARTER(${e}) - 1) QUARTER`;
      case 'year': return sql`MAKEDATE(YEAR(${e}), 1)`;
    }
  },
  value(type, v) {
    switch (type) {
      case 'date': return sql`CAST(${v} AS DATE)`;
      case 'timestamp': return sql`CAST(${v} AS DATETIME(6))`;
      default: return sql`${v}`;
    }
  },
  transform: standardTransform,
  // A UNION takes each column's type from every branch; a cast NULL (DECIMAL(10,0)) would narrow it.
  typedNull: () => sql`null`,
  tenantEquals(column, tenant) {
    // Default collations ignore case (`ACME` = `acme`): the plain comparison keeps the
    // index usable, the binary one makes it exact.
    return sql`${column} = ${tenant} and ${column} = binary ${tenant}`;
  },
  like(expr, pattern, caseInsensitive) {
    // Backslash is MySQL's default LIKE escape. Default collations ignore case, so the
    // case-sensitive form compares bytes.
    return caseInsensitive
      ? sql`LOWER(${expr}) LIKE LOWER(${pattern})`
      : sql`CAST(${expr} AS BINARY) LIKE CAST(${pattern} AS BINARY)`;
  },
  orderTerms(column, direction, value) {
    // MariaDB refuses `(alias IS NULL)` when the alias is an aggregate (error 1247), so the
    // NULL test repeats the expression; the sort itself still uses the alias.
    return [sql`(${value} IS NULL)`, direction === 'asc' ? sql`${column} asc` : sql`${column} desc`];
  },
};
