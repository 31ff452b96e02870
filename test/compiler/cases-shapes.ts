/**
 * Cases for time grains, expressions, derived metrics, segments, ordering, paging,
 * totals, distinct values and every tenant layout. See cases.ts.
 */
import { hourText, perEngine, tenant, truncDate } from './answer-sql.ts';
import type { CompilerCase } from './cases.ts';

const A = tenant('tenant_a');
const B = tenant('tenant_b');
const C = tenant('tenant_c');

const GRAIN_CASES: readonly CompilerCase[] = [
  {
    name: 'hour grain on a timestamp',
    as: 'tenant_b',
    query: {
      dataset: 'orders', dimensions: ['ordered_at.hour'], metrics: ['orders'],
      filters: [{ field: 'ordered_at', op: 'between', values: ['2024-02-01T00:00:00Z', '2024-03-31T23:59:59Z'] }],
    },
    answer: perEngine((e) => `SELECT ${hourText(e, 'ordered_at')} AS hour, COUNT(*) AS orders FROM orders
             WHERE ${B} AND ordered_at >= TIMESTAMP '2024-02-01 00:00:00' AND ordered_at <= TIMESTAMP '2024-03-31 23:59:59'
             GROUP BY 1 ORDER BY 1`),
  },
  {
    name: 'week grain starts on Monday',
    as: 'tenant_a',
    query: {
      dataset: 'orders', dimensions: ['order_date.week'], metrics: ['orders', 'revenue'],
      filters: [{ field: 'order_date', op: 'lt', values: ['2024-07-01'] }],
    },
    answer: perEngine((e) => `SELECT ${truncDate(e, 'week', 'order_date')} AS week, COUNT(*) AS orders, SUM(amount) AS revenue
             FROM orders WHERE ${A} AND order_date < DATE '2024-07-01' GROUP BY 1 ORDER BY 1`),
  },
  {
    name: 'month grain on a date',
    as: 'tenant_c',
    query: { dataset: 'orders', dimensions: ['order_date.month'], metrics: ['orders'] },
    answer: perEngine((e) => `SELECT ${truncDate(e, 'month', 'order_date')} AS month, COUNT(*) AS orders FROM orders
             WHERE ${C} GROUP BY 1 ORDER BY 1`),
  },
  {
    name: 'quarter grain on a date',
    as: 'tenant_b',
    query: { dataset: 'orders', dimensions: ['order_date.quarter'], metrics: ['revenue'] },
    answer: perEngine((e) => `SELECT ${truncDate(e, 'quarter', 'order_date')} AS quarter, SUM(amount) AS revenue FROM orders
             WHERE ${B} GROUP BY 1 ORDER BY 1`),
  },
  {
    name: 'year grain on a date',
    as: 'tenant_a',
    query: { dataset: 'orders', dimensions: ['order_date.year'], metrics: ['revenue', 'orders'] },
    answer: perEngine((e) => `SELECT ${truncDate(e, 'year', 'order_date')} AS year, SUM(amount) AS revenue, COUNT(*) AS orders
             FROM orders WHERE ${A} GROUP BY 1 ORDER BY 1`),
  },
  {
    name: 'day grain on a timestamp',
    as: 'tenant_c',
    query: {
      dataset: 'orders', dimensions: ['ordered_at.day'], metrics: ['units'],
      filters: [{ field: 'ordered_at', op: 'lt', values: ['2024-04-01T00:00:00Z'] }],
    },
    answer: `SELECT CAST(ordered_at AS DATE) AS day, SUM(quantity) AS units FROM orders
             WHERE ${C} AND ordered_at < TIMESTAMP '2024-04-01 00:00:00' GROUP BY 1 ORDER BY 1`,
  },
  {
    name: 'month grain on a timestamp, two dimensions',
    as: 'tenant_a',
    query: {
      dataset: 'orders', dimensions: ['ordered_at.month', 'channel'], metrics: ['orders'],
      filters: [{ field: 'ordered_at', op: 'gte', values: ['2025-10-01T00:00:00Z'] }],
    },
    answer: perEngine((e) => `SELECT ${truncDate(e, 'month', 'ordered_at')} AS month, channel AS channel, COUNT(*) AS orders
             FROM orders WHERE ${A} AND ordered_at >= TIMESTAMP '2025-10-01 00:00:00' GROUP BY 1, 2 ORDER BY 1, 2`),
  },
  {
    name: 'week grain on an expr dimension',
    as: 'tenant_b',
    query: {
      dataset: 'orders', dimensions: ['order_day.week'], metrics: ['orders'],
      filters: [{ field: 'order_date', op: 'lt', values: ['2024-04-01'] }],
    },
    answer: perEngine((e) => `SELECT ${truncDate(e, 'week', 'CAST(ordered_at AS DATE)')} AS week, COUNT(*) AS orders FROM orders
             WHERE ${B} AND order_date < DATE '2024-04-01' GROUP BY 1 ORDER BY 1`),
  },
];

