import type { Kysely } from 'kysely';
import type { Fragment } from '../fragment.ts';
import type { FieldType, SourceType, TimeGrain } from '../../catalog/types.ts';

/** A piece of SQL (src/sql/fragment.ts): compiled by kysely as one raw node. */
export type Expr = Fragment;

/**
 * What differs between engines, and nothing else. The compiler never tests an engine
 * name; it asks its dialect (kysely's adapters and Malloy's Dialect classes work alike).
 */
export interface SqlDialect {
  readonly name: SourceType;
  /** A compile-only kysely instance (DummyDriver): identifier quoting and placeholders. */
  readonly db: Kysely<Record<string, never>>;
  /** The first instant of the period: a DATE for day..year, a TIMESTAMP for hour. */
  truncateTime(grain: TimeGrain, expr: Expr): Expr;
  /** A bound request value, cast where the engine would otherwise guess its type badly. */
  value(type: 'string' | 'number' | 'boolean' | 'date' | 'timestamp', v: string | number | boolean): Expr;
  /** A canonical function on a field: LOWER/UPPER, EXTRACT(YEAR|MONTH|DAY), CAST AS DATE. */
  transform(kind: 'lower' | 'upper' | 'year' | 'month' | 'day' | 'date', expr: Expr): Expr;
  /**
   * A NULL standing for a value of `type` in one branch of a UNION ALL, where an untyped
   * NULL would not line up with the other branches (PostgreSQL types two NULLs as text).
   */
  typedNull(type: FieldType): Expr;
  /**
   * A tenant column equal to the tenant id, byte for byte: a collation that ignores case
   * must not hand `acme` the rows of `ACME`.
   */
  tenantEquals(column: Expr, tenant: string): Expr;
  /** `expr LIKE pattern` with `\` escaping, optionally case-insensitive. */
  like(expr: Expr, pattern: string, caseInsensitive: boolean): Expr;
  /**
   * ORDER BY terms for one output column, with NULLs last in both directions. `value` is
   * the column's expression, for engines that cannot test an aggregate's alias for NULL.
   */
  orderTerms(column: Expr, direction: 'asc' | 'desc', value: Expr): Expr[];
}
