/**
 * One query model: REST's body and OData's options that mean the same query produce the
 * same SemanticQuery (its canonical text), plan to the same SQL, share one compiled-SQL
 * cache entry (the second of a pair is a compile hit, seen in /metrics), and give the
 * same rows.
 */
import { resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { canonicalQuery } from '../../src/query/canonical.ts';
import { parseSemanticQuery } from '../../src/query/parse.ts';
import type { Principal, SemanticQuery } from '../../src/query/types.ts';
import { entitySetOf } from '../../src/odata/model.ts';
import { parseQueryOptions } from '../../src/odata/parser/index.ts';
import { odataParams } from '../../src/odata/routes.ts';
import { translateQuery } from '../../src/odata/translate.ts';
import { loadCatalog } from '../helpers/catalog.ts';
import { startTestServer, type TestServer } from '../helpers/http.ts';

const ROOT = resolve(import.meta.dirname, '../..');
const KEY = 'sk_demo_acme';
const acme: Principal = { keyId: 'k_acme', tenant: 'acme_corp', role: 'analyst', isAdmin: false, allowedDatasets: null };

/** Pairs meaning the same query: a REST body and an OData path (with $top as the REST limit). */
const PAIRS: readonly { name: string; rest: SemanticQuery; odata: string }[] = [
  {
    name: '$select and $orderby',
    rest: { dataset: 'orders', dimensions: ['region'], metrics: ['revenue'], order_by: [{ field: 'revenue', direction: 'desc' }], limit: 10 },
    odata: 'orders?$select=region,revenue&$orderby=revenue desc&$top=10',
  },
  {
    name: '$filter with and/or/not, a time grain',
    rest: {
      dataset: 'orders', dimensions: ['channel', 'order_date.year'], metrics: ['order_count'],
      filters: [{ and: [{ or: [{ field: 'region', op: 'eq', values: ['EU'] }, { field: 'region', op: 'eq', values: ['NA'] }] }, { not: { field: 'is_promo', op: 'eq', values: [true] } }] }],
      limit: 20,
    },
    odata: "orders?$select=channel,order_date_year,order_count&$filter=(region eq 'EU' or region eq 'NA') and not is_promo&$top=20",
  },
  {
    name: 'contains matches case in OData: case_sensitive in REST',
    rest: { dataset: 'orders', dimensions: ['category'], metrics: ['units'], filters: [{ field: 'category', op: 'contains', values: ['o'], case_sensitive: true }], limit: 50 },
    odata: "orders?$select=category,units&$filter=contains(category,'o')&$top=50",
  },
  {
    name: '$apply: groupby with aliases, count and a distinct count; $filter after it is having',
    rest: {
      dataset: 'orders', dimensions: ['region'],
      metrics: [{ field: 'revenue', aggregate: 'sum', as: 'total' }, { aggregate: 'count', as: 'n' }, { field: 'customers', as: 'buyers' }],
      having: [{ field: 'n', op: 'gt', values: [100] }],
      order_by: [{ field: 'total', direction: 'desc' }],
      limit: 5,
    },
    odata: 'orders?$apply=groupby((region),aggregate(revenue with sum as total,$count as n,customers as buyers))&$filter=n gt 100&$orderby=total desc&$top=5',
  },
];

function odataQuery(path: string): SemanticQuery {
  const url = `http://x/odata/${path}`;
  const set = entitySetOf(catalogRef, acme, path.slice(0, path.indexOf('?')));
  if (typeof set === 'string') throw new Error(set);
  const options = parseQueryOptions(odataParams(url));
  return translateQuery(set, options, { limit: options.top ?? 1000, offset: 0 }).query;
}

let catalogRef: Awaited<ReturnType<typeof loadCatalog>>;
let server: TestServer;

beforeAll(async () => {
  catalogRef = await loadCatalog(ROOT);
  server = await startTestServer(ROOT);
});
afterAll(async () => server?.close());

async function compileHits(): Promise<number> {
  const text = (await server.req('GET', '/metrics', { key: 'sk_demo_admin' })).text;
  const m = /semgate_compiled_sql_cache_total\{result="hit"\} (\d+)/.exec(text);
  return m ? Number(m[1]) : 0;
}

describe('REST and OData produce one query value', () => {
  for (const pair of PAIRS) {
    it(`${pair.name}: the same canonical query`, () => {
      const fromOdata = parseSemanticQuery(odataQuery(pair.odata));
      expect(canonicalQuery(fromOdata)).toBe(canonicalQuery(parseSemanticQuery(pair.rest)));
    });
  }

  it('a different query is told apart (the check above can fail)', () => {
    const other = odataQuery('orders?$select=region,revenue&$orderby=revenue asc&$top=10');
    expect(canonicalQuery(other)).not.toBe(canonicalQuery(PAIRS[0]!.rest));
  });
});

describe('REST and OData share the compiled-SQL cache and the answer', () => {
  for (const pair of PAIRS) {
    it(`${pair.name}: the second of the pair is a compile hit, the rows are equal`, async () => {
      const before = await compileHits();
      const rest = await server.req('POST', '/v1/query', { key: KEY, body: pair.rest });
      expect(rest.status, rest.text).toBe(200);
      const afterRest = await compileHits();
      const odata = await server.req('GET', `/odata/${pair.odata.replaceAll(' ', '%20')}`, { key: KEY, auth: 'basic' });
      expect(odata.status, odata.text).toBe(200);
      expect(await compileHits()).toBe(afterRest + 1);
      // The REST request itself was a miss the first time (nothing before it asked this).
      expect(afterRest).toBe(before);
      const names = rest.body.columns.map((c: { name: string }) => c.name);
      const fromOdata = odata.body.value.map((e: Record<string, unknown>) => names.map((n: string) => e[n.replace('.', '_')]));
      expect(fromOdata).toEqual(rest.body.rows);
    });
  }
});
