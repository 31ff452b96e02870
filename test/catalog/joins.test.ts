/**
 * Load checks of `joins:`, `primary_key:`, cross-dataset references and `sql:` with
 * `{tenant_id}`: each mistake is reported at its own line, with its field, and the good
 * star schema loads with every dataset's reach worked out.
 */
import { describe, expect, it } from 'vitest';
import { errorsOf, expectIssue, listIssues, loadFiles } from './helpers.ts';

const SOURCES = `sources:
  - { name: warehouse, type: postgres, connection: { host: db.local, database: analytics, user: reader } }
  - { name: shop, type: mysql, connection: { host: db.local, database: shop, user: reader } }
`;

/** orders -> customers -> countries, orders -> refunds: the spec's star schema. */
const STAR = `datasets:
  - name: orders
    source: warehouse
    table: public.orders
    rls: { tenant_column: tenant_id }
    primary_key: order_id
    joins:
      - { dataset: customers, relationship: many_to_one, on: { customer_id: customer_id } }
      - { dataset: refunds, relationship: one_to_many, on: { order_id: order_id } }
    dimensions:
      - { name: order_id, type: number }
      - { name: order_date, type: date, time_grains: [month] }
    metrics:
      - { name: revenue, type: number, expr: "SUM(amount)" }
      - { name: refund_share, type: number, expr: "{refunds.refunded} / NULLIF({revenue}, 0)" }
  - name: customers
    source: warehouse
    table: public.customers
    rls: { tenant_column: tenant_id }
    primary_key: customer_id
    joins:
      - { dataset: countries, relationship: many_to_one, on: { country_code: code } }
    dimensions:
      - { name: customer_id, type: number }
    metrics:
      - { name: customer_count, type: integer, expr: "COUNT(*)" }
  - name: refunds
    source: warehouse
    table: public.refunds
    rls: { tenant_column: tenant_id }
    primary_key: refund_id
    dimensions:
      - { name: refund_id, type: number }
    metrics:
      - { name: refunded, type: number, expr: "SUM(amount)" }
  - name: countries
    source: warehouse
    table: public.countries
    rls: none
    primary_key: code
    dimensions:
      - { name: code, type: string }
`;

const load = (catalog: string) => loadFiles({ catalog, sources: SOURCES });

