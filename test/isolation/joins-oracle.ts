/**
 * The join isolation suite's independent side: the star's rows (test/joins/data.ts) joined
 * in JavaScript as the spec says (LEFT JOINs from orders or customers, each tenant's rows
 * joined to its own only), filtered, grouped, and each metric aggregated over the distinct
 * rows of its own dataset in each group. Nothing here shares code with src/.
 */
import type { FilterLeaf, FilterOp } from '../../src/query/types.ts';
import type { CountryRow, CustomerRow, OrderRow, RefundRow, Star } from '../joins/data.ts';

type Value = string | number | null;

/** One joined row: each dataset's row, or null where the LEFT JOIN found none. */
interface JoinedRow { orders: OrderRow | null; customers: CustomerRow | null; countries: CountryRow | null; refunds: RefundRow | null }

const cents = (amount: string): number => Math.round(Number(amount) * 100);

function truncate(date: string | null, grain: string): string | null {
  if (date === null) return null;
  const [y, m] = [date.slice(0, 4), Number(date.slice(5, 7))];
  if (grain === 'year') return `${y}-01-01`;
  if (grain === 'quarter') return `${y}-${String(Math.floor((m - 1) / 3) * 3 + 1).padStart(2, '0')}-01`;
  return `${y}-${String(m).padStart(2, '0')}-01`;
}

/** A field reference of the suite (`status`, `customers.segment`, `countries.zone`, `order_date.month`) on one row. */
export function fieldValue(base: 'orders' | 'customers', ref: string, row: JoinedRow): Value {
  const parts = ref.split('.');
  const joined = ['orders', 'customers', 'countries', 'refunds'].includes(parts[0]!) && parts[0] !== base;
  const ds = (joined ? parts[0] : base) as keyof JoinedRow;
  const [name, grain] = joined ? [parts[1]!, parts[2]] : [parts[0]!, parts[1]];
  const r = row[ds] as unknown as Record<string, Value> | null;
  if (r === null) return null;
  if (ds === 'orders' && name === 'order_band') return Number(r['order_id']) % 3 === 0 ? 'third' : 'other';
  const v = r[name] ?? null;
  if (grain !== undefined) return truncate(v as string | null, grain);
  if (name === 'amount' || name === 'credit_limit') return v === null ? null : Number(v);
  return v;
}

/** The star joined from `base` for one tenant (or every tenant: `null`), each tenant's rows only with its own. */
export function joinedRows(star: Star, base: 'orders' | 'customers', tenant: string | null): JoinedRow[] {
  const mine = <T extends { tenant_id: string }>(rows: readonly T[]): T[] => rows.filter((r) => tenant === null || r.tenant_id === tenant);
  const country = (c: CustomerRow | null): CountryRow | null => (c === null ? null : star.countries.find((x) => x.code === c.country_code) ?? null);
  if (base === 'customers') return mine(star.customers).map((c) => ({ orders: null, customers: c, countries: country(c), refunds: null }));
  const out: JoinedRow[] = [];
  for (const o of mine(star.orders)) {
    const c = o.customer_id === null ? null : star.customers.find((x) => x.customer_id === o.customer_id && x.tenant_id === o.tenant_id) ?? null;
    const refunds = star.refunds.filter((r) => r.order_id === o.order_id && r.tenant_id === o.tenant_id);
    for (const r of refunds.length > 0 ? refunds : [null]) out.push({ orders: o, customers: c, countries: country(c), refunds: r });
  }
  return out;
}

function matches(v: Value, op: FilterOp, values: readonly unknown[]): boolean {
  const x = values[0] as Value;
  switch (op) {
    case 'eq': return v !== null && v === x;
    case 'ne': return v === null || v !== x;
    case 'in': return v !== null && values.includes(v);
    case 'not_in': return v === null || !values.includes(v);
    case 'gt': return v !== null && x !== null && v > x;
    case 'lt': return v !== null && x !== null && v < x;
    case 'between': return v !== null && v >= (values[0] as Value)! && v <= (values[1] as Value)!;
    case 'is_null': return v === null;
    case 'is_not_null': return v !== null;
    default: throw new Error(`the oracle has no ${op}`);
  }
}

