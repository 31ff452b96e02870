/**
 * A star schema for the join suites, the same rows on every engine and in every layout:
 * orders -> customers -> countries, and orders -> refunds (one_to_many). Every tenant has
 * disjoint ids and values in every tenant table (order, customer and refund ids, amounts,
 * credit limits), so a row of another tenant shows up in any MIN, MAX, SUM or COUNT. Some
 * orders have no customer or an unknown one (LEFT JOIN rows with nothing joined), some
 * customers have several orders and some orders several refunds (fan-out where a naive
 * join double counts).
 */
import type { Engine, RawSql } from '../helpers/seed.ts';

export const TENANTS = ['tenant_a', 'tenant_b', 'tenant_c'] as const;
export type Tenant = (typeof TENANTS)[number];

export interface CountryRow { code: string; country_name: string; zone: string; population: number }
export interface CustomerRow { customer_id: number; tenant_id: string; segment: string; country_code: string | null; signup_date: string; credit_limit: string }
export interface OrderRow { order_id: number; tenant_id: string; customer_id: number | null; status: string; order_date: string; amount: string }
export interface RefundRow { refund_id: number; tenant_id: string; order_id: number; reason: string; refunded_on: string; amount: string }

export interface Star {
  countries: CountryRow[];
  customers: CustomerRow[];
  orders: OrderRow[];
  refunds: RefundRow[];
}

const SEGMENTS = ['Enterprise', 'SMB', 'Consumer', 'SMB'];
const STATUSES = ['completed', 'completed', 'returned', 'cancelled', 'completed'];
const REASONS = ['damaged', 'late', 'goodwill'];
/** Which customer (1..12) an order is: customer 1 has many orders, every customer some. */
const CUSTOMER_OF = [1, 2, 1, 3, 4, 1, 2, 5, 6, 7, 1, 8, 9, 10, 2, 11, 12, 3];

function day(offset: number): string {
  return new Date(Date.UTC(2024, 0, 1) + offset * 86_400_000).toISOString().slice(0, 10);
}

export const CUSTOMERS_PER_TENANT = 12;
export const ORDERS_PER_TENANT = 45;

export function generateStar(): Star {
  const countries: CountryRow[] = [
    { code: 'DE', country_name: 'Germany', zone: 'EMEA', population: 84 },
    { code: 'FR', country_name: 'France', zone: 'EMEA', population: 68 },
    { code: 'US', country_name: 'United States', zone: 'AMER', population: 335 },
    { code: 'JP', country_name: 'Japan', zone: 'APAC', population: 124 },
    { code: 'BR', country_name: 'Brazil', zone: 'AMER', population: 216 },
  ];
  const customers: CustomerRow[] = [];
  const orders: OrderRow[] = [];
  const refunds: RefundRow[] = [];
  TENANTS.forEach((tenant, k) => {
    for (let i = 1; i <= CUSTOMERS_PER_TENANT; i++) {
      customers.push({
        customer_id: (k + 1) * 1000 + i,
        tenant_id: tenant,
        segment: SEGMENTS[(i + k) % SEGMENTS.length]!,
        // One customer per tenant has no country, one a code no country has.
        country_code: i === 5 ? null : i === 7 ? 'XX' : countries[(i * 3 + k) % countries.length]!.code,
        signup_date: day((i * 29 + k * 7) % 700),
        credit_limit: ((k + 1) * 100_000 + i * 137).toFixed(2),
      });
    }
    let refundNo = 0;
    for (let i = 1; i <= ORDERS_PER_TENANT; i++) {
      // Low customer numbers get more orders; every 9th order has no customer, every 13th an unknown one.
      const c = CUSTOMER_OF[(i + k * 5) % CUSTOMER_OF.length]!;
      const customer = i % 9 === 0 ? null : i % 13 === 0 ? (k + 1) * 1000 + 99 : (k + 1) * 1000 + c;
      const order: OrderRow = {
        order_id: (k + 1) * 100_000 + i,
        tenant_id: tenant,
        customer_id: customer,
        status: STATUSES[(i + k) % STATUSES.length]!,
        order_date: day((i * 17 + k * 3) % 500),
        amount: ((k + 1) * 1_000_000 + i * 1_013 + k * 7).toString().replace(/(\d\d)$/, '.$1'),
      };
      orders.push(order);
      // About a third of orders get refunds; every 8th order two.
      const n = i % 8 === 0 ? 2 : i % 3 === 0 ? 1 : 0;
      for (let r = 1; r <= n; r++) {
        refundNo++;
        refunds.push({
          refund_id: (k + 1) * 10_000 + refundNo,
          tenant_id: tenant,
          order_id: order.order_id,
          reason: REASONS[(i + r + k) % REASONS.length]!,
          refunded_on: day((i * 17 + k * 3) % 500 + 5 * r),
          amount: ((k + 1) * 50_000 + i * 97 + r * 11).toString().replace(/(\d\d)$/, '.$1'),
        });
      }
    }
  });
  return { countries, customers, orders, refunds };
}

