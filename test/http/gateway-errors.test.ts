/**
 * Every error status of the spec's table (401 and 404 are in gateway-auth and
 * gateway-catalog), each as problem+json whose request_id matches the
 * X-Request-Id header, and none carrying SQL, a stack, a connection string or another
 * tenant's id (expectProblem checks all of that on every case).
 */
import http from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MAX_BODY_BYTES } from '../../src/app.ts';
import {
  ENGINES, KEYS, TOTALS, availableEngines, expectProblem, num, rawTotals, startEngineGateway, type EngineGateway,
} from './gateway-fixture.ts';

const available = await availableEngines();

/** POSTs `size` bytes of JSON whitespace with Transfer-Encoding: chunked; resolves on the response. */
function chunkedPost(url: string, key: string, size: number): Promise<{ status: number; contentType: string; requestId: string; body: string }> {
  return new Promise((resolve, reject) => {
    const req = http.request(url, { method: 'POST', headers: { Authorization: `Bearer ${key}`, 'Content-Type': 'application/json' } }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => (body += d));
      res.on('end', () => resolve({
        status: res.statusCode ?? 0, contentType: String(res.headers['content-type']), requestId: String(res.headers['x-request-id']), body,
      }));
      res.on('error', reject);
    });
    req.on('error', () => undefined); // EPIPE once the server has answered and closed: expected
    const chunk = Buffer.alloc(64 * 1024, ' ');
    let sent = 0;
    const pump = (): void => {
      while (sent < size) {
        sent += chunk.length;
        if (!req.write(chunk)) return void req.once('drain', pump);
      }
      req.end();
    };
    pump();
  });
}

/** `field` null: the problem names no field (the whole body is wrong). */
type Case = [name: string, body: unknown, field: string | null, detail?: RegExp];

const BAD_REQUESTS: Case[] = [
  ['malformed JSON', '{"dataset": "orders", ', null, /not valid JSON/],
  ['empty body', '', null],
  ['JSON that is not an object', '[1, 2]', null],
  ['JSON null', 'null', null],
  ['dimensions not a list', { dataset: 'orders', dimensions: 'region' }, 'dimensions'],
  ['metric name not a string', { dataset: 'orders', metrics: [1] }, 'metrics[0]'],
  ['limit not a number', { dataset: 'orders', metrics: ['revenue'], limit: 'ten' }, 'limit'],
  ['negative limit', { dataset: 'orders', metrics: ['revenue'], limit: -1 }, 'limit'],
  ['unknown property', { dataset: 'orders', metrics: ['revenue'], having: 'x' }, 'having'],
  ['missing dataset', { metrics: ['revenue'] }, 'dataset'],
  ['unknown dataset', { dataset: 'ordrs', metrics: ['revenue'] }, 'dataset', /'orders'/],
  ['unknown field', { dataset: 'orders', dimensions: ['regoin'] }, 'dimensions[0]', /'region'/],
  ['unknown grain', { dataset: 'orders', dimensions: ['order_date.decade'], metrics: ['revenue'] }, 'dimensions[0]'],
  ['grain on a string', { dataset: 'orders', dimensions: ['region.month'] }, 'dimensions[0]'],
  ['metric as a dimension', { dataset: 'orders', dimensions: ['revenue'] }, 'dimensions[0]'],
  ['no fields', { dataset: 'orders' }, 'dimensions'],
  ['unknown segment', { dataset: 'orders', metrics: ['revenue'], segments: ['promos'] }, 'segments[0]', /'promo'/],
  ['unknown operator', { dataset: 'orders', metrics: ['revenue'], filters: [{ field: 'region', op: 'like', values: ['E%'] }] }, 'filters[0].op'],
  ['unknown filter field', { dataset: 'orders', metrics: ['revenue'], filters: [{ field: 'chanel', op: 'eq', values: ['web'] }] }, 'filters[0].field'],
  ['text for a date', { dataset: 'orders', metrics: ['revenue'], filters: [{ field: 'order_date', op: 'gte', values: ['yesterday'] }] }, 'filters[0].values[0]'],
  ['impossible date', { dataset: 'orders', metrics: ['revenue'], filters: [{ field: 'order_date', op: 'lt', values: ['2024-02-30'] }] }, 'filters[0].values[0]'],
  ['text for a boolean', { dataset: 'orders', metrics: ['revenue'], filters: [{ field: 'is_promo', op: 'eq', values: ['yes'] }] }, 'filters[0].values[0]'],
  ['text for a number', { dataset: 'orders', metrics: ['revenue'], filters: [{ field: 'quantity', op: 'gt', values: ['5'] }] }, 'filters[0].values[0]'],
  ['text for a metric', { dataset: 'orders', dimensions: ['region'], metrics: ['revenue'], filters: [{ field: 'revenue', op: 'gt', values: ['1e6'] }] }, 'filters[0].values[0]'],
  ['limit over max_rows', { dataset: 'orders_small', dimensions: ['region'], limit: 6 }, 'limit', /max_rows/],
  ['limit over the default max_rows', { dataset: 'orders', dimensions: ['region'], limit: 100_001 }, 'limit'],
];

