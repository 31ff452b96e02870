/**
 * Purging a dataset's cached results also drops the results of every dataset that joins
 * it: a fix in customers must not leave orders-by-customer-segment stale.
 */
import { resolve } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { startTestServer, type TestServer } from '../helpers/http.ts';

let s: TestServer;
beforeAll(async () => { s = await startTestServer(resolve(import.meta.dirname, '../..')); });
afterAll(async () => s?.close());

it('purge {dataset: customers} drops a cached orders query that read customers, and no other', async () => {
  const joined = { dataset: 'orders', dimensions: ['customers.segment'], metrics: ['revenue'] };
  const alone = { dataset: 'countries', metrics: ['country_count'] };
  const ask = async (body: object): Promise<string | null> => (await s.req('POST', '/v1/query', { key: 'sk_demo_acme', body })).headers.get('x-cache');
  for (const body of [joined, alone]) await ask(body);
  expect([await ask(joined), await ask(alone)]).toEqual(['HIT', 'HIT']);
  const purge = await s.req('POST', '/v1/admin/cache/purge', { key: 'sk_demo_admin', body: { dataset: 'customers' } });
  expect(purge.status, purge.text).toBe(200);
  expect(purge.body.purged.local).toBeGreaterThanOrEqual(1);
  expect([await ask(joined), await ask(alone)]).toEqual(['MISS', 'HIT']);
});
