import { badQuery } from '../errors.ts';
import type { FieldTransform, FilterOp, QueryFilter } from '../query/types.ts';
import type { Expr, Literal } from './ast.ts';
import type { ODataProperty } from './model.ts';

/**
 * $filter (and $apply's filter()) -> the query value's filter trees. Only the OData side
 * is decided here (names, literals, which constructs exist); types, roles and values are
 * the planner's, as for every front door. Every construct that cannot be translated
 * exactly is a 400 naming its position: never a silently wider result.
 */
export function unsupported(option: string, pos: number, what: string): never {
  throw badQuery('odata_unsupported', `${option}: ${what} (at position ${pos}) cannot be translated; semgate supports comparisons of a property with a literal, in, and/or/not, contains/startswith/endswith, tolower/toupper, year/month/day/date.`, { field: option });
}

/** A name in an option -> the output or field it stands for (`field`: what the query value says). */
export interface NamedProperty {
  readonly field: string;
  readonly prop: ODataProperty;
}
export type Names = (name: string, pos: number) => NamedProperty;

/** Where each part of the query value came from: its option and the offset in that option's text. */
export type Origins = Map<string, { readonly option: string; readonly pos: number }>;

export interface FilterContext {
  readonly names: Names;
  readonly option: string;
  readonly origins: Origins;
}

const COMPARISONS: Record<string, FilterOp> = { eq: 'eq', ne: 'ne', gt: 'gt', ge: 'gte', lt: 'lt', le: 'lte' };
const FLIPPED: Record<string, string> = { eq: 'eq', ne: 'ne', gt: 'lt', ge: 'le', lt: 'gt', le: 'ge' };
const TRANSFORMS: Record<string, FieldTransform> = { tolower: 'lower', toupper: 'upper', year: 'year', month: 'month', day: 'day', date: 'date' };

/** `valueType`: the type the compared value has (a date property's, or year()'s number). */
interface Operand { field: string; transform: FieldTransform | undefined; valueType: string | undefined }

function operand(e: Expr, ctx: FilterContext): Operand | null {
  const { option } = ctx;
  if (e.kind === 'property') {
    if (e.path.length !== 1) unsupported(option, e.pos, `the path '${e.path.join('/')}'`);
    const { field, prop } = ctx.names(e.path[0]!, e.pos);
    return { field, transform: undefined, valueType: prop.valueType };
  }
  if (e.kind === 'call' && TRANSFORMS[e.name] && e.args.length === 1 && e.args[0]!.kind === 'property') {
    const arg = e.args[0]!;
    if (arg.kind !== 'property') return null;
    if (arg.path.length !== 1) unsupported(option, arg.pos, `the path '${arg.path.join('/')}'`);
    const { field, prop } = ctx.names(arg.path[0]!, arg.pos);
    const transform = TRANSFORMS[e.name]!;
    const t = prop.valueType;
    const ok = transform === 'lower' || transform === 'upper' ? t === 'string' : t === 'date' || t === 'timestamp';
    if (!ok) unsupported(option, e.pos, `${e.name}() of a ${t} property`);
    return { field, transform, valueType: transform === 'date' ? 'date' : transform === 'lower' || transform === 'upper' ? 'string' : 'integer' };
  }
  // Name the function semgate lacks rather than calling `length(x) eq 2` a comparison of two values.
  if (e.kind === 'call' && !TRANSFORMS[e.name]) unsupported(option, e.pos, `the function ${e.name}()`);
  return null;
}

const MIDNIGHT = /^(\d{4}-\d\d-\d\d)T00:00:00(?:\.0*)?Z$/;

/** A literal as the JSON value a REST client would send for it (compared with `target`). */
function literalValue(l: Literal, option: string, target?: Operand): string | number | boolean {
  // v2 has no date type: SAP's clients send a date column's value as datetime'2024-01-01T00:00:00'.
  // At midnight it means the date; any other time of day on a date is ambiguous.
  if (l.legacy === 'datetime' && target?.valueType === 'date') {
    const day = MIDNIGHT.exec(String(l.value));
    if (day) return day[1]!;
    throw badQuery('odata_ambiguous_literal', `${option}: ${l.raw} (at position ${l.pos}) is ambiguous: the property is a date, and this datetime is not at midnight; write the date, e.g. ${String(l.value).slice(0, 10)}.`, { field: option });
  }
  switch (l.type) {
    case 'string': case 'date': case 'dateTimeOffset': return String(l.value);
    case 'int': case 'decimal': case 'double':
      if (typeof l.value !== 'number' || !Number.isFinite(l.value)) unsupported(option, l.pos, `the number ${l.raw}`);
      return l.value;
    case 'boolean': return l.value as boolean;
    default: return unsupported(option, l.pos, `a ${l.type} literal`);
  }
}

