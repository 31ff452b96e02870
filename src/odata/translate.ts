import { badQuery, GatewayError } from '../errors.ts';
import type { AggregateMethod, MetricSpec, QueryFilter, SemanticQuery } from '../query/types.ts';
import type { AggregateItem, ODataQueryOptions, PropertyRef, Transformation } from './ast.ts';
import { KEY_PROPERTY, type EntitySet, type ODataProperty } from './model.ts';
import { translateFilter, unsupported, type Names, type Origins } from './translate-filter.ts';

/**
 * OData system query options -> the query value every front door produces (SemanticQuery),
 * plus what the renderer needs: which output column each OData property shows. Only OData
 * is decided here (property names, the shape of $apply, positions); the planner checks
 * the rest, for OData exactly as for REST.
 */

/** One property of an OData response and the output column (of the query value) behind it. */
export interface ODataColumn {
  readonly name: string;
  readonly output: string;
  readonly kind: 'dimension' | 'metric';
}

export interface ODataQuery {
  readonly query: SemanticQuery;
  readonly columns: readonly ODataColumn[];
  /** Where each part of `query` came from, so the planner's errors can name the option and position. */
  readonly origins: Origins;
}

const METHODS: Record<string, AggregateMethod> = {
  sum: 'sum', min: 'min', max: 'max', average: 'avg', countdistinct: 'count_distinct',
};

function noProperty(set: EntitySet, option: string, name: string, pos: number): never {
  throw badQuery('unknown_field', `${option}: '${set.name}' has no property '${name}' (at position ${pos}).`, { field: option });
}

/** The entity set's own properties (not `_key`: it is built from the row, not a field). */
function entityNames(set: EntitySet, option: string): Names {
  return (name, pos) => {
    const prop = set.byName.get(name);
    if (!prop || prop.field === null) noProperty(set, option, name, pos);
    return { field: prop.field, prop };
  };
}

interface Selection {
  dimensions: string[];
  metrics: (string | MetricSpec)[];
  filters: QueryFilter[];
  columns: (ODataColumn & { prop: ODataProperty })[];
}

/** `aggregate(...)` items as metric specs of the query value. */
function aggregateItem(item: AggregateItem, set: EntitySet, sel: Selection, names: Names): void {
  const option = '$apply';
  let spec: string | MetricSpec;
  let alias: string;
  let source: string | null = null;
  let prop: ODataProperty;
  if (item.kind === 'count') {
    alias = item.alias;
    spec = { aggregate: 'count', as: alias };
    prop = { name: alias, field: null, kind: 'metric', type: 'Edm.Int64', valueType: 'integer', description: null };
  } else if (item.kind === 'custom') {
    const named = names(item.name, item.pos);
    if (named.prop.kind !== 'metric') unsupported(option, item.pos, `aggregate(${item.name}) of a dimension without 'with'`);
    source = item.name;
    alias = item.alias ?? item.name;
    spec = alias === named.field ? named.field : { field: named.field, as: alias };
    prop = named.prop;
  } else {
    if (item.expr.kind !== 'property' || item.expr.path.length !== 1) return unsupported(option, item.pos, 'an aggregate of an expression');
    const named = names(item.expr.path[0]!, item.expr.pos);
    const method = METHODS[item.method];
    if (!method) return unsupported(option, item.pos, `the aggregation method '${item.method}'`);
    source = item.expr.path[0]!;
    alias = item.alias;
    spec = { field: named.field, aggregate: method, as: alias };
    prop = named.prop;
  }
  // An alias may not take another property's name (`revenue with sum as channel` would
  // hand out revenue as 'channel') nor an earlier output's; only a metric aggregated
  // under its own name (`aggregate(revenue)`, `revenue with sum as revenue`) keeps it.
  const taken = set.byName.get(alias);
  if ((taken && !(taken.kind === 'metric' && source === alias)) || sel.columns.some((c) => c.name === alias)) {
    unsupported(option, item.pos, `the alias '${alias}', which is already a property`);
  }
  sel.metrics.push(spec);
  sel.columns.push({ name: alias, output: alias, kind: 'metric', prop });
}

