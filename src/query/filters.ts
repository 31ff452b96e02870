import { badQuery } from '../errors.ts';
import { TRANSFORMED_TYPE, type Condition, type FieldTransform, type FilterLeaf, type PlannedField, type QueryFilter } from './types.ts';
import { checkFilterValues } from './values.ts';

/** Resolves a filter's field name (`path` is where the name is, for errors). */
export type FieldResolver = (name: string, path: string) => PlannedField;

function isLeaf(f: QueryFilter): f is FilterLeaf {
  return 'field' in f;
}

/** Transforms apply to what their function reads: text case to strings, date parts to dates. */
function checkTransform(field: PlannedField, transform: FieldTransform, path: string): void {
  const ok = transform === 'lower' || transform === 'upper' ? field.type === 'string' : field.type === 'date' || field.type === 'timestamp';
  if (!ok) {
    const wants = transform === 'lower' || transform === 'upper' ? 'string' : 'date and timestamp';
    throw badQuery('invalid_operator', `Transform '${transform}' applies to ${wants} fields; '${field.alias}' is ${field.type}.`, { field: `${path}.transform` });
  }
}

function leafCondition(f: FilterLeaf, resolve: FieldResolver, path: string): Condition {
  const field = resolve(f.field, `${path}.field`);
  if (f.transform !== undefined) checkTransform(field, f.transform, path);
  // Type checks run against what is compared: year(order_date) is an integer.
  const compared = f.transform === undefined ? field : { ...field, type: TRANSFORMED_TYPE[f.transform] };
  const values = checkFilterValues(compared, f.op, f.values, path);
  return Object.freeze({
    kind: 'compare' as const, field, op: f.op, values: Object.freeze(values),
    ...(f.transform !== undefined && { transform: f.transform }),
    ...(f.case_sensitive === true && { caseSensitive: true }),
  });
}

/** One filter (a comparison, or and/or/not of filters) as a condition tree, every leaf resolved and type-checked. */
export function toCondition(f: QueryFilter, resolve: FieldResolver, path: string): Condition {
  if (isLeaf(f)) return leafCondition(f, resolve, path);
  if ('not' in f) return Object.freeze({ kind: 'not' as const, item: toCondition(f.not, resolve, `${path}.not`) });
  const kind = 'and' in f ? 'and' as const : 'or' as const;
  const list = 'and' in f ? f.and : f.or;
  return Object.freeze({ kind, items: Object.freeze(list.map((x, i) => toCondition(x, resolve, `${path}.${kind}[${i}]`))) });
}

/** Whether a condition reads metrics (HAVING) or dimensions (WHERE); `mixed` when both. */
export function conditionKind(c: Condition): 'dimension' | 'metric' | 'none' | 'mixed' {
  switch (c.kind) {
    case 'segment': return 'none';
    case 'compare': return c.field.kind;
    case 'not': return conditionKind(c.item);
    default: {
      const kinds = new Set(c.items.map(conditionKind).filter((k) => k !== 'none'));
      if (kinds.has('mixed') || kinds.size > 1) return 'mixed';
      return kinds.size === 0 ? 'none' : [...kinds][0]!;
    }
  }
}

/** Top-level `and` items, flattened: each goes to WHERE or HAVING on its own. */
export function conjuncts(c: Condition): Condition[] {
  return c.kind === 'and' && c.items.length > 0 ? c.items.flatMap(conjuncts) : [c];
}

/**
 * `filters` (before aggregation): each ANDed item reads dimensions (WHERE) or metrics
 * (HAVING). An `or`/`not` over both cannot be split: a dimension that is not grouped by has
 * no value after aggregation, and a metric none before it.
 */
export function splitFilters(filters: readonly QueryFilter[], resolve: FieldResolver, list: string): { where: Condition[]; having: Condition[] } {
  const out = { where: [] as Condition[], having: [] as Condition[] };
  filters.forEach((f, i) => {
    for (const c of conjuncts(toCondition(f, resolve, `${list}[${i}]`))) {
      const kind = conditionKind(c);
      if (kind === 'mixed') {
        throw badQuery('mixed_filter',
          `${list}[${i}]: an 'or' between a metric and a dimension cannot be computed (the dimension has no value after aggregation); filter each with 'and', or put the dimension in dimensions and the condition in having.`,
          { field: `${list}[${i}]` });
      }
      (kind === 'metric' ? out.having : out.where).push(c);
    }
  });
  return out;
}
