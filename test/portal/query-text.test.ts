/**
 * The portal's query words without a browser: the body the builder sends, the curl line
 * (quoted for sh, whatever the values hold), the OData URL (run against the demo: the same
 * rows as REST for every operator), the API prefix behind a proxy, and the chart series.
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApp } from '../../src/app.ts';
import { Gateway, stateFor } from '../../src/service/gateway.ts';
import { MAX_SERIES, chartData } from '../../portal/src/chart-data.ts';
import {
  apiPrefix, buildQuery, curlLine, maskKey, odataLiteral, odataUrl, operatorsFor, shQuote, type BuilderState, type Field, type SemanticQuery,
} from '../../portal/src/query.ts';
import { REPO_ROOT, loadCatalog } from '../helpers/catalog.ts';

const sh = promisify(execFile);

const ORDERS: Field[] = [
  { name: 'region', type: 'string', kind: 'dimension', time_grains: [] },
  { name: 'channel', type: 'string', kind: 'dimension', time_grains: [] },
  { name: 'country_code', type: 'string', kind: 'dimension', time_grains: [] },
  { name: 'order_id', type: 'number', kind: 'dimension', time_grains: [] },
  { name: 'is_promo', type: 'boolean', kind: 'dimension', time_grains: [] },
  { name: 'order_date', type: 'date', kind: 'dimension', time_grains: ['day', 'week', 'month', 'quarter', 'year'] },
  { name: 'ordered_at', type: 'timestamp', kind: 'dimension', time_grains: ['hour', 'day', 'month'] },
  { name: 'revenue', type: 'number', kind: 'metric', time_grains: [] },
  { name: 'order_count', type: 'integer', kind: 'metric', time_grains: [] },
];

describe('the query the builder sends', () => {
  it('has grains as name.grain, typed filter values, lists split on commas, and leaves empty members out', () => {
    const state: BuilderState = {
      dataset: 'orders',
      dimensions: [{ name: 'region', grain: '' }, { name: 'order_date', grain: 'month' }],
      metrics: ['revenue'],
      segments: [],
      filters: [
        { field: 'region', op: 'in', values: ['EU, NA ,, APAC'] },
        { field: 'revenue', op: 'gt', values: ['1000.5'] },
        { field: 'is_promo', op: 'eq', values: ['true'] },
        { field: 'order_date', op: 'between', values: ['2024-01-01', '2024-06-30'] },
        { field: 'channel', op: 'is_null', values: ['ignored'] },
        { field: 'order_id', op: 'eq', values: ['12abc'] },
      ],
      order: { field: 'revenue', direction: 'desc' },
      limit: 10,
    };
    expect(buildQuery(state, ORDERS)).toEqual({
      dataset: 'orders',
      dimensions: ['region', 'order_date.month'],
      metrics: ['revenue'],
      filters: [
        { field: 'region', op: 'in', values: ['EU', 'NA', 'APAC'] },
        { field: 'revenue', op: 'gt', values: [1000.5] },
        { field: 'is_promo', op: 'eq', values: [true] },
        { field: 'order_date', op: 'between', values: ['2024-01-01', '2024-06-30'] },
        { field: 'channel', op: 'is_null' },
        // Not a number: sent as typed, so the API's own message says what is wrong.
        { field: 'order_id', op: 'eq', values: ['12abc'] },
      ],
      order_by: [{ field: 'revenue', direction: 'desc' }],
      limit: 10,
    });
    expect(buildQuery({ ...state, dimensions: [], metrics: [], filters: [], order: null, limit: null }, ORDERS)).toEqual({ dataset: 'orders' });
  });

  it('offers the operators each type takes', () => {
    expect(operatorsFor('string')).toEqual(['eq', 'ne', 'in', 'not_in', 'contains', 'starts_with', 'ends_with', 'is_null', 'is_not_null']);
    expect(operatorsFor('number')).toContain('between');
    expect(operatorsFor('date')).toEqual(['eq', 'gt', 'gte', 'lt', 'lte', 'between', 'is_null', 'is_not_null']);
    expect(operatorsFor('boolean')).toEqual(['eq', 'is_null', 'is_not_null']);
  });
});

describe('the curl line', () => {
  it('survives sh with quotes, dollars, backticks and backslashes in the values', async () => {
    for (const text of ["it's", '$HOME `id` $(id) \\ "x"', "''", 'a\nb', '<img src=x onerror=alert(1)>']) {
      const { stdout } = await sh('sh', ['-c', `printf %s ${shQuote(text)}`]);
      expect(stdout).toBe(text);
    }
    const q: SemanticQuery = { dataset: 'orders', dimensions: ['region'], filters: [{ field: 'region', op: 'eq', values: ["O'Brien $x"] }] };
    const line = curlLine('http://h/v1/query', 'sk_k', q, 'acme_corp');
    expect(line).toBe(`curl -s 'http://h/v1/query' -H 'Authorization: Bearer sk_k' -H 'X-Tenant-Id: acme_corp' -H 'Content-Type: application/json' -d '{"dataset":"orders","dimensions":["region"],"filters":[{"field":"region","op":"eq","values":["O'\\''Brien $x"]}]}'`);
    // What sh hands curl as the body is the query's JSON, byte for byte.
    const { stdout } = await sh('sh', ['-c', line.replace(/^curl -s .* -d /, 'printf %s ')]);
    expect(JSON.parse(stdout)).toEqual(q);
  });

  it('masks the key until it is asked for', () => {
    expect(maskKey('sk_demo_acme')).toBe('sk_d••••••••me');
    expect(maskKey('short')).toBe('••••••••');
  });
});

describe('the API prefix behind a proxy', () => {
  it('is whatever precedes /portal', () => {
    expect(apiPrefix('/portal')).toBe('');
    expect(apiPrefix('/portal/')).toBe('');
    expect(apiPrefix('/analytics/portal/')).toBe('/analytics');
    expect(apiPrefix('/a/b/portal')).toBe('/a/b');
  });
});

describe('the OData URL gives the REST rows (demo gateway, in process)', () => {
  let gateway: Gateway;
  beforeAll(async () => {
    gateway = new Gateway(stateFor(await loadCatalog(REPO_ROOT)), pino({ level: 'silent' }));
  });
  afterAll(async () => {
    await gateway?.close();
  });

  const auth = { authorization: 'Bearer sk_demo_acme' };
  async function rest(q: SemanticQuery): Promise<unknown[][]> {
    const res = await createApp(gateway).request('/v1/query', { method: 'POST', body: JSON.stringify(q), headers: auth });
    expect(res.status, await res.clone().text()).toBe(200);
    return ((await res.json()) as { rows: unknown[][] }).rows;
  }
  async function odata(q: SemanticQuery): Promise<unknown[][]> {
    const url = new URL(odataUrl('http://localhost/odata/', q, ORDERS)!);
    const res = await createApp(gateway).request(`${url.pathname}${url.search}`, { headers: auth });
    expect(res.status, `${url.search}: ${await res.clone().text()}`).toBe(200);
    const columns = [...(q.dimensions ?? []), ...(q.metrics ?? [])].map((m) => m.replace('.', '_'));
    return ((await res.json()) as { value: Record<string, unknown>[] }).value.map((v) => columns.map((c) => v[c]));
  }

  const base = { dataset: 'orders', dimensions: ['region', 'channel'], metrics: ['order_count'], limit: 50 };
  const cases: [string, SemanticQuery['filters']][] = [
    ['eq', [{ field: 'region', op: 'eq', values: ['EU'] }]],
    ['ne and in', [{ field: 'region', op: 'ne', values: ['EU'] }, { field: 'channel', op: 'in', values: ['web', 'store'] }]],
    ['not_in', [{ field: 'region', op: 'not_in', values: ['EU', "it's"] }]],
    ['between dates, and a grain', [{ field: 'order_date', op: 'between', values: ['2024-02-01', '2024-03-31'] }]],
    ['timestamps', [{ field: 'ordered_at', op: 'gte', values: ['2025-01-01T00:00:00'] }, { field: 'ordered_at', op: 'lt', values: ['2025-02-01'] }]],
    ['numbers', [{ field: 'order_id', op: 'between', values: [100, 5000] }, { field: 'order_id', op: 'ne', values: [101] }]],
    ['string functions', [{ field: 'country_code', op: 'contains', values: ['e'] }, { field: 'channel', op: 'starts_with', values: ['W'] }, { field: 'region', op: 'ends_with', values: ['u'] }]],
    ['nulls and booleans', [{ field: 'region', op: 'is_not_null' }, { field: 'is_promo', op: 'eq', values: [true] }]],
    ['a metric (HAVING)', [{ field: 'order_count', op: 'gt', values: [1000] }]],
  ];
  for (const [name, filters] of cases) {
    it(name, async () => {
      const q: SemanticQuery = { ...base, filters, ...(name.includes('grain') && { dimensions: ['region', 'order_date.month'] }) };
      const rows = await rest(q);
      expect(rows.length).toBeGreaterThan(0);
      expect(await odata(q)).toEqual(rows);
    });
  }

  it('orders and limits like REST, and has no form for segments', async () => {
    const q: SemanticQuery = { dataset: 'orders', dimensions: ['order_date.quarter'], metrics: ['revenue'], order_by: [{ field: 'revenue', direction: 'desc' }], limit: 3 };
    expect(odataUrl('http://h/odata/', q, ORDERS)).toBe('http://h/odata/orders?$select=order_date_quarter,revenue&$orderby=revenue%20desc&$top=3');
    expect(await odata(q)).toEqual(await rest(q));
    expect(odataUrl('http://h/odata/', { ...q, segments: ['completed'] }, ORDERS)).toBeNull();
    expect(odataLiteral('string', "it's")).toBe("'it''s'");
    expect(odataLiteral('date', '2024-01-01')).toBe('2024-01-01');
    expect(odataLiteral('timestamp', '2024-01-01')).toBe('2024-01-01T00:00:00Z');
  });
});

describe('the chart of a result', () => {
  const cols = [{ name: 'region', type: 'string' }, { name: 'order_date.month', type: 'date' }, { name: 'revenue', type: 'number' }];

  it('draws lines over a time dimension, one per value of the others, in date order', () => {
    const rows = [['EU', '2024-02-01', 2], ['EU', '2024-01-01', 1], ['NA', '2024-01-01', '3.5']];
    expect(chartData(cols, rows, ['revenue'])).toEqual({
      kind: 'line',
      labels: ['2024-01-01', '2024-02-01'],
      series: [{ label: 'revenue EU', data: [1, 2] }, { label: 'revenue NA', data: [3.5, null] }],
      description: 'Line chart of revenue by order_date.month, one line per region.',
    });
  });

  it('draws bars otherwise, totals as one bar per metric, and nothing without a metric or a row', () => {
    const bars = chartData([cols[0]!, cols[2]!], [['EU', 1], [null, 2]], ['revenue'])!;
    expect(bars.kind).toBe('bar');
    expect(bars.labels).toEqual(['EU', '(empty)']);
    expect(chartData([cols[2]!], [[5]], ['revenue'])).toMatchObject({ kind: 'bar', labels: ['Total'], series: [{ label: 'revenue', data: [5] }] });
    expect(chartData([cols[0]!], [['EU']], [])).toBeNull();
    expect(chartData(cols, [], ['revenue'])).toBeNull();
    const many = Array.from({ length: 40 }, (_, i) => [`r${i}`, '2024-01-01', i]);
    expect(chartData(cols, many, ['revenue'])!.series).toHaveLength(MAX_SERIES);
  });
});