/** Segments of the suite's catalog, as row conditions. */
const SEGMENTS: Record<string, (row: JoinedRow) => boolean> = {
  completed: (r) => r.orders?.status === 'completed',
  'customers.enterprise': (r) => r.customers?.segment === 'Enterprise',
  enterprise: (r) => r.customers?.segment === 'Enterprise',
};

/** A metric of the suite over the rows of one group: each dataset's metric over its distinct rows. */
function metricValue(base: 'orders' | 'customers', ref: string, rows: readonly JoinedRow[]): number | null {
  const distinct = <T>(pick: (r: JoinedRow) => T | null, key: (t: T) => unknown): T[] => {
    const seen = new Map<unknown, T>();
    for (const r of rows) { const t = pick(r); if (t !== null) seen.set(key(t), t); }
    return [...seen.values()];
  };
  const orders = distinct((r) => r.orders, (o) => o.order_id);
  const customers = distinct((r) => r.customers, (c) => c.customer_id);
  const refunds = distinct((r) => r.refunds, (x) => x.refund_id);
  const countries = distinct((r) => r.countries, (c) => c.code);
  const sum = (xs: number[]): number | null => (xs.length === 0 ? null : xs.reduce((a, b) => a + b, 0));
  const min = (xs: number[]): number | null => (xs.length === 0 ? null : Math.min(...xs));
  const max = (xs: number[]): number | null => (xs.length === 0 ? null : Math.max(...xs));
  const name = base === 'customers' && !ref.includes('.') ? `customers.${ref}` : ref;
  switch (name) {
    case 'revenue': return sum(orders.map((o) => cents(o.amount)));
    case 'order_count': return orders.length;
    case 'min_order': return min(orders.map((o) => o.order_id));
    case 'max_order': return max(orders.map((o) => o.order_id));
    case 'customers.customer_count': return customers.length;
    case 'customers.total_credit': return sum(customers.map((c) => cents(c.credit_limit)));
    case 'customers.min_customer': return min(customers.map((c) => c.customer_id));
    case 'customers.max_customer': return max(customers.map((c) => c.customer_id));
    case 'refunds.refunded': return sum(refunds.map((r) => cents(r.amount)));
    case 'refunds.refund_count': return refunds.length;
    case 'refunds.min_refund': return min(refunds.map((r) => r.refund_id));
    case 'refunds.max_refund': return max(refunds.map((r) => r.refund_id));
    case 'countries.country_count': return countries.length;
    case 'countries.population': return sum(countries.map((c) => c.population));
    default: throw new Error(`the oracle has no metric ${ref}`);
  }
}

/** Money metrics are compared in cents (the gateway answers in units). */
export const MONEY = new Set(['revenue', 'customers.total_credit', 'refunds.refunded', 'total_credit']);

export interface OracleQuery {
  readonly base: 'orders' | 'customers';
  readonly dimensions: readonly string[];
  readonly metrics: readonly string[];
  readonly filters: readonly FilterLeaf[];
  readonly segments: readonly string[];
}

/** The expected groups: dimension values then metric values, sorted by their JSON text. */
export function expectedRows(star: Star, q: OracleQuery, tenant: string | null): Value[][] {
  const rows = joinedRows(star, q.base, tenant).filter((r) =>
    q.filters.every((f) => matches(fieldValue(q.base, f.field, r), f.op, f.values ?? []))
    && q.segments.every((s) => SEGMENTS[s]!(r)));
  const groups = new Map<string, JoinedRow[]>();
  for (const r of rows) {
    const key = JSON.stringify(q.dimensions.map((d) => fieldValue(q.base, d, r)));
    groups.set(key, [...(groups.get(key) ?? []), r]);
  }
  // Without dimensions, one row of totals even over no rows.
  if (q.dimensions.length === 0 && q.metrics.length > 0 && groups.size === 0) groups.set('[]', []);
  return [...groups].map(([key, g]) => [...(JSON.parse(key) as Value[]), ...q.metrics.map((m) => metricValue(q.base, m, g))])
    .sort((a, b) => JSON.stringify(a).localeCompare(JSON.stringify(b)));
}