function leaf(target: Operand, op: FilterOp, values: (string | number | boolean)[], caseSensitive = false): QueryFilter {
  return {
    field: target.field, op, ...(values.length > 0 && { values }),
    ...(target.transform && { transform: target.transform }), ...(caseSensitive && { case_sensitive: true }),
  };
}

/** An OData boolean expression as one filter of the query value; `path` is where it goes in it. */
export function translateFilter(e: Expr, ctx: FilterContext, path: string): QueryFilter {
  const { option } = ctx;
  ctx.origins.set(path, { option, pos: e.pos });
  switch (e.kind) {
    case 'binary': {
      if (e.op === 'and' || e.op === 'or') {
        const items = [translateFilter(e.left, ctx, `${path}.${e.op}[0]`), translateFilter(e.right, ctx, `${path}.${e.op}[1]`)];
        return e.op === 'and' ? { and: items } : { or: items };
      }
      const op = COMPARISONS[e.op];
      if (!op) return unsupported(option, e.pos, `the operator '${e.op}'`);
      let [left, right, opName]: [Expr, Expr, string] = [e.left, e.right, e.op];
      if (left.kind === 'literal' && right.kind !== 'literal') [left, right, opName] = [right, left, FLIPPED[e.op]!];
      const target = operand(left, ctx);
      if (!target || right.kind !== 'literal') return unsupported(option, e.pos, 'a comparison that is not between a property and a literal');
      if (right.type === 'null') {
        if (opName === 'eq' || opName === 'ne') return leaf(target, opName === 'eq' ? 'is_null' : 'is_not_null', []);
        return unsupported(option, right.pos, `'${opName} null'`);
      }
      return leaf(target, COMPARISONS[opName]!, [literalValue(right, option, target)]);
    }
    case 'unary':
      if (e.op !== 'not') return unsupported(option, e.pos, 'negation of a number');
      return { not: translateFilter(e.operand, ctx, `${path}.not`) };
    case 'in': {
      const target = operand(e.left, ctx);
      if (!target) return unsupported(option, e.pos, "an 'in' whose left side is not a property");
      const values = e.list.map((x) => (x.kind === 'literal' && x.type !== 'null' ? literalValue(x, option, target) : unsupported(option, x.pos, 'a list item that is not a literal')));
      return leaf(target, 'in', values);
    }
    case 'call': {
      const like = { contains: 'contains', startswith: 'starts_with', endswith: 'ends_with' }[e.name] as FilterOp | undefined;
      if (like && e.args.length === 2) {
        const target = operand(e.args[0]!, ctx);
        const lit = e.args[1]!;
        if (!target || lit.kind !== 'literal' || lit.type !== 'string') return unsupported(option, e.pos, `${e.name}() of something other than a property and a string`);
        // OData's string functions match case exactly.
        return leaf(target, like, [literalValue(lit, option)], true);
      }
      return unsupported(option, e.pos, `the function ${e.name}()`);
    }
    case 'property': {
      if (e.path.length !== 1) return unsupported(option, e.pos, `the property '${e.path.join('/')}' used as a condition`);
      const { field, prop } = ctx.names(e.path[0]!, e.pos);
      if (prop.valueType !== 'boolean') return unsupported(option, e.pos, `the property '${e.path.join('/')}' used as a condition`);
      return { field, op: 'eq', values: [true] };
    }
    case 'literal':
      // `true` / `false` alone: a condition that is always or never met.
      if (e.type === 'boolean') return e.value ? { and: [] } : { or: [] };
      return unsupported(option, e.pos, `the literal ${e.raw} used as a condition`);
    default:
      return unsupported(option, e.pos, (e as { what?: string }).what ?? 'this expression');
  }
}
