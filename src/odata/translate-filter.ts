import type { Dataset } from '../catalog/types.ts';
import { badQuery } from '../errors.ts';
import { resolveField } from '../query/fields.ts';
import { TRANSFORMED_TYPE, type Condition, type FieldTransform, type FilterOp, type PlannedField, type Principal, type ScalarValue } from '../query/types.ts';
import { checkFilterValues } from '../query/values.ts';
import type { Expr, Literal } from './ast.ts';
import type { EntitySet } from './model.ts';

/**
 * $filter (and $apply's filter()) -> the planner's condition trees. Every construct that
 * cannot be translated exactly is a 400 naming its position: never a silently wider result.
 */
export function unsupported(option: string, pos: number, what: string): never {
  throw badQuery('odata_unsupported', `${option}: ${what} (at position ${pos}) cannot be translated; semgate supports comparisons of a property with a literal, in, and/or/not, contains/startswith/endswith, tolower/toupper, year/month/day/date.`, { field: option });
}

/** Properties the expression may name beyond the entity set's own (aliases from $apply). */
export type Scope = (name: string, pos: number) => PlannedField;

export function entityScope(set: EntitySet, ds: Dataset, p: Principal, option: string): Scope {
  return (name, pos) => {
    const prop = set.byName.get(name);
    if (!prop || prop.field === null) {
      throw badQuery('unknown_field', `${option}: '${set.name}' has no property '${name}' (at position ${pos}).`, { field: option });
    }
    return resolveField(ds, p, prop.field, option);
  };
}

const COMPARISONS: Record<string, FilterOp> = { eq: 'eq', ne: 'ne', gt: 'gt', ge: 'gte', lt: 'lt', le: 'lte' };
const FLIPPED: Record<string, string> = { eq: 'eq', ne: 'ne', gt: 'lt', ge: 'le', lt: 'gt', le: 'ge' };
const TRANSFORMS: Record<string, FieldTransform> = { tolower: 'lower', toupper: 'upper', year: 'year', month: 'month', day: 'day', date: 'date' };

interface Operand { field: PlannedField; transform: FieldTransform | undefined }

function operand(e: Expr, scope: Scope, option: string): Operand | null {
  if (e.kind === 'property') {
    if (e.path.length !== 1) unsupported(option, e.pos, `the path '${e.path.join('/')}'`);
    return { field: scope(e.path[0]!, e.pos), transform: undefined };
  }
  if (e.kind === 'call' && TRANSFORMS[e.name] && e.args.length === 1 && e.args[0]!.kind === 'property') {
    const inner = operand(e.args[0]!, scope, option)!;
    const transform = TRANSFORMS[e.name]!;
    const t = inner.field.type;
    const ok = transform === 'lower' || transform === 'upper' ? t === 'string' : t === 'date' || t === 'timestamp';
    if (!ok) unsupported(option, e.pos, `${e.name}() of a ${t} property`);
    return { field: inner.field, transform };
  }
  // Name the function semgate lacks rather than calling `length(x) eq 2` a comparison of two values.
  if (e.kind === 'call' && !TRANSFORMS[e.name]) unsupported(option, e.pos, `the function ${e.name}()`);
  return null;
}

/** A literal as the JS value the planner's type checks expect. */
function literalValue(l: Literal, option: string): ScalarValue {
  switch (l.type) {
    case 'string': case 'date': case 'dateTimeOffset': return String(l.value);
    case 'int': case 'decimal': case 'double':
      if (typeof l.value !== 'number' || !Number.isFinite(l.value)) unsupported(option, l.pos, `the number ${l.raw}`);
      return l.value;
    case 'boolean': return l.value as boolean;
    default: return unsupported(option, l.pos, `a ${l.type} literal`);
  }
}

function compare(field: PlannedField, transform: FieldTransform | undefined, op: FilterOp, lits: Literal[], option: string, caseSensitive: boolean): Condition {
  // Type checks run against what is compared: year(order_date) is an integer.
  const checked = transform ? { ...field, type: TRANSFORMED_TYPE[transform] } : field;
  const values = checkFilterValues(checked, op, lits.map((l) => literalValue(l, option)), option);
  return Object.freeze({ kind: 'compare' as const, field, op, values: Object.freeze(values), ...(transform && { transform }), caseSensitive });
}

