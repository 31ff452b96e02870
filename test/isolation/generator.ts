/**
 * A seeded generator of semantic queries for the isolation suite. Filter values are drawn
 * from the rows of EVERY tenant, so about two thirds of the values a tenant sends point at
 * another tenant's rows: each one is an attempt to reach them. The seed is printed on
 * failure; the same seed gives the same queries.
 */
import type { OrderRow } from '../helpers/seed.ts';
import type { FilterOp, FilterLeaf, SemanticQuery } from '../../src/query/types.ts';
import { Rng } from '../helpers/rng.ts';

export { Rng };

export type ValueKind = 'string' | 'number' | 'boolean' | 'date' | 'timestamp';
type Value = string | number | boolean | null;

export interface DimSpec { readonly name: string; readonly kind: ValueKind; readonly grains: readonly string[]; value(r: OrderRow): Value }

/** The catalog's dimensions (test/fixtures/isolation/catalog.yaml) and how to read them off a row. */
export const DIMS: readonly DimSpec[] = [
  { name: 'order_id', kind: 'number', grains: [], value: (r) => r.order_id },
  { name: 'tenant_id', kind: 'string', grains: [], value: (r) => r.tenant_id },
  { name: 'region', kind: 'string', grains: [], value: (r) => r.region },
  { name: 'channel', kind: 'string', grains: [], value: (r) => r.channel },
  { name: 'status', kind: 'string', grains: [], value: (r) => r.status },
  { name: 'note', kind: 'string', grains: [], value: (r) => r.note },
  { name: 'order_date', kind: 'date', grains: ['day', 'week', 'month', 'quarter', 'year'], value: (r) => r.order_date },
  { name: 'ordered_at', kind: 'timestamp', grains: ['hour', 'day', 'month'], value: (r) => `${r.ordered_at.replace(' ', 'T')}Z` },
  { name: 'amount', kind: 'number', grains: [], value: (r) => Number(r.amount) },
  { name: 'quantity', kind: 'number', grains: [], value: (r) => r.quantity },
  { name: 'discount', kind: 'number', grains: [], value: (r) => (r.discount === null ? null : Number(r.discount)) },
  { name: 'is_promo', kind: 'boolean', grains: [], value: (r) => r.is_promo },
  { name: 'order_year', kind: 'number', grains: [], value: (r) => Number(r.order_date.slice(0, 4)) },
];

/** Always selected (when a query has metrics) so every result row carries its id range. */
export const RANGE_METRICS = ['min_id', 'max_id', 'orders'] as const;
const OTHER_METRICS = ['revenue', 'min_amount', 'max_amount', 'units', 'tenant_count', 'avg_order'];
export const TOTALS_METRICS = ['orders', 'revenue', 'min_id', 'max_id'];
export const SEGMENTS = ['big', 'promo', 'returned_or_all'];

const ORDERED: FilterOp[] = ['eq', 'ne', 'gt', 'gte', 'lt', 'lte', 'in', 'not_in', 'between', 'is_null', 'is_not_null'];
const OPS: Record<ValueKind, readonly FilterOp[]> = {
  string: [...ORDERED, 'contains', 'starts_with', 'ends_with'],
  number: ORDERED,
  date: ORDERED,
  timestamp: ORDERED,
  boolean: ['eq', 'ne', 'in', 'not_in', 'is_null', 'is_not_null'],
};

export interface GeneratedQuery {
  readonly body: SemanticQuery;
  /** The same WHERE filters and segments, no dimensions, additive metrics only: HAVING is not additive. */
  readonly totals: SemanticQuery;
  /** Filters on dimensions (what the raw SQL oracle must reproduce). */
  readonly where: readonly FilterLeaf[];
}

function randomCase(rng: Rng, s: string): string {
  return rng.chance(0.3) ? s.toUpperCase() : rng.chance(0.3) ? s.toLowerCase() : s;
}

function dimFilter(rng: Rng, rows: readonly OrderRow[]): FilterLeaf {
  const dim = rng.pick(DIMS);
  const op = rng.pick(OPS[dim.kind]);
  // A value of some row of some tenant; skip NULLs where a value is needed.
  const draw = (): string | number | boolean => {
    for (;;) {
      const v = dim.value(rng.pick(rows));
      if (v !== null) return v;
    }
  };
  switch (op) {
    case 'is_null':
    case 'is_not_null':
      return { field: dim.name, op };
    case 'in':
    case 'not_in':
      return { field: dim.name, op, values: Array.from({ length: rng.int(1, 4) }, draw) };
    case 'between': {
      const pair = [draw(), draw()];
      if (rng.chance(0.8)) pair.sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
      return { field: dim.name, op, values: pair };
    }
    case 'contains':
    case 'starts_with':
    case 'ends_with': {
      const s = String(draw());
      const len = rng.int(0, Math.min(6, s.length));
      const start = op === 'starts_with' ? 0 : op === 'ends_with' ? s.length - len : rng.int(0, s.length - len);
      return { field: dim.name, op, values: [randomCase(rng, s.slice(start, start + len))] };
    }
    default:
      return { field: dim.name, op, values: [draw()] };
  }
}

/** HAVING filters with values from any tenant's ranges (ids, amounts, counts). */
function metricFilter(rng: Rng, rows: readonly OrderRow[]): FilterLeaf {
  const row = rng.pick(rows);
  const [field, value] = rng.pick<[string, number]>([
    ['orders', rng.int(0, 40)],
    ['min_id', row.order_id],
    ['max_id', row.order_id],
    ['min_amount', Number(row.amount)],
    ['revenue', Number(row.amount) * rng.int(1, 20)],
  ]);
  const op = rng.pick<FilterOp>(['eq', 'ne', 'gt', 'gte', 'lt', 'lte', 'in', 'between']);
  if (op === 'between') return { field, op, values: [value, value * rng.int(1, 3)] };
  if (op === 'in') return { field, op, values: [value, rng.pick(rows).order_id] };
  return { field, op, values: [value] };
}

export function generateQuery(rng: Rng, datasets: readonly string[], rows: readonly OrderRow[]): GeneratedQuery {
  const dataset = rng.pick(datasets);
  const distinctOnly = rng.chance(0.12);
  const dimensions = rng.sample(DIMS, distinctOnly ? rng.int(1, 3) : rng.int(0, 3)).map((d) =>
    d.grains.length > 0 && rng.chance(0.6) ? `${d.name}.${rng.pick(d.grains)}` : d.name);
  const metrics = distinctOnly ? [] : [...RANGE_METRICS, ...rng.sample(OTHER_METRICS, rng.int(0, 3))];
  const where = Array.from({ length: rng.int(0, 3) }, () => dimFilter(rng, rows));
  const having = metrics.length > 0 && rng.chance(0.2) ? [metricFilter(rng, rows)] : [];
  const segments = rng.chance(0.25) ? rng.sample(SEGMENTS, rng.int(1, 2)) : [];

  const body: SemanticQuery = { dataset, metrics, dimensions, filters: [...where, ...having] };
  if (segments.length > 0) body.segments = segments;
  const selected = [...dimensions, ...metrics];
  if (rng.chance(0.4)) {
    body.order_by = rng.sample(selected, rng.int(1, 2)).map((field) => ({ field, direction: rng.pick(['asc', 'desc'] as const) }));
  }
  if (rng.chance(0.5)) body.limit = rng.int(1, 60);
  if (rng.chance(0.2)) body.offset = rng.int(0, 10);

  const totals: SemanticQuery = { dataset, metrics: TOTALS_METRICS, filters: where };
  if (segments.length > 0) totals.segments = segments;
  return { body, totals, where };
}
