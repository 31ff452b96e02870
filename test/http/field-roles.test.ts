/**
 * A field that reads another field is visible only where everything it reads is: a
 * derived metric over a role-restricted metric (of its own dataset or of one it joins), a
 * segment and a dimension whose SQL names a restricted dimension. Refused (403) to the
 * other roles, and absent from their /v1/datasets/{name} and OData $metadata; the role the
 * fields are for still uses them.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from '../helpers/http.ts';

const dir = mkdtempSync(path.join(tmpdir(), 'semgate-roles-'));
writeFileSync(path.join(dir, 'sources.yaml'), `sources:
  - name: mem
    type: duckdb
    connection: { path: ":memory:" }
    init_sql: "CREATE TABLE orders AS SELECT i AS order_id, 'a' AS tenant_id, i % 5 AS customer_id, i * 10.0 AS amount FROM range(1, 41) r(i); CREATE TABLE customers AS SELECT i AS customer_id, 'a' AS tenant_id, i * 1000.0 AS credit FROM range(0, 5) r(i)"
`);
writeFileSync(path.join(dir, 'catalog.yaml'), `datasets:
  - name: orders
    source: mem
    table: orders
    rls: { tenant_column: tenant_id }
    primary_key: order_id
    joins:
      - { dataset: customers, relationship: many_to_one, on: { customer_id: customer_id } }
    dimensions:
      - { name: order_id, type: number }
      - { name: amount, type: number, roles: [finance] }
      - { name: amount_band, type: string, expr: "CASE WHEN amount > 200 THEN 'high' ELSE 'low' END" }
    metrics:
      - { name: order_count, type: integer, expr: "COUNT(*)" }
      - { name: revenue, type: number, expr: "SUM(amount)", roles: [finance] }
      - { name: revenue_again, type: number, expr: "{revenue} + 0" }
      - { name: credit_per_order, type: number, expr: "{customers.credit} / NULLIF({order_count}, 0)" }
    segments:
      - { name: big, expr: "amount > 300" }
      - { name: early, expr: "order_id < 10" }
  - name: customers
    source: mem
    table: customers
    rls: { tenant_column: tenant_id }
    primary_key: customer_id
    dimensions:
      - { name: customer_id, type: number }
    metrics:
      - { name: credit, type: number, expr: "SUM(credit)", roles: [finance] }
      - { name: customer_count, type: integer, expr: "COUNT(*)" }
`);
writeFileSync(path.join(dir, 'api-keys.yaml'), `api_keys:
  - { key: "sk_roles_analyst", tenant: a, role: analyst }
  - { key: "sk_roles_finance", tenant: a, role: finance }
`);

const HIDDEN_METRICS = ['revenue', 'revenue_again', 'credit_per_order', 'customers.credit'];
let s: TestServer;
beforeAll(async () => { s = await startTestServer(dir); });
afterAll(async () => s?.close());

describe('fields that read restricted fields', () => {
  it('are refused to a role that may not see what they read', async () => {
    for (const m of HIDDEN_METRICS) {
      const r = await s.req('POST', '/v1/query', { key: 'sk_roles_analyst', body: { dataset: 'orders', metrics: [m] } });
      expect(r.status, `${m}: ${r.text}`).toBe(403);
      expect(r.body.detail).toMatch(/may not query field/);
    }
    const dim = await s.req('POST', '/v1/query', { key: 'sk_roles_analyst', body: { dataset: 'orders', dimensions: ['amount_band'], metrics: ['order_count'] } });
    expect(dim.status, dim.text).toBe(403);
    const seg = await s.req('POST', '/v1/query', { key: 'sk_roles_analyst', body: { dataset: 'orders', metrics: ['order_count'], segments: ['big'] } });
    expect(seg.status, seg.text).toBe(403);
    // What reads nothing restricted still works for the analyst.
    const ok = await s.req('POST', '/v1/query', { key: 'sk_roles_analyst', body: { dataset: 'orders', metrics: ['order_count', 'customers.customer_count'], segments: ['early'] } });
    expect(ok.status, ok.text).toBe(200);
    expect(ok.body.rows).toEqual([[9, 5]]);
  });

  it('are absent from the analyst\'s /v1/datasets/orders and $metadata, present in finance\'s', async () => {
    const names = (body: { dimensions: { name: string }[]; metrics: { name: string }[]; segments: { name: string }[] }): string[] =>
      [...body.dimensions, ...body.metrics, ...body.segments].map((f) => f.name);
    const analyst = names((await s.req('GET', '/v1/datasets/orders', { key: 'sk_roles_analyst' })).body);
    for (const hidden of [...HIDDEN_METRICS, 'amount', 'amount_band', 'big']) expect(analyst).not.toContain(hidden);
    expect(analyst).toEqual(expect.arrayContaining(['order_id', 'order_count', 'early', 'customers.customer_count']));
    const finance = names((await s.req('GET', '/v1/datasets/orders', { key: 'sk_roles_finance' })).body);
    expect(finance).toEqual(expect.arrayContaining([...HIDDEN_METRICS, 'amount', 'amount_band', 'big']));

    const xml = (await s.req('GET', '/odata/$metadata', { key: 'sk_roles_analyst' })).text;
    for (const prop of ['revenue', 'revenue_again', 'credit_per_order', 'customers_credit', 'amount', 'amount_band']) {
      expect(xml).not.toMatch(new RegExp(`<Property Name="${prop}"`));
    }
    expect(xml).toMatch(/<Property Name="customers_customer_count"/);
    const financeXml = (await s.req('GET', '/odata/$metadata', { key: 'sk_roles_finance' })).text;
    expect(financeXml).toMatch(/<Property Name="credit_per_order"/);
  });

  it('work for the role they are for, across the join', async () => {
    const r = await s.req('POST', '/v1/query', { key: 'sk_roles_finance', body: { dataset: 'orders', metrics: ['revenue', 'revenue_again', 'credit_per_order'] } });
    expect(r.status, r.text).toBe(200);
    // Orders 1..40 (amount 10*i), customers 0..4 (credit 1000*i), every customer has orders.
    expect(r.body.rows).toEqual([[8200, 8200, 10000 / 40]]);
  });
});