/** The viewer's role may not see `note` or `max_amount`, nor the dataset `finance`. */
const FORBIDDEN: Case[] = [
  ['hidden dimension', { dataset: 'orders', dimensions: ['region', 'note'] }, 'dimensions[1]', /'note'/],
  ['hidden metric', { dataset: 'orders', metrics: ['revenue', 'max_amount'] }, 'metrics[1]', /'max_amount'/],
  ['filter on a hidden dimension', { dataset: 'orders', metrics: ['revenue'], filters: [{ field: 'note', op: 'eq', values: ['plain'] }] }, 'filters[0].field', /'note'/],
  ['filter on a hidden metric', { dataset: 'orders', dimensions: ['region'], metrics: ['revenue'], filters: [{ field: 'max_amount', op: 'gt', values: [1] }] }, 'filters[0].field', /'max_amount'/],
  ['order by a hidden metric', { dataset: 'orders', dimensions: ['region'], metrics: ['max_amount'], order_by: [{ field: 'max_amount', direction: 'desc' }] }, 'metrics[0]', /'max_amount'/],
  // Not selected, so an analyst gets 400; the viewer must learn first that it is forbidden.
  ['order by a hidden, unselected metric', { dataset: 'orders', dimensions: ['region'], order_by: [{ field: 'max_amount', direction: 'desc' }] }, 'order_by[0].field', /'max_amount'/],
  ['dataset of other roles', { dataset: 'finance', metrics: ['revenue'] }, 'dataset', /'finance'/],
];

