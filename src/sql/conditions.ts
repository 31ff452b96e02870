import { sql } from 'kysely';
import type { FieldType } from '../catalog/types.ts';
import { TRANSFORMED_TYPE, type Condition, type FieldTransform, type PlannedField, type ScalarValue } from '../query/types.ts';
import type { Expr, SqlDialect } from './dialects/types.ts';

/** The SQL of a field: its trusted expression, a quoted column, and any time grain. */
export function fieldExpr(f: PlannedField, dialect: SqlDialect): Expr {
  if (f.aggregateOf) {
    const inner = fieldExpr(f.aggregateOf.field, dialect);
    return f.aggregateOf.fn === 'COUNT_DISTINCT' ? sql`COUNT(DISTINCT ${inner})` : sql`${sql.raw(f.aggregateOf.fn)}(${inner})`;
  }
  const base = f.column !== null ? sql.id(f.column) : sql`${sql.raw(f.sql)}`;
  if (f.grain === null) return base;
  return dialect.truncateTime(f.grain, f.column !== null ? base : sql`(${base})`);
}

function escapeLike(v: string): string {
  return v.replace(/[\\%_]/g, (c) => `\\${c}`);
}

/** How a value is bound for a field of this type (integers bind as numbers). */
function valueType(t: FieldType): 'string' | 'number' | 'boolean' | 'date' | 'timestamp' {
  return t === 'integer' ? 'number' : t;
}

function compare(f: PlannedField, op: string, values: readonly ScalarValue[], d: SqlDialect, caseInsensitive: boolean, transform?: FieldTransform): Expr {
  const e = transform ? d.transform(transform, fieldExpr(f, d)) : fieldExpr(f, d);
  const type = valueType(transform ? TRANSFORMED_TYPE[transform] : f.type);
  const v = (i: number): Expr => d.value(type, values[i]!);
  const list = (): Expr => sql.join(values.map((_, i) => v(i)));
  switch (op) {
    case 'eq': return sql`${e} = ${v(0)}`;
    // ne / not_in keep NULLs, as in OData and Cube: "not EU" includes rows with no region.
    case 'ne': return sql`(${e} <> ${v(0)} OR ${e} IS NULL)`;
    case 'gt': return sql`${e} > ${v(0)}`;
    case 'gte': return sql`${e} >= ${v(0)}`;
    case 'lt': return sql`${e} < ${v(0)}`;
    case 'lte': return sql`${e} <= ${v(0)}`;
    case 'in': return sql`${e} IN (${list()})`;
    case 'not_in': return sql`(${e} NOT IN (${list()}) OR ${e} IS NULL)`;
    case 'between': return sql`${e} BETWEEN ${v(0)} AND ${v(1)}`;
    case 'contains': return d.like(e, `%${escapeLike(String(values[0]))}%`, caseInsensitive);
    case 'starts_with': return d.like(e, `${escapeLike(String(values[0]))}%`, caseInsensitive);
    case 'ends_with': return d.like(e, `%${escapeLike(String(values[0]))}`, caseInsensitive);
    case 'is_null': return sql`${e} IS NULL`;
    case 'is_not_null': return sql`${e} IS NOT NULL`;
    default: throw new Error(`unknown operator ${op}`);
  }
}

/** A condition tree as one parenthesised boolean expression. */
export function conditionExpr(c: Condition, d: SqlDialect, caseInsensitive = true): Expr {
  switch (c.kind) {
    case 'and':
    case 'or':
      // An empty `and` is true and an empty `or` false, as in logic (and OData's `true`/`false`).
      if (c.items.length === 0) return sql.raw(c.kind === 'and' ? '(1 = 1)' : '(1 = 0)');
      return sql`(${sql.join(c.items.map((i) => conditionExpr(i, d, caseInsensitive)), sql.raw(c.kind === 'and' ? ' AND ' : ' OR '))})`;
    case 'not':
      return sql`(NOT ${conditionExpr(c.item, d, caseInsensitive)})`;
    case 'segment':
      return sql`(${sql.raw(c.sql)})`;
    case 'compare':
      return sql`(${compare(c.field, c.op, c.values, d, caseInsensitive && !c.caseSensitive, c.transform)})`;
  }
}