describe('joins', () => {
  it('the star schema loads; each dataset reaches the others through its joins, nearest first', async () => {
    const r = await load(STAR);
    expect(errorsOf(r.issues), listIssues(r.issues)).toEqual([]);
    const orders = r.catalog!.datasets.get('orders')!;
    expect([...orders.reach.keys()]).toEqual(['customers', 'refunds', 'countries']);
    expect(orders.reach.get('countries')).toMatchObject({ via: 'customers', hops: 2, fansOut: false });
    expect(orders.reach.get('refunds')).toMatchObject({ via: 'orders', hops: 1, fansOut: true });
    expect(orders.metrics.find((m) => m.name === 'refund_share')!.crossDataset).toBe(true);
    expect([...r.catalog!.datasets.get('countries')!.reach.keys()]).toEqual([]);
  });

  it('an unknown joined dataset, with a suggestion', async () => {
    const r = await load(STAR.replace('{ dataset: customers, relationship', '{ dataset: customer, relationship').replace('many_to_one, on: { customer_id: customer_id } }', 'many_to_one, on: { customer_id: customer_id } }   # @join'));
    expectIssue(r, 'catalog.yaml', '# @join', 'datasets[0].joins[0].dataset', /joins `customer`, which is not a dataset of this catalog\. Did you mean `customers`\?/);
  });

  it('a join column that is not a plain identifier', async () => {
    const r = await load(STAR.replace('on: { order_id: order_id } }', 'on: { "order id": order_id } }   # @col'));
    expectIssue(r, 'catalog.yaml', '# @col', 'datasets[0].joins[1].on["order id"]', /join column `order id` must be a plain SQL identifier/);
  });

  it('a join across sources', async () => {
    const r = await load(STAR.replace('table: public.refunds', 'table: refunds').replace(/(- name: refunds\n {4}source: )warehouse/, '$1shop')
      .replace('{ dataset: refunds, relationship: one_to_many, on: { order_id: order_id } }', '{ dataset: refunds, relationship: one_to_many, on: { order_id: order_id } }   # @across'));
    expectIssue(r, 'catalog.yaml', '# @across', 'datasets[0].joins[1].dataset', /`orders` \(source `warehouse`\) joins `refunds` \(source `shop`, line \d+\): the datasets of one query run on one source/);
  });

  it('two paths to one dataset, and a circle', async () => {
    // Nearest first: the direct join reaches countries, so the longer way is the second one.
    const twoPaths = await load(STAR.replace('      - { dataset: refunds, relationship: one_to_many, on: { order_id: order_id } }',
      '      - { dataset: refunds, relationship: one_to_many, on: { order_id: order_id } }\n      - { dataset: countries, relationship: many_to_one, on: { ship_to: code } }')
      .replace('{ dataset: countries, relationship: many_to_one, on: { country_code: code } }', '{ dataset: countries, relationship: many_to_one, on: { country_code: code } }   # @second'));
    expectIssue(twoPaths, 'catalog.yaml', '# @second', 'datasets[1].joins[0].dataset', /`countries` is reached twice from `orders`: through `orders` -> `countries` and through `customers`/);
    const circle = await load(STAR.replace('    primary_key: refund_id\n', '    primary_key: refund_id\n    joins:\n      - { dataset: orders, relationship: many_to_one, on: { order_id: order_id } }   # @circle\n'));
    expectIssue(circle, 'catalog.yaml', '# @circle', 'datasets[2].joins[0].dataset', /joins go round in a circle: `orders` -> `refunds` -> `orders`/);
  });

  it('a missing primary_key where a metric could be counted twice, or on the one side of a join', async () => {
    const r = await load(STAR.replace('  - name: customers\n    source: warehouse\n    table: public.customers\n    rls: { tenant_column: tenant_id }\n    primary_key: customer_id\n',
      '  - name: customers   # @customers\n    source: warehouse\n    table: public.customers\n    rls: { tenant_column: tenant_id }\n'));
    expectIssue(r, 'catalog.yaml', '# @customers', 'datasets[1].name', /dataset `customers` needs `primary_key`: .*(one' side|counted once per row)/);
    const refunds = await load(STAR.replace('    primary_key: refund_id\n', '').replace('  - name: refunds\n', '  - name: refunds   # @refunds\n'));
    expectIssue(refunds, 'catalog.yaml', '# @refunds', 'datasets[2].name', /dataset `refunds` needs `primary_key`: its metrics are reached from `orders`/);
  });

  it('a primary key that is not a dimension', async () => {
    const r = await load(STAR.replace('primary_key: order_id', 'primary_key: order_no   # @pk'));
    expectIssue(r, 'catalog.yaml', '# @pk', 'datasets[0].primary_key', /primary key `order_no` is not a dimension of `orders`\. Did you mean `order_id`\?/);
  });

  it('a dataset named like a time dimension of a dataset that reaches it', async () => {
    const r = await load(STAR.replace('{ name: order_date, type: date, time_grains: [month] }', '{ name: customers, type: date, time_grains: [month] }')
      .replace('{ dataset: customers, relationship: many_to_one, on: { customer_id: customer_id } }', '{ dataset: customers, relationship: many_to_one, on: { customer_id: customer_id } }   # @clash'));
    expectIssue(r, 'catalog.yaml', '# @clash', 'datasets[0].joins[0].dataset', /dataset `customers` is named like the time dimension `customers` of `orders`/);
  });

  it('a derived metric may reference a metric of a dataset it reaches, and nothing else', async () => {
    const unreached = await load(STAR.replace('{ name: customer_count, type: integer, expr: "COUNT(*)" }', '{ name: customer_count, type: integer, expr: "COUNT(*)" }\n      - { name: x, type: number, expr: "{refunds.refunded} + 0" }   # @unreached'));
    expectIssue(unreached, 'catalog.yaml', '# @unreached', 'datasets[1].metrics[1].expr', /`customers` does not reach a dataset `refunds` through its joins\. It reaches: `countries`/);
    const unknown = await load(STAR.replace('{refunds.refunded}', '{refunds.refundd}').replace('"{refunds.refundd} / NULLIF({revenue}, 0)" }', '"{refunds.refundd} / NULLIF({revenue}, 0)" }   # @unknown'));
    expectIssue(unknown, 'catalog.yaml', '# @unknown', 'datasets[0].metrics[1].expr', /`refunds` has no metric `refundd`\. Did you mean `refunded`\?/);
  });
});

describe('sql: datasets and the tenant', () => {
  const sqlDataset = (sql: string, rls = 'rls: { tenant_column: tenant_id }'): string => `datasets:
  - name: ranked
    source: warehouse
    sql: "${sql}"   # @sql
    ${rls}
    dimensions:
      - { name: status, type: string }
    metrics:
      - { name: n, type: integer, expr: "COUNT(*)" }
`;

  it('a shared table read through sql: must filter by {tenant_id}, which becomes a parameter', async () => {
    const refused = await load(sqlDataset('SELECT o.*, COUNT(*) OVER () AS total FROM orders o'));
    expectIssue(refused, 'catalog.yaml', '# @sql', 'datasets[0].sql', /must filter every tenant table it reads with `\{tenant_id\}`/);
    const ok = await load(sqlDataset('SELECT o.*, COUNT(*) OVER () AS total FROM orders o WHERE o.tenant_id = {tenant_id}'));
    expect(errorsOf(ok.issues), listIssues(ok.issues)).toEqual([]);
    expect(ok.catalog!.datasets.get('ranked')!.sqlUsesTenantId).toBe(true);
  });

  it('{tenant_id} in a dataset of every tenant (rls: none) is refused', async () => {
    const r = await load(sqlDataset('SELECT * FROM orders WHERE tenant_id = {tenant_id}', 'rls: none'));
    expectIssue(r, 'catalog.yaml', '# @sql', 'datasets[0].sql', /uses `\{tenant_id\}` in `sql` but says `rls: none`/);
  });
});