type Value = string | number | null;

function lit(v: Value): string {
  if (v === null) return 'NULL';
  if (typeof v === 'number') return String(v);
  return `'${v.replace(/'/g, "''")}'`;
}

interface TableSpec<R> { columns: [keyof R & string, string][]; }

const TEXT = (e: Engine): string => (e === 'mysql' ? 'VARCHAR(64)' : 'VARCHAR');

function specs(e: Engine) {
  return {
    countries: { columns: [['code', `${TEXT(e)} NOT NULL PRIMARY KEY`], ['country_name', TEXT(e)], ['zone', TEXT(e)], ['population', 'INTEGER']] } as TableSpec<CountryRow>,
    customers: { columns: [['customer_id', 'BIGINT NOT NULL PRIMARY KEY'], ['tenant_id', `${TEXT(e)} NOT NULL`], ['segment', TEXT(e)], ['country_code', TEXT(e)], ['signup_date', 'DATE'], ['credit_limit', 'DECIMAL(14,2)']] } as TableSpec<CustomerRow>,
    orders: { columns: [['order_id', 'BIGINT NOT NULL PRIMARY KEY'], ['tenant_id', `${TEXT(e)} NOT NULL`], ['customer_id', 'BIGINT'], ['status', TEXT(e)], ['order_date', 'DATE'], ['amount', 'DECIMAL(14,2)']] } as TableSpec<OrderRow>,
    refunds: { columns: [['refund_id', 'BIGINT NOT NULL PRIMARY KEY'], ['tenant_id', `${TEXT(e)} NOT NULL`], ['order_id', 'BIGINT NOT NULL'], ['reason', TEXT(e)], ['refunded_on', 'DATE'], ['amount', 'DECIMAL(14,2)']] } as TableSpec<RefundRow>,
  };
}

/** Creates `table` (dropping an old one) and inserts `rows`: one of the star's tables. */
export async function seedTable<K extends keyof Star>(db: RawSql, engine: Engine, kind: K, table: string, rows: readonly Star[K][number][]): Promise<void> {
  const spec = specs(engine)[kind] as TableSpec<Star[K][number]>;
  await db.exec(`DROP TABLE IF EXISTS ${table}`);
  await db.exec(`CREATE TABLE ${table} (${spec.columns.map(([c, t]) => `${c} ${t}`).join(', ')})${engine === 'mysql' ? ' CHARACTER SET utf8mb4 COLLATE utf8mb4_bin' : ''}`);
  if (rows.length === 0) return;
  const values = rows.map((r) => `(${spec.columns.map(([c, t]) => (t.startsWith('DATE') && typeof r[c] === 'string' ? `DATE ${lit(r[c] as string)}` : lit(r[c] as Value))).join(', ')})`);
  await db.exec(`INSERT INTO ${table} (${spec.columns.map(([c]) => c).join(', ')}) VALUES ${values.join(', ')}`);
}

/** One tenant's rows of each tenant table. */
export function rowsOf(star: Star, tenant: string): Omit<Star, 'countries'> {
  return {
    customers: star.customers.filter((r) => r.tenant_id === tenant),
    orders: star.orders.filter((r) => r.tenant_id === tenant),
    refunds: star.refunds.filter((r) => r.tenant_id === tenant),
  };
}

/** The id ranges of one tenant per table: a row outside them is another tenant's. */
export function idRanges(star: Star, tenant: string): Record<'orders' | 'customers' | 'refunds', [number, number]> {
  const mine = rowsOf(star, tenant);
  const range = (ids: number[]): [number, number] => [Math.min(...ids), Math.max(...ids)];
  return {
    orders: range(mine.orders.map((r) => r.order_id)),
    customers: range(mine.customers.map((r) => r.customer_id)),
    refunds: range(mine.refunds.map((r) => r.refund_id)),
  };
}
