import type { Catalog, Dataset } from '../catalog/types.ts';
import { badQuery, forbidden } from '../errors.ts';
import { suggestionSuffix } from '../suggest.ts';
import { checkJoinedVisible, datasetVisible, joinPath, resolveField, roleMaySee, splitRef, suggestOrList, visibleFieldNames } from './fields.ts';
import { conditionKind, conjuncts, splitFilters, toCondition } from './filters.ts';
import { planMetricSpec } from './metrics.ts';
import { resolveTenantScope } from './scope.ts';
import { tokenConditions } from './token-filters.ts';
import type { Condition, PlannedField, Principal, QueryPlan, SemanticQuery } from './types.ts';

const DEFAULT_LIMIT = 1000;

/** Rows a query gets when it names no limit (REST, OData `$count`, `/v1/datasets/:name`). */
export function defaultLimit(ds: Dataset): number {
  return Math.min(DEFAULT_LIMIT, ds.maxRows);
}

export { datasetVisible };

export function findDataset(catalog: Catalog, principal: Principal, name: string): Dataset {
  const ds = catalog.datasets.get(name);
  if (!ds) {
    const visible = [...catalog.datasets.values()].filter((d) => datasetVisible(d, principal)).map((d) => d.name);
    throw badQuery('unknown_dataset', `There is no dataset '${name}'.${suggestionSuffix(name, visible)}`, { field: 'dataset' });
  }
  if (!datasetVisible(ds, principal)) {
    throw forbidden('dataset_forbidden', `This key may not query dataset '${name}'.`, { field: 'dataset' });
  }
  return ds;
}

function and(items: Condition[]): Condition | null {
  if (items.length === 0) return null;
  return items.length === 1 ? items[0]! : Object.freeze({ kind: 'and' as const, items: Object.freeze(items) });
}

/** Each output column once: a dimension, a metric or an alias named twice is a mistake. */
function checkUnique(fields: readonly { f: PlannedField; path: string }[]): void {
  const seen = new Set<string>();
  for (const { f, path } of fields) {
    if (seen.has(f.alias)) throw badQuery('duplicate_field', `'${f.alias}' is listed twice in the query's output.`, { field: path });
    seen.add(f.alias);
  }
}

/**
 * Validates a SemanticQuery (already schema-checked) against the catalog and the caller,
 * and returns a frozen QueryPlan. Pure: no I/O, no SQL. The one planner of every front
 * door: tenant scope (the one place isolation is decided), roles, types and limits.
 */