/** $apply: filter() steps, then groupby((...), aggregate(...)) or aggregate(...). */
function applySelection(steps: readonly Transformation[], set: EntitySet, origins: Origins): Selection {
  const sel: Selection = { dimensions: [], metrics: [], filters: [], columns: [] };
  const names = entityNames(set, '$apply');
  let grouped = false;
  const group = (props: readonly PropertyRef[], then: readonly Transformation[]): void => {
    for (const p of props) {
      if (p.path.length !== 1) unsupported('$apply', p.pos, `the path '${p.path.join('/')}'`);
      const { field, prop } = names(p.path[0]!, p.pos);
      if (prop.kind !== 'dimension') unsupported('$apply', p.pos, `groupby of the metric '${p.path[0]}'`);
      origins.set(`dimensions[${sel.dimensions.length}]`, { option: '$apply', pos: p.pos });
      sel.dimensions.push(field);
      sel.columns.push({ name: p.path[0]!, output: field, kind: 'dimension', prop });
    }
    for (const t of then) {
      if (t.kind !== 'aggregate') unsupported('$apply', t.pos, `${t.kind === 'other' ? t.what : t.kind} inside groupby`);
      aggregate(t.items);
    }
  };
  const aggregate = (items: readonly AggregateItem[]): void => {
    for (const item of items) {
      origins.set(`metrics[${sel.metrics.length}]`, { option: '$apply', pos: item.pos });
      aggregateItem(item, set, sel, names);
    }
  };
  for (const step of steps) {
    if (grouped) unsupported('$apply', step.pos, 'a transformation after groupby/aggregate');
    if (step.kind === 'filter') {
      // Before aggregation a filter sees rows: a metric has no value there (the planner would
      // apply it after aggregation, to the groups, which is another question), so it is a 400.
      const rows: Names = (name, pos) => {
        const named = names(name, pos);
        if (named.prop.kind === 'metric') {
          throw badQuery('odata_unsupported', `$apply: filter() before groupby/aggregate names the metric '${name}' (at position ${pos}), which has no value before aggregation; filter the aggregated value with $filter after the $apply instead.`, { field: '$apply' });
        }
        return named;
      };
      const ctx = { names: rows, option: '$apply', origins };
      sel.filters.push(translateFilter(step.expr, ctx, `filters[${sel.filters.length}]`));
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
function plainSelection(options: ODataQueryOptions, set: EntitySet, origins: Origins): Selection {
  const sel: Selection = { dimensions: [], metrics: [], filters: [], columns: [] };
  const names = entityNames(set, '$select');
  const items = options.select ?? [{ kind: 'star' as const, pos: 0 }];
  // No $select (or `*`) is the entity set's own properties: OData 4.01 lets a service choose a
  // default set, and a joined dataset's (one_to_many: refunds) would multiply every row.
  const picked = items.some((i) => i.kind === 'star')
    ? set.properties.filter((p) => p.field !== null && !p.joined).map((p) => ({ name: p.name, pos: 0 }))
    : items.map((i) => {
      if (i.kind === 'other') return unsupported('$select', i.pos, i.what);
      if (i.kind !== 'property' || i.path.length !== 1) return unsupported('$select', i.pos, `the path '${i.kind === 'property' ? i.path.join('/') : '*'}'`);
      return { name: i.path[0]!, pos: i.pos };
    });
  for (const { name, pos } of picked) {
    if (name === KEY_PROPERTY || sel.columns.some((c) => c.name === name)) continue;
    const { field, prop } = names(name, pos);
    const list = prop.kind === 'dimension' ? sel.dimensions : sel.metrics;
    origins.set(`${prop.kind === 'dimension' ? 'dimensions' : 'metrics'}[${list.length}]`, { option: '$select', pos });
    list.push(field);
    sel.columns.push({ name, output: field, kind: prop.kind === 'dimension' ? 'dimension' : 'metric', prop });
  }
  return sel;
}

/** An OData request as the query value; `page` is the rows this answer may hold. */
export function translateQuery(set: EntitySet, options: ODataQueryOptions, page: { limit: number; offset: number }): ODataQuery {
  const origins: Origins = new Map();
  const sel = options.apply ? applySelection(options.apply, set, origins) : plainSelection(options, set, origins);
  if (options.apply && options.select) {
    for (const i of options.select) {
      if (i.kind === 'other') unsupported('$select', i.pos, i.what);
      if (i.kind === 'property' && !sel.columns.some((c) => c.name === i.path[0])) unsupported('$select', i.pos, `'${i.path.join('/')}', which $apply does not produce`);
    }
  }
  // After $apply, $filter and $orderby see what it produced: grouped properties and aliases.
  const produced: Names = (name, pos) => {
    const col = sel.columns.find((c) => c.name === name);
    if (col) return { field: col.output, prop: col.prop };
    entityNames(set, '$filter')(name, pos); // unknown: its own error
    throw badQuery('odata_unsupported', `$filter after $apply may only name properties the $apply produces; '${name}' (at position ${pos}) is not one of them.`, { field: '$filter' });
  };
  let having: QueryFilter[] | undefined;
  if (options.filter) {
    const ctx = { names: options.apply ? produced : entityNames(set, '$filter'), option: '$filter', origins };
    if (options.apply) having = [translateFilter(options.filter, ctx, 'having[0]')];
    else sel.filters.push(translateFilter(options.filter, ctx, `filters[${sel.filters.length}]`));
  }
  const orderBy = options.orderby.map((o, i) => {
    if (o.expr.kind !== 'property' || o.expr.path.length !== 1) return unsupported('$orderby', o.expr.pos, 'ordering by an expression');
    const name = o.expr.path[0]!;
    const col = sel.columns.find((c) => c.name === name);
    if (!col) {
      entityNames(set, '$orderby')(name, o.expr.pos); // unknown or hidden: its own error
      throw badQuery('order_not_selected', `$orderby: '${name}' must be one of the selected properties.`, { field: '$orderby' });
    }
    origins.set(`order_by[${i}]`, { option: '$orderby', pos: o.expr.pos });
    return { field: col.output, direction: o.direction };
  });
  const query: SemanticQuery = {
    dataset: set.name,
    ...(sel.dimensions.length > 0 && { dimensions: sel.dimensions }),
    ...(sel.metrics.length > 0 && { metrics: sel.metrics }),
    ...(sel.filters.length > 0 && { filters: sel.filters }),
    ...(having && { having }),
    ...(orderBy.length > 0 && { order_by: orderBy }),
    limit: page.limit,
    ...(page.offset > 0 && { offset: page.offset }),
  };
  // $select after $apply projects what the transformations produced.
  let columns: ODataColumn[] = sel.columns.map(({ name, output, kind }) => ({ name, output, kind }));
  if (options.apply && options.select && !options.select.some((i) => i.kind === 'star')) {
    const names = new Set(options.select.map((i) => (i.kind === 'property' ? i.path[0] : '')));
    columns = columns.filter((col) => names.has(col.name));
  }
  origins.set('limit', { option: '$top', pos: 0 });
  return { query, columns, origins };
}

/**
 * A planner's error about a part of the query value, told as OData: the option it came
 * from is the target, and the position in that option is named. Anything else as it is.
 */
export function locateError(err: unknown, origins: Origins): unknown {
  if (!(err instanceof GatewayError) || err.field === undefined || err.status !== 400) return err;
  let path = err.field;
  let origin = origins.get(path);
  while (origin === undefined && path.length > 0) {
    const cut = Math.max(path.lastIndexOf('.'), path.lastIndexOf('['));
    if (cut <= 0) break;
    path = path.slice(0, cut);
    origin = origins.get(path);
  }
  if (origin === undefined) return err;
  const message = /position \d+/.test(err.message) ? err.message : `${origin.option}: ${err.message} (at position ${origin.pos})`;
  return new GatewayError(err.code, err.status, message, { field: origin.option, ...(err.hint !== undefined && { hint: err.hint }), ...(err.headers && { headers: err.headers }) });
}