const SHAPE_ONLY: readonly CompilerCase[] = [
  {
    name: 'dimension with an expr',
    as: 'tenant_a',
    query: { dataset: 'orders', dimensions: ['amount_band'], metrics: ['orders', 'revenue'] },
    answer: `SELECT CASE WHEN amount < 102500 THEN 'low' ELSE 'high' END AS band, COUNT(*) AS orders, SUM(amount) AS revenue
             FROM orders WHERE ${A} GROUP BY 1 ORDER BY 1`,
  },
  {
    name: 'derived metric next to its parts',
    as: 'tenant_b',
    query: { dataset: 'orders', dimensions: ['region'], metrics: ['revenue', 'orders', 'avg_order_value'] },
    answer: `SELECT region AS region, SUM(amount) AS revenue, COUNT(*) AS orders, AVG(amount) AS aov FROM orders
             WHERE ${B} GROUP BY region ORDER BY (region IS NULL), region`,
  },
  {
    name: 'two segments',
    as: 'tenant_a',
    query: { dataset: 'orders', dimensions: ['status'], metrics: ['orders'], segments: ['large_orders', 'promo'] },
    answer: `SELECT status AS status, COUNT(*) AS orders FROM orders
             WHERE ${A} AND amount >= 102500 AND is_promo = TRUE GROUP BY status ORDER BY status`,
  },
  {
    name: 'order by a metric descending, limit',
    as: 'tenant_c',
    query: { dataset: 'orders', dimensions: ['channel', 'status'], metrics: ['revenue'], order_by: [{ field: 'revenue', direction: 'desc' }], limit: 4 },
    answer: `SELECT channel AS channel, status AS status, SUM(amount) AS revenue FROM orders WHERE ${C}
             GROUP BY channel, status ORDER BY SUM(amount) DESC, channel, status LIMIT 4`,
    truncated: true,
  },
  {
    name: 'order by a nullable metric ascending keeps NULLs last',
    as: 'tenant_a',
    query: {
      dataset: 'orders', dimensions: ['order_id'], metrics: ['max_discount'], order_by: [{ field: 'max_discount', direction: 'asc' }],
      filters: [{ field: 'order_id', op: 'lte', values: [1000012] }],
    },
    answer: `SELECT order_id AS order_id, MAX(discount) AS max_discount FROM orders WHERE ${A} AND order_id <= 1000012
             GROUP BY order_id ORDER BY (MAX(discount) IS NULL), MAX(discount), order_id`,
  },
  {
    name: 'order by a dimension descending keeps NULLs last',
    as: 'tenant_a',
    query: { dataset: 'orders', dimensions: ['region'], metrics: ['orders'], order_by: [{ field: 'region', direction: 'desc' }] },
    answer: `SELECT region AS region, COUNT(*) AS orders FROM orders WHERE ${A} GROUP BY region ORDER BY (region IS NULL), region DESC`,
  },
  {
    name: 'order by a nullable dimension ascending, then another descending',
    as: 'tenant_b',
    query: {
      dataset: 'orders', dimensions: ['discount', 'channel'], metrics: ['orders'],
      order_by: [{ field: 'discount' }, { field: 'channel', direction: 'desc' }],
      filters: [{ field: 'quantity', op: 'lt', values: [3] }],
    },
    answer: `SELECT discount AS discount, channel AS channel, COUNT(*) AS orders FROM orders WHERE ${B} AND quantity < 3
             GROUP BY discount, channel ORDER BY (discount IS NULL), discount, channel DESC`,
  },
  {
    name: 'limit and offset',
    as: 'tenant_a',
    query: { dataset: 'orders', dimensions: ['order_id'], metrics: ['units'], limit: 5, offset: 10 },
    answer: `SELECT order_id AS order_id, SUM(quantity) AS units FROM orders WHERE ${A}
             GROUP BY order_id ORDER BY order_id LIMIT 5 OFFSET 10`,
    truncated: true,
  },
  {
    name: 'limit exactly the row count is not truncated',
    as: 'tenant_b',
    query: { dataset: 'orders', dimensions: ['channel'], metrics: ['orders'], limit: 3 },
    answer: `SELECT channel AS channel, COUNT(*) AS orders FROM orders WHERE ${B} GROUP BY channel ORDER BY channel`,
  },
  {
    name: 'totals: metrics without dimensions',
    as: 'tenant_c',
    query: { dataset: 'orders', metrics: ['revenue', 'orders', 'units', 'max_discount', 'avg_order_value'] },
    answer: `SELECT SUM(amount) AS revenue, COUNT(*) AS orders, SUM(quantity) AS units, MAX(discount) AS max_discount,
             SUM(amount) / COUNT(*) AS aov FROM orders WHERE ${C}`,
  },
  {
    name: 'distinct values: dimensions without metrics',
    as: 'tenant_a',
    query: { dataset: 'orders', dimensions: ['channel', 'status'] },
    answer: `SELECT DISTINCT channel AS channel, status AS status FROM orders WHERE ${A} ORDER BY channel, status`,
  },
  {
    name: 'distinct values of a nullable dimension',
    as: 'tenant_b',
    query: { dataset: 'orders', dimensions: ['region'] },
    // GROUP BY, not DISTINCT: PostgreSQL wants DISTINCT's ORDER BY terms in the select list.
    answer: `SELECT region AS region FROM orders WHERE ${B} GROUP BY region ORDER BY (region IS NULL), region`,
  },
  {
    name: 'distinct values of awkward strings (binary collation everywhere)',
    as: 'tenant_c',
    query: { dataset: 'orders', dimensions: ['note'] },
    answer: `SELECT DISTINCT note AS note FROM orders WHERE ${C} ORDER BY note`,
  },
];

