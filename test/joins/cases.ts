/**
 * Join queries, each with an analyst's hand-written SQL over the shared tables that
 * aggregates each table on its own (so a metric is never multiplied by a join). Every
 * layout holds the same rows per tenant, so one answer serves all three. Answers are
 * compared as sets of rows unless `ordered`.
 */
import type { SemanticQuery } from '../../src/query/types.ts';
import type { Engine } from '../helpers/seed.ts';
import { truncDate } from '../compiler/answer-sql.ts';
import type { Layout } from './fixture.ts';

export type Who = 'tenant_a' | 'tenant_b' | 'tenant_c' | 'admin';

export interface JoinCase {
  readonly name: string;
  readonly as: Who;
  readonly query: SemanticQuery;
  /** SQL over jn_orders, jn_customers, jn_refunds, jn_countries (per engine where dates differ). */
  readonly answer: string | ((e: Engine) => string);
  readonly ordered?: boolean;
  readonly truncated?: boolean;
  /** Layouts it runs in; default all (an admin of all tenants only reads shared tables). */
  readonly layouts?: readonly Layout[];
}

/** `alias.tenant_id = '<tenant>'`, or nothing for the admin of all tenants. */
export function tenantSql(who: Who, alias: string): string {
  return who === 'admin' ? '1 = 1' : `${alias}.tenant_id = '${who}'`;
}

/** Orders joined to customers and countries for one caller: the LEFT JOINs of the spec. */
const orderRows = (w: Who): string => `jn_orders o
  LEFT JOIN jn_customers c ON c.customer_id = o.customer_id AND ${tenantSql(w, 'c')}
  LEFT JOIN jn_countries co ON co.code = c.country_code`;

