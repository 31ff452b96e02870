/**
 * Every place of a SemanticQuery where a request can put a value, and how a value that
 * compiles there must reach the database: as a bound value, a LIKE pattern, a limit or an
 * offset parameter, or (identifier positions) not at all.
 */
import { FILTER_OPS, type FilterOp } from '../../src/query/types.ts';

export type Binding = 'value' | 'timestamp' | 'like' | 'limit' | 'offset' | 'none';

export interface Position {
  readonly name: string;
  /** The query with `v` in this position; `dataset` is the target dataset's name. */
  body(dataset: string, v: unknown): Record<string, unknown>;
  /** A query that compiles with this position filled (or left out when it has no valid value):
   * its SQL is the shape every compiled payload must keep. */
  benignBody(dataset: string): Record<string, unknown>;
  readonly binding: Binding;
}

const base = (dataset: string): Record<string, unknown> => ({ dataset, dimensions: ['region'], metrics: ['revenue'] });
const filter = (dataset: string, f: unknown): Record<string, unknown> => ({ ...base(dataset), filters: [f] });
const text = (v: unknown): string => (typeof v === 'string' ? v : JSON.stringify(v) ?? String(v));

const LIKE_OPS: readonly FilterOp[] = ['contains', 'starts_with', 'ends_with'];

/** `filters[0].values` for one operator on the string dimension `region`. */
function valuesFor(op: FilterOp, v: unknown): unknown[] {
  switch (op) {
    case 'in':
    case 'not_in': return ['EU', v];
    case 'between': return [v, v];
    default: return [v];
  }
}

const stringValuePositions: Position[] = FILTER_OPS.map((op) => ({
  name: `filters[].values[] (${op}, string)`,
  body: (ds, v) => filter(ds, { field: 'region', op, values: valuesFor(op, v) }),
  // is_null / is_not_null take no values: the benign query leaves them out.
  benignBody: (ds) => filter(ds, op === 'is_null' || op === 'is_not_null' ? { field: 'region', op } : { field: 'region', op, values: valuesFor(op, 'EU') }),
  binding: LIKE_OPS.includes(op) ? 'like' : op === 'is_null' || op === 'is_not_null' ? 'none' : 'value',
}));

const typedValuePositions: Position[] = [
  { name: 'filters[].values[] (eq, number)', field: 'order_id', op: 'eq', benign: 7 },
  { name: 'filters[].values[] (between, number)', field: 'order_id', op: 'between', benign: 7 },
  { name: 'filters[].values[] (eq, boolean)', field: 'is_promo', op: 'eq', benign: true },
  { name: 'filters[].values[] (gte, date)', field: 'order_date', op: 'gte', benign: '2024-03-01' },
  { name: 'filters[].values[] (lt, timestamp)', field: 'ordered_at', op: 'lt', benign: '2024-03-01T10:00:00Z' },
  { name: 'filters[].values[] (gt, metric)', field: 'revenue', op: 'gt', benign: 100 },
].map(({ name, field, op, benign }) => ({
  name,
  body: (ds: string, v: unknown) => filter(ds, { field, op, values: op === 'between' ? [v, v] : [v] }),
  benignBody: (ds: string) => filter(ds, { field, op, values: op === 'between' ? [benign, benign] : [benign] }),
  // Timestamps are bound in a normalised UTC form, not as sent.
  binding: field === 'ordered_at' ? ('timestamp' as const) : ('value' as const),
}));

/** A position whose benign query puts `benign` there, or leaves it out when undefined. */
function at(name: string, body: Position['body'], benign: unknown, binding: Binding): Position {
  return { name, body, benignBody: (ds) => (benign === undefined ? base(ds) : body(ds, benign)), binding };
}

export const POSITIONS: readonly Position[] = [
  at('dataset', (ds, v) => ({ ...base(ds), dataset: v }), undefined, 'none'),
  at('dimensions[]', (ds, v) => ({ ...base(ds), dimensions: ['region', v] }), 'is_promo', 'none'),
  at('dimensions (whole)', (ds, v) => ({ ...base(ds), dimensions: v }), ['region'], 'none'),
  at('dimensions[] time grain', (ds, v) => ({ ...base(ds), dimensions: [`order_date.${text(v)}`] }), 'month', 'none'),
  at('metrics[]', (ds, v) => ({ ...base(ds), metrics: ['revenue', v] }), 'order_count', 'none'),
  at('segments[]', (ds, v) => ({ ...base(ds), segments: [v] }), 'large_orders', 'none'),
  at('filters[] (whole entry)', (ds, v) => filter(ds, v), { field: 'region', op: 'eq', values: ['EU'] }, 'none'),
  at('filters[].field', (ds, v) => filter(ds, { field: v, op: 'eq', values: ['EU'] }), 'region', 'none'),
  at('filters[].op', (ds, v) => filter(ds, { field: 'region', op: v, values: ['EU'] }), 'eq', 'none'),
  at('filters[].values (whole)', (ds, v) => filter(ds, { field: 'region', op: 'in', values: v }), ['EU'], 'none'),
  at('filters[] unknown key', (ds, v) => filter(ds, { field: 'region', op: 'eq', values: ['EU'], [text(v)]: 1 }), undefined, 'none'),
  ...stringValuePositions,
  ...typedValuePositions,
  at('order_by[] (whole entry)', (ds, v) => ({ ...base(ds), order_by: [v] }), { field: 'revenue' }, 'none'),
  at('order_by[].field', (ds, v) => ({ ...base(ds), order_by: [{ field: v }] }), 'revenue', 'none'),
  at('order_by[].direction', (ds, v) => ({ ...base(ds), order_by: [{ field: 'revenue', direction: v }] }), 'desc', 'none'),
  at('limit', (ds, v) => ({ ...base(ds), limit: v }), 10, 'limit'),
  at('offset', (ds, v) => ({ ...base(ds), offset: v }), 5, 'offset'),
  at('unknown top-level key', (ds, v) => ({ ...base(ds), [text(v)]: 1 }), undefined, 'none'),
  at('unknown top-level key value', (ds, v) => ({ ...base(ds), x_extra: v }), undefined, 'none'),
];