export function translateFilter(e: Expr, scope: Scope, option: string): Condition {
  switch (e.kind) {
    case 'binary': {
      if (e.op === 'and' || e.op === 'or') {
        return Object.freeze({ kind: e.op, items: Object.freeze([translateFilter(e.left, scope, option), translateFilter(e.right, scope, option)]) });
      }
      const op = COMPARISONS[e.op];
      if (!op) return unsupported(option, e.pos, `the operator '${e.op}'`);
      let [left, right, opName]: [Expr, Expr, string] = [e.left, e.right, e.op];
      if (left.kind === 'literal' && right.kind !== 'literal') [left, right, opName] = [right, left, FLIPPED[e.op]!];
      const target = operand(left, scope, option);
      if (!target || right.kind !== 'literal') return unsupported(option, e.pos, 'a comparison that is not between a property and a literal');
      if (right.type === 'null') {
        if (opName === 'eq' || opName === 'ne') {
          return Object.freeze({ kind: 'compare' as const, field: target.field, op: opName === 'eq' ? 'is_null' as const : 'is_not_null' as const, values: Object.freeze([]), ...(target.transform && { transform: target.transform }) });
        }
        return unsupported(option, right.pos, `'${opName} null'`);
      }
      return compare(target.field, target.transform, COMPARISONS[opName]!, [right], option, true);
    }
    case 'unary':
      if (e.op !== 'not') return unsupported(option, e.pos, 'negation of a number');
      return Object.freeze({ kind: 'not' as const, item: translateFilter(e.operand, scope, option) });
    case 'in': {
      const target = operand(e.left, scope, option);
      if (!target) return unsupported(option, e.pos, "an 'in' whose left side is not a property");
      const lits = e.list.map((x) => (x.kind === 'literal' && x.type !== 'null' ? x : unsupported(option, x.pos, 'a list item that is not a literal')));
      return compare(target.field, target.transform, 'in', lits, option, true);
    }
    case 'call': {
      const like = { contains: 'contains', startswith: 'starts_with', endswith: 'ends_with' }[e.name] as FilterOp | undefined;
      if (like && e.args.length === 2) {
        const target = operand(e.args[0]!, scope, option);
        const lit = e.args[1]!;
        if (!target || lit.kind !== 'literal' || lit.type !== 'string') return unsupported(option, e.pos, `${e.name}() of something other than a property and a string`);
        return compare(target.field, target.transform, like, [lit], option, true);
      }
      return unsupported(option, e.pos, `the function ${e.name}()`);
    }
    case 'property': {
      const field = scope(e.path[0]!, e.pos);
      if (e.path.length !== 1 || field.type !== 'boolean') return unsupported(option, e.pos, `the property '${e.path.join('/')}' used as a condition`);
      return Object.freeze({ kind: 'compare' as const, field, op: 'eq' as const, values: Object.freeze([true]) });
    }
    case 'literal':
      if (e.type === 'boolean') {
        // `true` / `false` alone: a condition that is always or never met.
        return Object.freeze({ kind: 'segment' as const, sql: e.value ? '1 = 1' : '1 = 0' });
      }
      return unsupported(option, e.pos, `the literal ${e.raw} used as a condition`);
    default:
      return unsupported(option, e.pos, (e as { what?: string }).what ?? 'this expression');
  }
}

/** Whether a condition reads metrics (HAVING) or dimensions (WHERE); mixing both is refused. */
export function conditionKind(c: Condition, option: string): 'dimension' | 'metric' | 'none' {
  switch (c.kind) {
    case 'segment': return 'none';
    case 'compare': return c.field.kind;
    case 'not': return conditionKind(c.item, option);
    default: {
      const kinds = new Set(c.items.map((i) => conditionKind(i, option)).filter((k) => k !== 'none'));
      if (kinds.size > 1) {
        throw badQuery('odata_unsupported', `${option}: 'or' between a metric and a dimension cannot be translated; filter each with 'and'.`, { field: option });
      }
      return kinds.size === 0 ? 'none' : [...kinds][0]!;
    }
  }
}

/** Splits top-level 'and' items into WHERE (dimensions) and HAVING (metrics). */
export function splitConditions(c: Condition, option: string): { where: Condition[]; having: Condition[] } {
  const flatten = (x: Condition): Condition[] => (x.kind === 'and' ? x.items.flatMap(flatten) : [x]);
  const items = flatten(c);
  const out = { where: [] as Condition[], having: [] as Condition[] };
  for (const i of items) (conditionKind(i, option) === 'metric' ? out.having : out.where).push(i);
  return out;
}
