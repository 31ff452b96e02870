import type { Catalog } from '../catalog/types.ts';
import { badQuery } from '../errors.ts';
import { assemblePlan, dedupe } from '../query/plan.ts';
import type { Condition, PlannedField, Principal, QueryPlan } from '../query/types.ts';
import type { AggregateItem, ODataQueryOptions, PropertyRef, Transformation } from './ast.ts';
import type { EntitySet } from './model.ts';
import { entityScope, splitConditions, translateFilter, unsupported, type Scope } from './translate-filter.ts';

/** One output property of an OData response and the plan column behind it. */
export interface ODataColumn {
  readonly name: string;
  readonly alias: string;
  readonly kind: 'dimension' | 'metric';
  /** Where its value is in a result row (the plan's order: dimensions, then metrics). */
  readonly index?: number;
}

export interface ODataPlan {
  readonly plan: QueryPlan;
  readonly columns: readonly ODataColumn[];
}

const METHOD_FN: Record<string, 'SUM' | 'MIN' | 'MAX' | 'AVG' | 'COUNT_DISTINCT'> = {
  sum: 'SUM', min: 'MIN', max: 'MAX', average: 'AVG', countdistinct: 'COUNT_DISTINCT',
};

/** A metric re-aggregated with the method its own aggregate already is gives the metric itself. */
function metricMatches(f: PlannedField, method: string): boolean {
  const head = /^\s*(SUM|COUNT|MIN|MAX|AVG)\s*\(\s*(DISTINCT\b)?/i.exec(f.sql);
  if (!head) return false;
  const fn = head[1]!.toUpperCase();
  if (method === 'sum') return fn === 'SUM' || (fn === 'COUNT' && !head[2]);
  if (method === 'countdistinct') return fn === 'COUNT' && Boolean(head[2]);
  return { min: 'MIN', max: 'MAX', average: 'AVG' }[method] === fn;
}

function aggregateField(item: AggregateItem, scope: Scope): PlannedField {
  const metric = (alias: string, sql: string, type: PlannedField['type']): PlannedField =>
    Object.freeze({ alias, kind: 'metric' as const, sql, column: null, grain: null, type });
  if (item.kind === 'count') return metric(item.alias, 'COUNT(*)', 'integer');
  if (item.kind === 'custom') {
    const f = scope(item.name, item.pos);
    if (f.kind !== 'metric') unsupported('$apply', item.pos, `aggregate(${item.name}) of a dimension without 'with'`);
    return Object.freeze({ ...f, alias: item.alias ?? item.name });
  }
  if (item.expr.kind !== 'property' || item.expr.path.length !== 1) return unsupported('$apply', item.pos, 'an aggregate of an expression');
  const f = scope(item.expr.path[0]!, item.expr.pos);
  const fn = METHOD_FN[item.method];
  if (!fn) return unsupported('$apply', item.pos, `the aggregation method '${item.method}'`);
  if (f.kind === 'metric') {
    if (!metricMatches(f, item.method)) return unsupported('$apply', item.pos, `'${f.alias} with ${item.method}' (the metric is ${f.sql.slice(0, 60)})`);
    return Object.freeze({ ...f, alias: item.alias });
  }
  if ((fn === 'SUM' || fn === 'AVG') && f.type !== 'number') return unsupported('$apply', item.pos, `${item.method} of the ${f.type} property '${f.alias}'`);
  const type = fn === 'COUNT_DISTINCT' ? 'integer' : fn === 'SUM' || fn === 'AVG' ? 'number' : f.type;
  return Object.freeze({ alias: item.alias, kind: 'metric' as const, sql: '', column: null, grain: null, type, aggregateOf: { fn, field: f } });
}

interface Selection { dimensions: PlannedField[]; metrics: PlannedField[]; columns: ODataColumn[]; where: Condition[]; having: Condition[] }

/** $apply: filter() steps, then groupby((...), aggregate(...)) or aggregate(...). */
function applySelection(steps: readonly Transformation[], scope: Scope, set: EntitySet): Selection {
  const sel: Selection = { dimensions: [], metrics: [], columns: [], where: [], having: [] };
  let grouped = false;
  const group = (props: readonly PropertyRef[], then: readonly Transformation[]): void => {
    for (const p of props) {
      if (p.path.length !== 1) unsupported('$apply', p.pos, `the path '${p.path.join('/')}'`);
      const f = scope(p.path[0]!, p.pos);
      if (f.kind !== 'dimension') unsupported('$apply', p.pos, `groupby of the metric '${p.path[0]}'`);
      sel.dimensions.push(f);
      sel.columns.push({ name: p.path[0]!, alias: f.alias, kind: 'dimension' });
    }
    for (const t of then) {
      if (t.kind !== 'aggregate') unsupported('$apply', t.pos, `${t.kind === 'other' ? t.what : t.kind} inside groupby`);
      aggregate(t.items);
    }
  };
  const aggregate = (items: readonly AggregateItem[]): void => {
    for (const item of items) {
      const f = aggregateField(item, scope);
      // An alias may not take another property's name (`revenue with sum as channel` would
      // hand out revenue as 'channel') nor an earlier output's; only a metric aggregated
      // under its own name (`aggregate(revenue)`, `revenue with sum as revenue`) keeps it.
      const source = item.kind === 'custom' ? item.name : item.kind === 'with' && item.expr.kind === 'property' ? item.expr.path[0] : null;
      const prop = set.byName.get(f.alias);
      if ((prop && !(prop.kind === 'metric' && source === f.alias)) || sel.columns.some((c) => c.name === f.alias)) {
        unsupported('$apply', item.pos, `the alias '${f.alias}', which is already a property`);
      }
      sel.metrics.push(f);
      sel.columns.push({ name: f.alias, alias: f.alias, kind: 'metric' });
    }
  };
  for (const step of steps) {
    if (grouped) unsupported('$apply', step.pos, 'a transformation after groupby/aggregate');
    if (step.kind === 'filter') {
      const { where, having } = splitConditions(translateFilter(step.expr, scope, '$apply'), '$apply');
      sel.where.push(...where);
      sel.having.push(...having);
    } else if (step.kind === 'groupby') {
      group(step.properties, step.then);
      grouped = true;
    } else if (step.kind === 'aggregate') {
      aggregate(step.items);
      grouped = true;
    } else {
      unsupported('$apply', step.pos, `the transformation ${step.what}`);
    }
  }
  if (!grouped) throw badQuery('odata_unsupported', '$apply needs groupby(...) or aggregate(...).', { field: '$apply' });
  return sel;
}

/** $select, or every property when there is none. */
function plainSelection(options: ODataQueryOptions, scope: Scope, set: EntitySet): Selection {
  const sel: Selection = { dimensions: [], metrics: [], columns: [], where: [], having: [] };
  const items = options.select ?? [{ kind: 'star' as const, pos: 0 }];
  const names = items.some((i) => i.kind === 'star')
    ? set.properties.filter((p) => p.field !== null).map((p) => ({ name: p.name, pos: 0 }))
    : items.map((i) => {
      if (i.kind === 'other') return unsupported('$select', i.pos, i.what);
      if (i.kind !== 'property' || i.path.length !== 1) return unsupported('$select', i.pos, `the path '${i.kind === 'property' ? i.path.join('/') : '*'}'`);
      return { name: i.path[0]!, pos: i.pos };
    });
  for (const { name, pos } of names) {
    if (name === '_key' || sel.columns.some((c) => c.name === name)) continue;
    const f = scope(name, pos);
    (f.kind === 'dimension' ? sel.dimensions : sel.metrics).push(f);
    sel.columns.push({ name, alias: f.alias, kind: f.kind });
  }
  return sel;
}

/**
 * An OData request -> a QueryPlan through the same assembly as REST, so tenant scope,
 * roles, limits and the compiler's checks apply unchanged.
 */
export function translateQuery(catalog: Catalog, p: Principal, set: EntitySet, options: ODataQueryOptions, page: { limit: number; offset: number }): ODataPlan {
  const ds = set.dataset;
  const scope = entityScope(set, ds, p, '$filter');
  const sel = options.apply ? applySelection(options.apply, entityScope(set, ds, p, '$apply'), set) : plainSelection(options, entityScope(set, ds, p, '$select'), set);
  if (options.apply && options.select) {
    for (const i of options.select) {
      if (i.kind === 'other') unsupported('$select', i.pos, i.what);
      if (i.kind === 'property' && !sel.columns.some((c) => c.name === i.path[0])) unsupported('$select', i.pos, `'${i.path.join('/')}', which $apply does not produce`);
    }
  }
  // Names $apply produced (aliases) can be filtered and ordered too.
  const outputScope: Scope = (name, pos) => {
    const col = sel.columns.find((c) => c.name === name);
    if (col) return [...sel.dimensions, ...sel.metrics].find((f) => f.alias === col.alias)!;
    return scope(name, pos);
  };
  if (options.filter) {
    const { where, having } = splitConditions(translateFilter(options.filter, options.apply ? outputScope : scope, '$filter'), '$filter');
    if (options.apply && where.some((c) => c.kind === 'compare' && !sel.dimensions.includes(c.field))) {
      throw badQuery('odata_unsupported', '$filter after $apply may only name properties the $apply produces.', { field: '$filter' });
    }
    sel.where.push(...where);
    sel.having.push(...having);
  }
  const orderBy = options.orderby.map((o) => {
    if (o.expr.kind !== 'property' || o.expr.path.length !== 1) return unsupported('$orderby', o.expr.pos, 'ordering by an expression');
    const name = o.expr.path[0]!;
    const col = sel.columns.find((c) => c.name === name);
    if (!col) {
      outputScope(name, o.expr.pos); // unknown or hidden: its own error
      throw badQuery('order_not_selected', `$orderby: '${name}' must be one of the selected properties.`, { field: '$orderby' });
    }
    return { alias: col.alias, direction: o.direction };
  });
  const plan = assemblePlan(catalog, p, ds, {
    dimensions: dedupe(sel.dimensions, '$select'), metrics: dedupe(sel.metrics, '$select'),
    where: sel.where, having: sel.having, orderBy, limit: page.limit, offset: page.offset,
  });
  // Rows come in the plan's order (dimensions first), whatever order $select named them in.
  const order = [...plan.dimensions, ...plan.metrics].map((f) => f.alias);
  let columns = sel.columns.map((col) => ({ ...col, index: order.indexOf(col.alias) }));
  // $select after $apply projects what the transformations produced.
  if (options.apply && options.select && !options.select.some((i) => i.kind === 'star')) {
    const names = new Set(options.select.map((i) => (i.kind === 'property' ? i.path[0] : '')));
    columns = columns.filter((col) => names.has(col.name));
  }
  return { plan, columns };
}
