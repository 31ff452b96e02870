import type { Catalog, Dataset } from '../catalog/types.ts';
import { badQuery, forbidden } from '../errors.ts';
import { suggestionSuffix } from '../suggest.ts';
import { resolveField, roleMaySee } from './fields.ts';
import { resolveTenantScope } from './scope.ts';
import type { Condition, PlannedField, Principal, QueryPlan, SemanticQuery } from './types.ts';
import { checkFilterValues } from './values.ts';

const DEFAULT_LIMIT = 1000;

/** Rows a query gets when it names no limit (REST, OData `$count`, `/v1/datasets/:name`). */
export function defaultLimit(ds: Dataset): number {
  return Math.min(DEFAULT_LIMIT, ds.maxRows);
}

/** The datasets a principal may see: by role, then by the key's allow-list. */
export function datasetVisible(ds: Dataset, principal: Principal): boolean {
  if (!roleMaySee(ds.roles, principal)) return false;
  return principal.allowedDatasets === null || principal.allowedDatasets.includes(ds.name);
}

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

export function and(items: Condition[]): Condition | null {
  if (items.length === 0) return null;
  return items.length === 1 ? items[0]! : Object.freeze({ kind: 'and' as const, items: Object.freeze(items) });
}

export function dedupe(fields: PlannedField[], what: string): PlannedField[] {
  const seen = new Set<string>();
  fields.forEach((f, i) => {
    if (seen.has(f.alias)) throw badQuery('duplicate_field', `'${f.alias}' is listed twice in ${what}.`, { field: `${what}[${i}]` });
    seen.add(f.alias);
  });
  return fields;
}

/** What a protocol (REST, OData) resolved; assemblePlan adds scope, ordering and limits. */
export interface PlanParts {
  readonly dimensions: PlannedField[];
  readonly metrics: PlannedField[];
  readonly where: Condition[];
  readonly having: Condition[];
  readonly orderBy: { alias: string; direction: 'asc' | 'desc' }[];
  readonly limit: number | undefined;
  readonly offset: number | undefined;
}

/**
 * The shared end of planning: tenant scope (the one place isolation is decided), default
 * ordering, the limit check, and a frozen plan.
 */
export function assemblePlan(catalog: Catalog, principal: Principal, ds: Dataset, parts: PlanParts): QueryPlan {
  const { scope, target } = resolveTenantScope(catalog, ds, principal);
  const { dimensions, metrics } = parts;
  if (dimensions.length === 0 && metrics.length === 0) {
    throw badQuery('empty_query', 'Ask for at least one dimension or metric.', { field: 'dimensions' });
  }
  const orderBy = [...parts.orderBy];
  // Dimensions identify a row, so ordering by all of them makes paging deterministic.
  for (const d of dimensions) if (!orderBy.some((o) => o.alias === d.alias)) orderBy.push({ alias: d.alias, direction: 'asc' });
  const limit = parts.limit ?? defaultLimit(ds);
  if (limit > ds.maxRows) {
    throw badQuery('limit_too_large', `limit ${limit} is over dataset '${ds.name}' max_rows of ${ds.maxRows}.`, { field: 'limit' });
  }
  return Object.freeze({
    dataset: ds,
    scope,
    target,
    dimensions: Object.freeze(dimensions),
    metrics: Object.freeze(metrics),
    where: and(parts.where),
    having: and(parts.having),
    orderBy: Object.freeze(orderBy.map((o) => Object.freeze(o))),
    limit,
    offset: parts.offset ?? 0,
    timeoutMs: ds.timeoutMs,
  });
}

/**
 * Validates a SemanticQuery (already schema-checked) against the catalog and the caller,
 * and returns a frozen QueryPlan. Pure: no I/O, no SQL.
 */
export function planQuery(catalog: Catalog, principal: Principal, q: SemanticQuery): QueryPlan {
  const ds = findDataset(catalog, principal, q.dataset);
  // Scope first: a request that may not run at all says so before any field error.
  // (assemblePlan resolves it again on purpose: no plan gets a scope from anywhere else.)
  resolveTenantScope(catalog, ds, principal);

  const dimensions = dedupe((q.dimensions ?? []).map((ref, i) => {
    const f = resolveField(ds, principal, ref, `dimensions[${i}]`);
    if (f.kind !== 'dimension') throw badQuery('not_a_dimension', `'${ref}' is a metric: list it under metrics.`, { field: `dimensions[${i}]` });
    return f;
  }), 'dimensions');
  const metrics = dedupe((q.metrics ?? []).map((ref, i) => {
    const f = resolveField(ds, principal, ref, `metrics[${i}]`);
    if (f.kind !== 'metric') throw badQuery('not_a_metric', `'${ref}' is a dimension: list it under dimensions.`, { field: `metrics[${i}]` });
    return f;
  }), 'metrics');
  if (dimensions.length === 0 && metrics.length === 0) {
    throw badQuery('empty_query', 'Ask for at least one dimension or metric.', { field: 'dimensions' });
  }

  const where: Condition[] = [];
  const having: Condition[] = [];
  (q.filters ?? []).forEach((f, i) => {
    const path = `filters[${i}]`;
    const field = resolveField(ds, principal, f.field, `${path}.field`);
    const values = checkFilterValues(field, f.op, f.values, path);
    const cond: Condition = Object.freeze({ kind: 'compare' as const, field, op: f.op, values: Object.freeze(values) });
    (field.kind === 'metric' ? having : where).push(cond);
  });
  (q.segments ?? []).forEach((name, i) => {
    const seg = ds.segments.find((s) => s.name === name);
    if (!seg) {
      throw badQuery('unknown_segment',
        `Dataset '${ds.name}' has no segment '${name}'.${suggestionSuffix(name, ds.segments.map((s) => s.name))}`,
        { field: `segments[${i}]` });
    }
    where.push(Object.freeze({ kind: 'segment' as const, sql: seg.expr }));
  });

  const selected = new Map([...dimensions, ...metrics].map((f) => [f.alias, f]));
  const orderBy = (q.order_by ?? []).map((o, i) => {
    if (!selected.has(o.field)) {
      resolveField(ds, principal, o.field, `order_by[${i}].field`); // unknown or hidden: its own error
      throw badQuery('order_not_selected', `Order by '${o.field}' needs it in dimensions or metrics.`, { field: `order_by[${i}].field` });
    }
    return { alias: o.field, direction: o.direction ?? ('asc' as const) };
  });

  return assemblePlan(catalog, principal, ds, { dimensions, metrics, where, having, orderBy, limit: q.limit, offset: q.offset });
}