export const JOIN_CASES: readonly JoinCase[] = [
  {
    name: 'a shared table read through sql: with {tenant_id}: its window functions count the tenant\'s rows only',
    as: 'tenant_b',
    layouts: ['shared'],
    query: { dataset: 'order_share', dimensions: ['status', 'tenant_orders', 'status_amount'], metrics: ['n'] },
    answer: `SELECT o.status, (SELECT COUNT(*) FROM jn_orders x WHERE ${tenantSql('tenant_b', 'x')}) AS tenant_orders,
      SUM(o.amount) AS status_amount, COUNT(*) AS n FROM jn_orders o WHERE ${tenantSql('tenant_b', 'o')} GROUP BY o.status`,
  },
  {
    name: 'a joined dimension, the queried dataset\'s metrics',
    as: 'tenant_a',
    query: { dataset: 'orders', dimensions: ['customers.segment'], metrics: ['revenue', 'order_count'] },
    answer: `SELECT c.segment, SUM(o.amount), COUNT(*) FROM ${orderRows('tenant_a')} WHERE ${tenantSql('tenant_a', 'o')} GROUP BY c.segment`,
  },
  {
    name: 'two hops away, and a metric of the middle dataset',
    as: 'tenant_b',
    query: { dataset: 'orders', dimensions: ['countries.zone'], metrics: ['revenue', 'customers.customer_count'] },
    answer: `SELECT co.zone, SUM(o.amount), COUNT(DISTINCT c.customer_id) FROM ${orderRows('tenant_b')} WHERE ${tenantSql('tenant_b', 'o')} GROUP BY co.zone`,
  },
  {
    name: 'fan-out: customer metrics grouped by an order dimension count each customer once per group',
    as: 'tenant_c',
    query: { dataset: 'orders', dimensions: ['status'], metrics: ['customers.customer_count', 'customers.total_credit'] },
    answer: `SELECT st.status, COUNT(x.customer_id), SUM(x.credit_limit)
      FROM (SELECT DISTINCT status FROM jn_orders o WHERE ${tenantSql('tenant_c', 'o')}) st
      LEFT JOIN (SELECT DISTINCT o.status, c.customer_id, c.credit_limit FROM jn_orders o
                 JOIN jn_customers c ON c.customer_id = o.customer_id AND ${tenantSql('tenant_c', 'c')}
                 WHERE ${tenantSql('tenant_c', 'o')}) x ON x.status = st.status
      GROUP BY st.status`,
  },
  {
    name: 'two facts: orders and their refunds, each aggregated on its own',
    as: 'tenant_a',
    query: { dataset: 'orders', dimensions: ['status'], metrics: ['revenue', 'refunds.refunded', 'refunds.refund_count'] },
    answer: `SELECT a.status, a.revenue, b.refunded, COALESCE(b.n, 0)
      FROM (SELECT status, SUM(amount) AS revenue FROM jn_orders o WHERE ${tenantSql('tenant_a', 'o')} GROUP BY status) a
      LEFT JOIN (SELECT o.status, SUM(r.amount) AS refunded, COUNT(*) AS n FROM jn_refunds r
                 JOIN jn_orders o ON o.order_id = r.order_id AND ${tenantSql('tenant_a', 'o')}
                 WHERE ${tenantSql('tenant_a', 'r')} GROUP BY o.status) b ON b.status = a.status`,
  },
  {
    name: 'the queried dataset grouped by a one_to_many dimension counts each order once per reason',
    as: 'tenant_b',
    query: { dataset: 'orders', dimensions: ['refunds.reason'], metrics: ['revenue', 'order_count'] },
    answer: `SELECT x.reason, SUM(o.amount), COUNT(*)
      FROM (SELECT DISTINCT o.order_id, r.reason FROM jn_orders o
            LEFT JOIN jn_refunds r ON r.order_id = o.order_id AND ${tenantSql('tenant_b', 'r')}
            WHERE ${tenantSql('tenant_b', 'o')}) x
      JOIN jn_orders o ON o.order_id = x.order_id GROUP BY x.reason`,
  },
  {
    name: 'a filter on a joined dimension and a joined dataset\'s segment',
    as: 'tenant_c',
    query: {
      dataset: 'orders', dimensions: ['status'], metrics: ['revenue'],
      filters: [{ field: 'countries.zone', op: 'in', values: ['EMEA', 'AMER'] }], segments: ['customers.enterprise'],
    },
    answer: `SELECT o.status, SUM(o.amount) FROM ${orderRows('tenant_c')}
      WHERE ${tenantSql('tenant_c', 'o')} AND co.zone IN ('EMEA', 'AMER') AND c.segment = 'Enterprise' GROUP BY o.status`,
  },
  {
    name: 'derived metrics across datasets: net revenue, revenue per customer',
    as: 'tenant_a',
    query: { dataset: 'orders', dimensions: ['status'], metrics: ['net_revenue', 'revenue_per_customer'] },
    answer: `SELECT a.status, a.revenue - COALESCE(b.refunded, 0) AS net, a.revenue / NULLIF(cu.n, 0) AS per_customer
      FROM (SELECT status, SUM(amount) AS revenue FROM jn_orders o WHERE ${tenantSql('tenant_a', 'o')} GROUP BY status) a
      LEFT JOIN (SELECT o.status, SUM(r.amount) AS refunded FROM jn_refunds r
                 JOIN jn_orders o ON o.order_id = r.order_id AND ${tenantSql('tenant_a', 'o')}
                 WHERE ${tenantSql('tenant_a', 'r')} GROUP BY o.status) b ON b.status = a.status
      LEFT JOIN (SELECT o.status, COUNT(DISTINCT c.customer_id) AS n FROM jn_orders o
                 JOIN jn_customers c ON c.customer_id = o.customer_id AND ${tenantSql('tenant_a', 'c')}
                 WHERE ${tenantSql('tenant_a', 'o')} GROUP BY o.status) cu ON cu.status = a.status`,
  },
  {
    name: 'HAVING on a joined metric',
    as: 'tenant_b',
    query: {
      dataset: 'orders', dimensions: ['customers.segment'], metrics: ['revenue', 'refunds.refund_count'],
      filters: [{ field: 'refunds.refund_count', op: 'gte', values: [4] }],
    },
    answer: `SELECT a.segment, a.revenue, b.n
      FROM (SELECT c.segment, SUM(o.amount) AS revenue FROM ${orderRows('tenant_b')} WHERE ${tenantSql('tenant_b', 'o')} GROUP BY c.segment) a
      JOIN (SELECT c.segment, COUNT(*) AS n FROM jn_refunds r
            JOIN jn_orders o ON o.order_id = r.order_id AND ${tenantSql('tenant_b', 'o')}
            LEFT JOIN jn_customers c ON c.customer_id = o.customer_id AND ${tenantSql('tenant_b', 'c')}
            WHERE ${tenantSql('tenant_b', 'r')} GROUP BY c.segment) b ON b.segment = a.segment OR (b.segment IS NULL AND a.segment IS NULL)
      WHERE b.n >= 4`,
  },
  {
    name: 'order by a joined metric, limited: truncated',
    as: 'tenant_c',
    query: { dataset: 'orders', dimensions: ['customers.customer_id'], metrics: ['refunds.refunded'], order_by: [{ field: 'refunds.refunded', direction: 'desc' }], filters: [{ field: 'customers.customer_id', op: 'is_not_null' }], limit: 2 },
    answer: `SELECT c.customer_id, SUM(r.amount) AS refunded FROM jn_customers c
      JOIN jn_orders o ON o.customer_id = c.customer_id AND ${tenantSql('tenant_c', 'o')}
      JOIN jn_refunds r ON r.order_id = o.order_id AND ${tenantSql('tenant_c', 'r')}
      WHERE ${tenantSql('tenant_c', 'c')} GROUP BY c.customer_id ORDER BY refunded DESC LIMIT 2`,
    ordered: true,
    truncated: true,
  },
  {
    name: 'a joined time dimension\'s grain',
    as: 'tenant_a',
    query: { dataset: 'orders', dimensions: ['customers.signup_date.year'], metrics: ['order_count'], filters: [{ field: 'customers.signup_date', op: 'is_not_null' }] },
    answer: (e) => `SELECT ${truncDate(e, 'year', 'c.signup_date')} AS y, COUNT(*) AS n FROM ${orderRows('tenant_a')}
      WHERE ${tenantSql('tenant_a', 'o')} AND c.signup_date IS NOT NULL GROUP BY ${truncDate(e, 'year', 'c.signup_date')}`,
  },
  {
    name: 'totals of four datasets',
    as: 'tenant_b',
    query: { dataset: 'orders', metrics: ['revenue', 'customers.customer_count', 'refunds.refund_count', 'countries.country_count'] },
    answer: `SELECT (SELECT SUM(amount) FROM jn_orders o WHERE ${tenantSql('tenant_b', 'o')}) AS revenue,
      (SELECT COUNT(DISTINCT c.customer_id) FROM ${orderRows('tenant_b')} WHERE ${tenantSql('tenant_b', 'o')}) AS customers,
      (SELECT COUNT(*) FROM jn_refunds r JOIN jn_orders o ON o.order_id = r.order_id AND ${tenantSql('tenant_b', 'o')} WHERE ${tenantSql('tenant_b', 'r')}) AS refunds,
      (SELECT COUNT(DISTINCT co.code) FROM ${orderRows('tenant_b')} WHERE ${tenantSql('tenant_b', 'o')}) AS countries`,
  },
  {
    name: 'distinct values of joined dimensions',
    as: 'tenant_c',
    query: { dataset: 'orders', dimensions: ['customers.segment', 'countries.zone'] },
    answer: `SELECT DISTINCT c.segment, co.zone FROM ${orderRows('tenant_c')} WHERE ${tenantSql('tenant_c', 'o')}`,
  },
  {
    name: 'an admin of all tenants: every tenant\'s rows, each joined only to its own',
    as: 'admin',
    layouts: ['shared'],
    query: { dataset: 'orders', dimensions: ['customers.segment'], metrics: ['revenue', 'customers.customer_count', 'refunds.refunded'] },
    answer: `SELECT a.segment, a.revenue, a.customers, b.refunded
      FROM (SELECT c.segment, SUM(o.amount) AS revenue, COUNT(DISTINCT c.customer_id) AS customers FROM jn_orders o
            LEFT JOIN jn_customers c ON c.customer_id = o.customer_id GROUP BY c.segment) a
      LEFT JOIN (SELECT c.segment, SUM(r.amount) AS refunded FROM jn_refunds r JOIN jn_orders o ON o.order_id = r.order_id
                 LEFT JOIN jn_customers c ON c.customer_id = o.customer_id GROUP BY c.segment) b
        ON b.segment = a.segment OR (b.segment IS NULL AND a.segment IS NULL)`,
  },
  {
    name: 'reference data reached from customers: population counted once per country',
    as: 'tenant_a',
    query: { dataset: 'customers', dimensions: ['segment'], metrics: ['customer_count', 'countries.population'] },
    answer: `SELECT a.segment, a.n, b.population
      FROM (SELECT segment, COUNT(*) AS n FROM jn_customers c WHERE ${tenantSql('tenant_a', 'c')} GROUP BY segment) a
      LEFT JOIN (SELECT x.segment, SUM(co.population) AS population
                 FROM (SELECT DISTINCT c.segment, c.country_code FROM jn_customers c WHERE ${tenantSql('tenant_a', 'c')}) x
                 JOIN jn_countries co ON co.code = x.country_code GROUP BY x.segment) b ON b.segment = a.segment`,
  },
];
