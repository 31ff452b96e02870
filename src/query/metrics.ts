import type { Dataset } from '../catalog/types.ts';
import { badQuery } from '../errors.ts';
import type { AggregateMethod, MetricSpec, PlannedField } from './types.ts';

type AggregateFn = NonNullable<PlannedField['aggregateOf']>['fn'];

const FN: Partial<Record<AggregateMethod, AggregateFn>> = {
  sum: 'SUM', min: 'MIN', max: 'MAX', avg: 'AVG', count_distinct: 'COUNT_DISTINCT',
};

/** A metric re-aggregated with the method its own aggregate already is gives the metric itself. */
function metricMatches(f: PlannedField, method: AggregateMethod): boolean {
  const head = /^\s*(SUM|COUNT|MIN|MAX|AVG)\s*\(\s*(DISTINCT\b)?/i.exec(f.sql);
  if (!head || f.aggregateOf) return false;
  const fn = head[1]!.toUpperCase();
  if (method === 'sum') return fn === 'SUM' || (fn === 'COUNT' && !head[2]);
  if (method === 'count_distinct') return fn === 'COUNT' && Boolean(head[2]);
  return ({ min: 'MIN', max: 'MAX', avg: 'AVG' } as Record<string, string>)[method] === fn;
}

function metric(alias: string, dataset: string, sql: string, type: PlannedField['type'], aggregateOf?: PlannedField['aggregateOf']): PlannedField {
  return Object.freeze({ alias, kind: 'metric' as const, dataset, sql, column: null, grain: null, type, ...(aggregateOf && { aggregateOf }) });
}

/**
 * A metric object of the query (`{field, aggregate, as}`) as a planned metric. `resolve`
 * resolves a field name with the caller's rights; `taken` says whether an output name is a
 * field the caller can see (an alias may not pose as another field).
 */
export function planMetricSpec(ds: Dataset, spec: MetricSpec, path: string,
  resolve: (name: string, path: string) => PlannedField, taken: (name: string) => boolean): PlannedField {
  const alias = spec.as;
  const aliasCheck = (own: string | null): string => {
    if (alias === undefined) {
      throw badQuery('invalid_query', `'${path}' needs 'as': the name of the column it makes.`, { field: `${path}.as` });
    }
    if (alias !== own && taken(alias)) {
      throw badQuery('alias_taken', `The alias '${alias}' is already a field of dataset '${ds.name}': choose another name.`, { field: `${path}.as` });
    }
    return alias;
  };
  if (spec.field === undefined) {
    if (spec.aggregate !== 'count') {
      throw badQuery('invalid_query', `'${path}' needs 'field', or 'aggregate: "count"' to count rows.`, { field: path });
    }
    return metric(aliasCheck(null), ds.name, 'COUNT(*)', 'integer');
  }
  const f = resolve(spec.field, `${path}.field`);
  const method = spec.aggregate;
  if (f.kind === 'metric') {
    if (method !== undefined && !metricMatches(f, method)) {
      throw badQuery('invalid_aggregate',
        `'${f.alias} with ${method}' cannot be computed: metric '${f.alias}' is already aggregated, and only its own method gives it again.`,
        { field: `${path}.aggregate` });
    }
    const name = alias === undefined ? f.alias : aliasCheck(f.alias);
    return name === f.alias ? f : Object.freeze({ ...f, alias: name });
  }
  if (method === undefined) {
    throw badQuery('invalid_aggregate', `'${f.alias}' is a dimension: say how to aggregate it, e.g. "aggregate": "count_distinct".`, { field: `${path}.aggregate` });
  }
  const fn = FN[method];
  if (!fn) throw badQuery('invalid_aggregate', `'count' counts rows: leave out 'field', or use count_distinct for distinct values of '${f.alias}'.`, { field: `${path}.aggregate` });
  if ((fn === 'SUM' || fn === 'AVG') && f.type !== 'number') {
    throw badQuery('invalid_aggregate', `The ${method} of the ${f.type} property '${f.alias}' cannot be computed: ${method} needs a number.`, { field: `${path}.aggregate` });
  }
  const type = fn === 'COUNT_DISTINCT' ? 'integer' : fn === 'SUM' || fn === 'AVG' ? 'number' : f.type;
  return metric(aliasCheck(null), f.dataset, '', type, { fn, field: f });
}