const LAYOUT_CASES: readonly CompilerCase[] = [
  {
    name: 'sql: dataset in the shared layout is wrapped and scoped',
    as: 'tenant_b',
    query: { dataset: 'live_orders', dimensions: ['region'], metrics: ['revenue', 'orders'] },
    answer: `SELECT region AS region, SUM(amount) AS revenue, COUNT(*) AS orders FROM orders
             WHERE ${B} AND status <> 'cancelled' GROUP BY region ORDER BY (region IS NULL), region`,
  },
  {
    name: 'schema per tenant',
    as: 'tenant_b',
    query: { dataset: 'tenant_orders', dimensions: ['channel'], metrics: ['revenue', 'orders'] },
    answer: `SELECT channel AS channel, SUM(amount) AS revenue, COUNT(*) AS orders FROM orders WHERE ${B} GROUP BY channel ORDER BY channel`,
  },
  {
    name: 'schema per tenant with a grain and a filter',
    as: 'tenant_c',
    query: {
      dataset: 'tenant_orders', dimensions: ['order_date.month'], metrics: ['orders'],
      filters: [{ field: 'order_date', op: 'lt', values: ['2024-07-01'] }],
    },
    answer: perEngine((e) => `SELECT ${truncDate(e, 'month', 'order_date')} AS month, COUNT(*) AS orders FROM orders
             WHERE ${C} AND order_date < DATE '2024-07-01' GROUP BY 1 ORDER BY 1`),
  },
  {
    name: 'schema per tenant through sql:',
    as: 'tenant_a',
    query: { dataset: 'tenant_promos', dimensions: ['status'], metrics: ['revenue'] },
    answer: `SELECT status AS status, SUM(amount) AS revenue FROM orders WHERE ${A} AND is_promo = TRUE GROUP BY status ORDER BY status`,
  },
  {
    name: 'database per tenant (connection names the tenant)',
    as: 'tenant_c',
    query: { dataset: 'db_orders', dimensions: ['region'], metrics: ['revenue', 'orders'] },
    answer: `SELECT region AS region, SUM(amount) AS revenue, COUNT(*) AS orders FROM orders
             WHERE ${C} GROUP BY region ORDER BY (region IS NULL), region`,
  },
  {
    name: 'database per tenant (source named like the tenant)',
    as: 'tenant_a',
    query: { dataset: 'named_db_orders', dimensions: ['status'], metrics: ['units'] },
    answer: `SELECT status AS status, SUM(quantity) AS units FROM orders WHERE ${A} GROUP BY status ORDER BY status`,
  },
  {
    name: 'global dataset (rls: none)',
    as: 'tenant_b',
    query: { dataset: 'regions', dimensions: ['zone'], metrics: ['regions', 'population'] },
    answer: `SELECT zone AS zone, COUNT(*) AS regions, SUM(population_m) AS population FROM regions_ref GROUP BY zone ORDER BY zone`,
  },
  {
    name: 'admin reads all tenants of a shared table',
    as: 'admin',
    query: { dataset: 'orders', dimensions: ['region'], metrics: ['revenue', 'orders'] },
    answer: `SELECT region AS region, SUM(amount) AS revenue, COUNT(*) AS orders FROM orders GROUP BY region ORDER BY (region IS NULL), region`,
  },
  {
    name: 'admin acting as one tenant of a shared table',
    as: 'admin_as_tenant_b',
    query: { dataset: 'orders', dimensions: ['channel'], metrics: ['revenue'] },
    answer: `SELECT channel AS channel, SUM(amount) AS revenue FROM orders WHERE ${B} GROUP BY channel ORDER BY channel`,
  },
  {
    name: 'admin acting as one tenant, database per tenant',
    as: 'admin_as_tenant_b',
    query: { dataset: 'db_orders', metrics: ['revenue', 'orders'] },
    answer: `SELECT SUM(amount) AS revenue, COUNT(*) AS orders FROM orders WHERE ${B}`,
  },
];

export const SHAPE_CASES: readonly CompilerCase[] = [...GRAIN_CASES, ...SHAPE_ONLY, ...LAYOUT_CASES];