for (const engine of ENGINES) {
  describe.skipIf(!available[engine])(`${engine}: error statuses of POST /v1/query`, () => {
    let g: EngineGateway;
    beforeAll(async () => {
      g = await startEngineGateway(engine, 'err');
    });
    afterAll(async () => {
      await g?.close();
    });

    it.each(BAD_REQUESTS)('400: %s', async (_name, body, field, detail) => {
      const res = await g.req('POST', '/v1/query', { key: KEYS.acme, body });
      const p = expectProblem(res, 400);
      if (field === null) expect(p).not.toHaveProperty('field');
      else expect(p['field']).toBe(field);
      if (detail) expect(p['detail']).toMatch(detail);
    });

    it('400 suggestions never name a field the role may not see', async () => {
      const res = await g.req('POST', '/v1/query', { key: KEYS.viewer, body: { dataset: 'orders', dimensions: ['not'] } });
      expectProblem(res, 400, { ownTenant: 'tenant_initech' });
      expect(res.text).not.toContain('note');
      const analyst = await g.req('POST', '/v1/query', { key: KEYS.acme, body: { dataset: 'orders', dimensions: ['not'] } });
      expect(expectProblem(analyst, 400)['detail']).toMatch(/'note'/);
    });

    it.each(FORBIDDEN)('403: %s, naming the field', async (_name, body, field, detail) => {
      const res = await g.req('POST', '/v1/query', { key: KEYS.viewer, body });
      const p = expectProblem(res, 403, { ownTenant: 'tenant_initech' });
      expect(p['field']).toBe(field);
      expect(p['detail']).toMatch(detail!);
      // The same query is not forbidden to an analyst.
      const analyst = await g.req('POST', '/v1/query', { key: KEYS.acme, body });
      expect(analyst.status, analyst.text).toBe(field === 'order_by[0].field' ? 400 : 200);
    });

    it('403 for a dataset outside the key\'s allow-list', async () => {
      for (const dataset of ['completed_orders', 'channels', 'finance']) {
        const res = await g.req('POST', '/v1/query', { key: KEYS.globexLimited, body: { dataset, metrics: ['revenue'] } });
        const p = expectProblem(res, 403, { ownTenant: 'tenant_globex' });
        expect(p['field']).toBe('dataset');
      }
      const ok = await g.req('POST', '/v1/query', { key: KEYS.globexLimited, body: TOTALS });
      expect(ok.body.rows[0].map(num)).toEqual(await rawTotals(g, 'tenant_globex'));
    });

    it('413 for a body over 1 MiB, with or without Content-Length', async () => {
      const json = JSON.stringify(TOTALS);
      const over = `${json}${' '.repeat(MAX_BODY_BYTES + 1 - json.length)}`;
      expectProblem(await g.req('POST', '/v1/query', { key: KEYS.acme, body: over }), 413);
      // Just under the limit is read and answered.
      const under = await g.req('POST', '/v1/query', { key: KEYS.acme, body: `${json}${' '.repeat(MAX_BODY_BYTES - json.length)}` });
      expect(under.status, under.text).toBe(200);

      // Chunked, so the server cannot rely on a Content-Length. node:http rather than fetch:
      // the server may answer and close before the upload ends, which fetch reports as a failure.
      const chunked = await chunkedPost(`${g.url}/v1/query`, KEYS.acme, MAX_BODY_BYTES + 64 * 1024);
      expect(chunked.status).toBe(413);
      expect(chunked.contentType).toMatch(/^application\/problem\+json/);
      expect(JSON.parse(chunked.body).request_id).toBe(chunked.requestId);
      // The unread rest of a refused body must not break the client's next request.
      expect((await g.req('POST', '/v1/query', { key: KEYS.acme, body: TOTALS })).status).toBe(200);
    });

    it('429 with Retry-After and RateLimit-* past the key\'s rate_limit; other keys unaffected', async () => {
      const hitsBefore = (await g.req('GET', '/v1/usage', { key: KEYS.acme })).body.rate_limit_hits;
      for (const remaining of [2, 1, 0]) {
        const ok = await g.req('POST', '/v1/query', { key: KEYS.acmeRateLimited, body: TOTALS });
        expect(ok.status).toBe(200);
        expect(ok.headers.get('ratelimit-limit')).toBe('3');
        expect(ok.headers.get('ratelimit-remaining')).toBe(String(remaining));
      }
      const res = await g.req('POST', '/v1/query', { key: KEYS.acmeRateLimited, body: TOTALS });
      expectProblem(res, 429, { ownTenant: 'tenant_acme' });
      expect(Number(res.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
      expect(res.headers.get('ratelimit-limit')).toBe('3');
      expect(res.headers.get('ratelimit-remaining')).toBe('0');
      expect(Number(res.headers.get('ratelimit-reset'))).toBeGreaterThanOrEqual(1);
      // Before any work: other endpoints are refused too, and other keys of the tenant still run.
      expect((await g.req('GET', '/v1/datasets', { key: KEYS.acmeRateLimited })).status).toBe(429);
      expect((await g.req('POST', '/v1/query', { key: KEYS.acme, body: TOTALS })).status).toBe(200);
      expect((await g.req('GET', '/v1/usage', { key: KEYS.acme })).body.rate_limit_hits).toBe(hitsBefore + 2);
    });

    it('503 with Retry-After when the source is unreachable', async () => {
      for (const [key, headers] of [[KEYS.acme, {}], [KEYS.admin, {}], [KEYS.admin, { 'X-Tenant-Id': 'tenant_acme' }]] as const) {
        const res = await g.req('POST', '/v1/query', { key, body: { dataset: 'orders_down', dimensions: ['region'], metrics: ['revenue'] }, headers });
        expectProblem(res, 503, { ownTenant: 'tenant_acme' });
        expect(res.headers.get('retry-after')).toMatch(/^\d+$/);
      }
      // The other source keeps serving.
      expect((await g.req('POST', '/v1/query', { key: KEYS.acme, body: TOTALS })).status).toBe(200);
    });

    it('504 when the query runs past timeout_ms, cancelled in the database', async () => {
      const started = performance.now();
      const res = await g.req('POST', '/v1/query', { key: KEYS.acme, body: { dataset: 'orders_slow', dimensions: ['region'], metrics: ['revenue'] } });
      const elapsed = performance.now() - started;
      expectProblem(res, 504, { ownTenant: 'tenant_acme' });
      // Not before the 300 ms deadline. That the database itself stopped the query is shown
      // below by its process list, not by a clock (tests do not assert on time).
      expect(elapsed).toBeGreaterThanOrEqual(300);
      if (engine !== 'duckdb') {
        // Nothing of ours is still running in the server (DuckDB runs in-process: the next query proves it).
        const probe = engine === 'postgres'
          ? `SELECT COUNT(*) AS n FROM pg_stat_activity WHERE state = 'active' AND query LIKE '%pg_sleep(3)%' AND query LIKE '%${g.table.split('.')[0]}%' AND pid <> pg_backend_pid()`
          : `SELECT COUNT(*) AS n FROM information_schema.PROCESSLIST WHERE INFO LIKE '%SLEEP(1)%' AND INFO LIKE '%${g.table.split('.')[0]}%' AND ID <> CONNECTION_ID()`;
        let running = 1;
        for (let i = 0; i < 20 && running > 0; i++) {
          running = num((await g.answer(probe))[0]!['n']);
          if (running > 0) await new Promise((r) => setTimeout(r, 100));
        }
        expect(running).toBe(0);
      }
      const after = await g.req('POST', '/v1/query', { key: KEYS.acme, body: TOTALS });
      expect(after.body.rows[0].map(num)).toEqual(await rawTotals(g, 'tenant_acme'));
    });
  });
}