export function planQuery(catalog: Catalog, principal: Principal, q: SemanticQuery): QueryPlan {
  const ds = findDataset(catalog, principal, q.dataset);
  // Scope first: a request that may not run at all says so before any field error.
  resolveTenantScope(catalog, [ds], principal);
  const resolve = (ref: string, path: string): PlannedField => resolveField(catalog, ds, principal, ref, path);

  const dimensions = (q.dimensions ?? []).map((ref, i) => {
    const f = resolve(ref, `dimensions[${i}]`);
    if (f.kind !== 'dimension') throw badQuery('not_a_dimension', `'${ref}' is a metric: list it under metrics.`, { field: `dimensions[${i}]` });
    return f;
  });
  let visible: Set<string> | undefined; // only a metric object's alias needs the field names
  const taken = (name: string): boolean => (visible ??= new Set(visibleFieldNames(catalog, ds, principal))).has(name);
  const metrics = (q.metrics ?? []).map((m, i) => {
    const path = `metrics[${i}]`;
    if (typeof m !== 'string') return planMetricSpec(ds, m, path, resolve, taken);
    const f = resolve(m, path);
    if (f.kind !== 'metric') throw badQuery('not_a_metric', `'${m}' is a dimension: list it under dimensions.`, { field: path });
    return f;
  });
  checkUnique([
    ...dimensions.map((f, i) => ({ f, path: `dimensions[${i}]` })),
    ...metrics.map((f, i) => ({ f, path: `metrics[${i}]` })),
  ]);
  if (dimensions.length === 0 && metrics.length === 0) {
    throw badQuery('empty_query', 'Ask for at least one dimension or metric.', { field: 'dimensions' });
  }

  const { where, having } = splitFilters(q.filters ?? [], resolve, 'filters');
  where.push(...tokenConditions(catalog, ds, principal)); // a token's row filters: only ever narrow
  (q.segments ?? []).forEach((ref, i) => {
    const path = `segments[${i}]`;
    const { ds: owner, rest, prefix } = splitRef(catalog, ds, ref);
    checkJoinedVisible(catalog, ds, owner, principal, path);
    const seg = owner.segments.find((s) => s.name === rest);
    if (!seg || !roleMaySee(seg.roles, principal)) {
      const names = [ds, ...[...ds.reach.keys()].map((n) => catalog.datasets.get(n)!)].filter((d) => d === ds || datasetVisible(d, principal))
        .flatMap((d) => d.segments.filter((s) => roleMaySee(s.roles, principal)).map((s) => `${d === ds ? '' : `${d.name}.`}${s.name}`));
      if (seg) throw forbidden('segment_forbidden', `Role '${principal.role}' may not use segment '${ref}'.`, { field: path });
      throw badQuery('unknown_segment', `Dataset '${ds.name}' has no segment '${prefix}${rest}'.${suggestOrList(ref, names, ds.name, 'Valid segments')}`, { field: path });
    }
    where.push(Object.freeze({ kind: 'segment' as const, sql: seg.expr, dataset: owner.name }));
  });

  const outputs = new Map([...dimensions, ...metrics].map((f) => [f.alias, f]));
  // An output column by its name; a field of the dataset that is not in the output is its
  // own mistake, and an unknown name is checked like any field (unknown or hidden).
  const output = (list: 'having' | 'order_by') => (name: string, path: string): PlannedField => {
    const f = outputs.get(name);
    if (f) return f;
    resolve(name, path);
    throw badQuery(list === 'order_by' ? 'order_not_selected' : 'not_selected',
      `${list}: '${name}' must be one of the selected dimensions or metrics (${[...outputs.keys()].join(', ')}).`, { field: path });
  };
  (q.having ?? []).forEach((h, i) => {
    for (const c of conjuncts(toCondition(h, output('having'), `having[${i}]`))) {
      // On grouped dimensions alone, a condition means the same before aggregation: WHERE.
      const kind = conditionKind(c);
      (kind === 'metric' || kind === 'mixed' ? having : where).push(c);
    }
  });

  const orderBy = (q.order_by ?? []).map((o, i) => ({ alias: output('order_by')(o.field, `order_by[${i}].field`).alias, direction: o.direction ?? ('asc' as const) }));
  // Dimensions identify a row, so ordering by all of them makes paging deterministic.
  for (const d of dimensions) if (!orderBy.some((o) => o.alias === d.alias)) orderBy.push({ alias: d.alias, direction: 'asc' });
  const limit = q.limit ?? defaultLimit(ds);
  if (limit > ds.maxRows) {
    throw badQuery('limit_too_large', `limit ${limit} is over dataset '${ds.name}' max_rows of ${ds.maxRows}.`, { field: 'limit' });
  }
  const read = datasetsRead(catalog, ds, [...dimensions, ...metrics], [...where, ...having]);
  // Every dataset read (a derived metric's references included) must be one the key may see.
  for (const d of read.values()) checkJoinedVisible(catalog, ds, d, principal, 'dataset');
  const { scope, target } = resolveTenantScope(catalog, [...read.values()], principal);
  return Object.freeze({
    dataset: ds,
    datasets: read,
    scope,
    target,
    dimensions: Object.freeze(dimensions),
    metrics: Object.freeze(metrics),
    where: and(where),
    having: and(having),
    orderBy: Object.freeze(orderBy.map((o) => Object.freeze(o))),
    limit,
    offset: q.offset ?? 0,
    timeoutMs: ds.timeoutMs,
  });
}

/** The queried dataset, every dataset a field or condition reads, and each one on the way to it. */
function datasetsRead(catalog: Catalog, base: Dataset, fields: readonly PlannedField[], conditions: readonly Condition[]): ReadonlyMap<string, Dataset> {
  const names = new Set<string>([base.name]);
  for (const f of fields) fieldDatasets(names, f);
  for (const c of conditions) conditionDatasets(names, c);
  for (const n of [...names]) for (const step of joinPath(base, n)) names.add(step);
  // Nearest first, the queried dataset first: the order joins are written in.
  const ordered = [base.name, ...[...base.reach.keys()].filter((n) => names.has(n))];
  return new Map(ordered.map((n) => [n, catalog.datasets.get(n)!]));
}

function fieldDatasets(names: Set<string>, f: PlannedField): void {
  names.add(f.dataset);
  if (f.aggregateOf) fieldDatasets(names, f.aggregateOf.field);
  for (const r of f.formula?.refs ?? []) fieldDatasets(names, r);
}

function conditionDatasets(names: Set<string>, c: Condition): void {
  if (c.kind === 'compare') fieldDatasets(names, c.field);
  else if (c.kind === 'segment') names.add(c.dataset);
  else if (c.kind === 'not') conditionDatasets(names, c.item);
  else for (const item of c.items) conditionDatasets(names, item);
}
