import { sql } from './fragment.ts';
import { raw } from './ident.ts';
import type { FieldType } from '../catalog/types.ts';
import { TRANSFORMED_TYPE, type Condition, type FieldTransform, type PlannedField, type ScalarValue } from '../query/types.ts';
import type { Expr, SqlDialect } from './dialects/types.ts';

/**
 * How one SELECT reads the plan's fields: a field's value (a dimension with its time grain,
 * a metric's aggregate) and a segment's condition. Row-level SELECTs read them from their
 * datasets (src/sql/scans.ts); the SELECT that combines separately aggregated metrics reads
 * them from their columns.
 */
export interface Reader {
  value(f: PlannedField): Expr;
  segment(c: { readonly sql: string; readonly dataset: string }): Expr;
}

/** A dimension's value: `base` (its expression as this SELECT reads it) truncated to its grain. */
export function withGrain(f: PlannedField, base: Expr, dialect: SqlDialect): Expr {
  if (f.grain === null) return base;
  return dialect.truncateTime(f.grain, f.column !== null ? base : sql`(${base})`);
}

/** A metric over the home dataset's rows: its trusted aggregate, or an aggregate of a dimension (OData `$apply`). */
export function aggregateExpr(f: PlannedField, dimension: (inner: PlannedField) => Expr): Expr {
  if (f.aggregateOf) {
    const inner = dimension(f.aggregateOf.field);
    return f.aggregateOf.fn === 'COUNT_DISTINCT' ? sql`COUNT(DISTINCT ${inner})` : sql`${raw(f.aggregateOf.fn)}(${inner})`;
  }
  return sql`${raw(f.sql)}`;
}

function escapeLike(v: string): string {
  return v.replace(/[\\%_]/g, (c) => `\\${c}`);
}

/** How a value is bound for a field of this type (integers bind as numbers). */
function valueType(t: FieldType): 'string' | 'number' | 'boolean' | 'date' | 'timestamp' {
  return t === 'integer' ? 'number' : t;
}

function compare(e0: Expr, f: PlannedField, op: string, values: readonly ScalarValue[], d: SqlDialect, caseInsensitive: boolean, transform?: FieldTransform): Expr {
  const e = transform ? d.transform(transform, e0) : e0;
  const type = valueType(transform ? TRANSFORMED_TYPE[transform] : f.type);
  switch (op) {
    case 'eq': return sql`${e} = ${d.value(type, values[0]!)}`;
    // ne / not_in keep NULLs, as in OData and Cube: "not EU" includes rows with no region.
    case 'ne': return sql`(${e} <> ${d.value(type, values[0]!)} OR ${e} IS NULL)`;
    case 'gt': return sql`${e} > ${d.value(type, values[0]!)}`;
    case 'gte': return sql`${e} >= ${d.value(type, values[0]!)}`;
    case 'lt': return sql`${e} < ${d.value(type, values[0]!)}`;
    case 'lte': return sql`${e} <= ${d.value(type, values[0]!)}`;
    case 'in': return sql`${e} IN (${sql.join(values.map((x) => d.value(type, x)))})`;
    case 'not_in': return sql`(${e} NOT IN (${sql.join(values.map((x) => d.value(type, x)))}) OR ${e} IS NULL)`;
    case 'between': return sql`${e} BETWEEN ${d.value(type, values[0]!)} AND ${d.value(type, values[1]!)}`;
    case 'contains': return d.like(e, `%${escapeLike(String(values[0]))}%`, caseInsensitive);
    case 'starts_with': return d.like(e, `${escapeLike(String(values[0]))}%`, caseInsensitive);
    case 'ends_with': return d.like(e, `%${escapeLike(String(values[0]))}`, caseInsensitive);
    case 'is_null': return sql`${e} IS NULL`;
    case 'is_not_null': return sql`${e} IS NOT NULL`;
    default: throw new Error(`unknown operator ${op}`);
  }
}

/** A condition tree as one parenthesised boolean expression, its fields read by `r`. */
export function conditionExpr(c: Condition, d: SqlDialect, r: Reader): Expr {
  switch (c.kind) {
    case 'and':
    case 'or':
      // An empty `and` is true and an empty `or` false, as in logic (and OData's `true`/`false`).
      if (c.items.length === 0) return raw(c.kind === 'and' ? '(1 = 1)' : '(1 = 0)');
      return sql`(${sql.join(c.items.map((i) => conditionExpr(i, d, r)), raw(c.kind === 'and' ? ' AND ' : ' OR '))})`;
    case 'not':
      return sql`(NOT ${conditionExpr(c.item, d, r)})`;
    case 'segment':
      return sql`(${r.segment(c)})`;
    case 'compare':
      // contains/starts_with/ends_with ignore case unless the query asked to match it.
      return sql`(${compare(r.value(c.field), c.field, c.op, c.values, d, !c.caseSensitive, c.transform)})`;
  }
}
