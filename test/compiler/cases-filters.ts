/**
 * Cases for every filter operator on dimensions, LIKE special characters, case
 * insensitivity, NULL handling and metric filters (HAVING). See cases.ts.
 */
import { perEngine, tenant, truncDate } from './answer-sql.ts';
import type { CompilerCase } from './cases.ts';

const A = tenant('tenant_a');
const B = tenant('tenant_b');
const C = tenant('tenant_c');

/** Orders per note, for the string-matching cases; `where` selects the expected notes. */
function notes(where: string, t = A): string {
  return `SELECT note AS note, COUNT(*) AS orders FROM orders WHERE ${t} AND ${where} GROUP BY note ORDER BY note`;
}

export const FILTER_CASES: readonly CompilerCase[] = [
  {
    name: 'eq on a string dimension',
    as: 'tenant_a',
    query: { dataset: 'orders', dimensions: ['channel'], metrics: ['revenue', 'orders'], filters: [{ field: 'region', op: 'eq', values: ['EU'] }] },
    answer: `SELECT channel AS channel, SUM(amount) AS revenue, COUNT(*) AS orders FROM orders
             WHERE ${A} AND region = 'EU' GROUP BY channel ORDER BY channel`,
  },
  {
    name: 'ne keeps rows whose value is NULL',
    as: 'tenant_b',
    query: { dataset: 'orders', dimensions: ['region'], metrics: ['orders'], filters: [{ field: 'region', op: 'ne', values: ['EU'] }] },
    answer: `SELECT region AS region, COUNT(*) AS orders FROM orders
             WHERE ${B} AND (region IS NULL OR region <> 'EU') GROUP BY region ORDER BY (region IS NULL), region`,
  },
  {
    name: 'gt on a number dimension',
    as: 'tenant_a',
    query: { dataset: 'orders', dimensions: ['quantity'], metrics: ['orders'], filters: [{ field: 'quantity', op: 'gt', values: [6] }] },
    answer: `SELECT quantity AS quantity, COUNT(*) AS orders FROM orders WHERE ${A} AND quantity > 6 GROUP BY quantity ORDER BY quantity`,
  },
  {
    name: 'gte on a date, totals',
    as: 'tenant_c',
    query: { dataset: 'orders', metrics: ['revenue', 'orders'], filters: [{ field: 'order_date', op: 'gte', values: ['2025-06-01'] }] },
    answer: `SELECT SUM(amount) AS revenue, COUNT(*) AS orders FROM orders WHERE ${C} AND order_date >= DATE '2025-06-01'`,
  },
  {
    name: 'lt on a timestamp, distinct values',
    as: 'tenant_a',
    query: { dataset: 'orders', dimensions: ['order_id'], filters: [{ field: 'ordered_at', op: 'lt', values: ['2024-03-01T00:00:00Z'] }] },
    answer: `SELECT DISTINCT order_id AS order_id FROM orders WHERE ${A} AND ordered_at < TIMESTAMP '2024-03-01 00:00:00' ORDER BY order_id`,
  },
  {
    name: 'lte on a nullable decimal dimension',
    as: 'tenant_b',
    query: { dataset: 'orders', dimensions: ['discount'], metrics: ['orders'], filters: [{ field: 'discount', op: 'lte', values: [0.1] }] },
    answer: `SELECT discount AS discount, COUNT(*) AS orders FROM orders WHERE ${B} AND discount <= 0.1 GROUP BY discount ORDER BY discount`,
  },
  {
    name: 'in',
    as: 'tenant_a',
    query: { dataset: 'orders', dimensions: ['channel'], metrics: ['units'], filters: [{ field: 'channel', op: 'in', values: ['web', 'partner'] }] },
    answer: `SELECT channel AS channel, SUM(quantity) AS units FROM orders
             WHERE ${A} AND channel IN ('web', 'partner') GROUP BY channel ORDER BY channel`,
  },
  {
    name: 'not_in keeps rows whose value is NULL',
    as: 'tenant_c',
    query: { dataset: 'orders', dimensions: ['region'], metrics: ['orders', 'revenue'], filters: [{ field: 'region', op: 'not_in', values: ['EU', 'US'] }] },
    answer: `SELECT region AS region, COUNT(*) AS orders, SUM(amount) AS revenue FROM orders
             WHERE ${C} AND (region IS NULL OR region NOT IN ('EU', 'US')) GROUP BY region ORDER BY (region IS NULL), region`,
  },
  {
    name: 'between two dates, by month',
    as: 'tenant_a',
    query: {
      dataset: 'orders', dimensions: ['order_date.month'], metrics: ['revenue'],
      filters: [{ field: 'order_date', op: 'between', values: ['2024-02-01', '2024-05-31'] }],
    },
    answer: perEngine((e) => `SELECT ${truncDate(e, 'month', 'order_date')} AS month, SUM(amount) AS revenue FROM orders
             WHERE ${A} AND order_date >= DATE '2024-02-01' AND order_date <= DATE '2024-05-31' GROUP BY 1 ORDER BY 1`),
  },
  {
    name: 'contains % matches a literal percent sign',
    as: 'tenant_a',
    query: { dataset: 'orders', dimensions: ['note'], metrics: ['orders'], filters: [{ field: 'note', op: 'contains', values: ['%'] }] },
    answer: notes(`POSITION('%' IN note) > 0`),
  },
  {
    name: 'contains _ matches a literal underscore',
    as: 'tenant_b',
    query: { dataset: 'orders', dimensions: ['note'], metrics: ['orders'], filters: [{ field: 'note', op: 'contains', values: ['_'] }] },
    answer: notes(`POSITION('_' IN note) > 0`, B),
  },
  {
    name: 'contains a backslash matches a literal backslash',
    as: 'tenant_a',
    query: { dataset: 'orders', dimensions: ['note'], metrics: ['orders'], filters: [{ field: 'note', op: 'contains', values: ['\\'] }] },
    // MySQL string literals treat backslash as an escape; the others do not.
    answer: perEngine((e) => notes(`POSITION('${e === 'mysql' ? '\\\\' : '\\'}' IN note) > 0`)),
  },
  {
    name: 'contains a single quote',
    as: 'tenant_c',
    query: { dataset: 'orders', dimensions: ['note'], metrics: ['orders'], filters: [{ field: 'note', op: 'contains', values: ["'Bri"] }] },
    answer: notes(`POSITION('''Bri' IN note) > 0`, C),
  },
  {
    name: 'starts_with ignores case',
    as: 'tenant_a',
    query: { dataset: 'orders', dimensions: ['note'], metrics: ['orders'], filters: [{ field: 'note', op: 'starts_with', values: ['PLA'] }] },
    answer: notes(`LOWER(LEFT(note, 3)) = 'pla'`),
  },
  {
    name: 'starts_with a prefix holding % and a space',
    as: 'tenant_b',
    query: { dataset: 'orders', dimensions: ['note'], metrics: ['orders'], filters: [{ field: 'note', op: 'starts_with', values: ['50% '] }] },
    answer: notes(`LEFT(note, 4) = '50% '`, B),
  },
  {
    name: 'ends_with ignores case',
    as: 'tenant_a',
    query: { dataset: 'orders', dimensions: ['note'], metrics: ['orders'], filters: [{ field: 'note', op: 'ends_with', values: ['CASE'] }] },
    answer: notes(`LOWER(RIGHT(note, 4)) = 'case'`),
  },
  {
    name: 'contains ignores case beyond ASCII',
    as: 'tenant_c',
    query: { dataset: 'orders', dimensions: ['note'], metrics: ['orders'], filters: [{ field: 'note', op: 'contains', values: ['ÜNÏC'] }] },
    // Written out: the one seeded note that holds "ünïc" in any case.
    answer: notes(`note = 'Ünïcödé'`, C),
  },
  {
    name: 'is_null',
    as: 'tenant_a',
    query: { dataset: 'orders', dimensions: ['channel'], metrics: ['orders'], filters: [{ field: 'region', op: 'is_null' }] },
    answer: `SELECT channel AS channel, COUNT(*) AS orders FROM orders WHERE ${A} AND region IS NULL GROUP BY channel ORDER BY channel`,
  },
  {
    name: 'is_not_null, totals',
    as: 'tenant_b',
    query: { dataset: 'orders', metrics: ['orders', 'max_discount'], filters: [{ field: 'discount', op: 'is_not_null' }] },
    answer: `SELECT COUNT(*) AS orders, MAX(discount) AS max_discount FROM orders WHERE ${B} AND discount IS NOT NULL`,
  },
  {
    name: 'eq on a boolean dimension',
    as: 'tenant_c',
    query: { dataset: 'orders', dimensions: ['status'], metrics: ['orders'], filters: [{ field: 'is_promo', op: 'eq', values: [true] }] },
    answer: `SELECT status AS status, COUNT(*) AS orders FROM orders WHERE ${C} AND is_promo = TRUE GROUP BY status ORDER BY status`,
  },
  {
    name: 'eq on a time grain, by day',
    as: 'tenant_a',
    query: {
      dataset: 'orders', dimensions: ['order_date.day'], metrics: ['orders'],
      filters: [{ field: 'order_date.month', op: 'eq', values: ['2024-03-01'] }],
    },
    answer: `SELECT order_date AS day, COUNT(*) AS orders FROM orders
             WHERE ${A} AND order_date >= DATE '2024-03-01' AND order_date < DATE '2024-04-01' GROUP BY order_date ORDER BY order_date`,
  },
  {
    name: 'in on an expr dimension',
    as: 'tenant_b',
    query: { dataset: 'orders', dimensions: ['region_lower'], metrics: ['orders'], filters: [{ field: 'region_lower', op: 'in', values: ['eu', 'apac'] }] },
    answer: `SELECT LOWER(region) AS region_lower, COUNT(*) AS orders FROM orders
             WHERE ${B} AND region IN ('EU', 'APAC') GROUP BY LOWER(region) ORDER BY LOWER(region)`,
  },
  {
    name: 'metric filter gt goes to HAVING',
    as: 'tenant_a',
    query: { dataset: 'orders', dimensions: ['region'], metrics: ['revenue'], filters: [{ field: 'revenue', op: 'gt', values: [3068000] }] },
    answer: `SELECT region AS region, SUM(amount) AS revenue FROM orders WHERE ${A}
             GROUP BY region HAVING SUM(amount) > 3068000 ORDER BY (region IS NULL), region`,
  },
  {
    name: 'metric filter lte, by quarter',
    as: 'tenant_a',
    query: { dataset: 'orders', dimensions: ['order_date.quarter'], metrics: ['orders'], filters: [{ field: 'orders', op: 'lte', values: [18] }] },
    answer: perEngine((e) => `SELECT ${truncDate(e, 'quarter', 'order_date')} AS quarter, COUNT(*) AS orders FROM orders
             WHERE ${A} GROUP BY 1 HAVING COUNT(*) <= 18 ORDER BY 1`),
  },
  {
    name: 'metric filter between on a derived metric',
    as: 'tenant_a',
    query: {
      dataset: 'orders', dimensions: ['channel'], metrics: ['avg_order_value'],
      filters: [{ field: 'avg_order_value', op: 'between', values: [102200, 102400] }],
    },
    answer: `SELECT channel AS channel, AVG(amount) AS avg_order_value FROM orders WHERE ${A}
             GROUP BY channel HAVING AVG(amount) BETWEEN 102200 AND 102400 ORDER BY channel`,
  },
];
