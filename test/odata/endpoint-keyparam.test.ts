/**
 * Acceptance point 4, the opt-in query-parameter key (Power BI's "Web API" credential):
 * with `odata: { api_key_param: api_key }` in sources.yaml, `?api_key=<key>` authenticates
 * OData requests; the key never appears in `@odata.nextLink` (Power BI appends it again to
 * each next link, which works), nor in an audit line, nor in the request log. Without the
 * setting, and outside /odata, the parameter authenticates nobody.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { PassThrough } from 'node:stream';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AuditLog } from '../../src/audit/audit-log.ts';
import { StdoutSink } from '../../src/audit/sinks.ts';
import { loadCatalog } from '../helpers/catalog.ts';
import { startServer, type RunningServer } from '../../src/server.ts';
import { Gateway, stateFor } from '../../src/service/gateway.ts';
import { authHeaders, type TestServer } from '../helpers/http.ts';
import { expectODataError, KEYS, rawGet, ROOT, startDemo, type RawResponse } from './od-helpers.ts';

const KEY = KEYS.globex;
let server: RunningServer;
let demo: TestServer;
const auditText: string[] = [];
const logText: string[] = [];

/** A stream that keeps what is written to it. */
function sink(into: string[]): PassThrough {
  const s = new PassThrough();
  s.on('data', (d: Buffer) => into.push(d.toString()));
  return s;
}

beforeAll(async () => {
  const catalog = await loadCatalog(ROOT, { files: { apiKeys: 'test/fixtures/odata/api-keys.yaml', sources: 'test/fixtures/odata/sources-keyparam.yaml' } });
  expect(catalog.settings.odata.apiKeyParam).toBe('api_key');
  const logger = pino({ level: 'info' }, sink(logText));
  const audit = new AuditLog(new StdoutSink(sink(auditText)), path.join(mkdtempSync(path.join(tmpdir(), 'semgate-od-audit-')), 'spool'), logger, { flushMs: 50 });
  server = await startServer({ configDir: ROOT, port: 0, host: '127.0.0.1', gateway: new Gateway(stateFor(catalog), logger, { audit }) });
  demo = await startDemo();
});
afterAll(async () => {
  await server?.close();
  await demo?.close();
});

const get = (p: string, headers: Record<string, string> = {}): Promise<RawResponse> => rawGet(server.url, p, headers);
const PAGED = '/odata/orders?$select=order_id,revenue&$orderby=order_id&$top=300';
const PREFER = { Prefer: 'odata.maxpagesize=100' };

describe('the api_key query parameter', () => {
  it('authenticates the service root, $metadata, entity sets and /$count, wherever it stands', async () => {
    const bearer = await get('/odata/orders?$select=region,order_count', authHeaders(KEY));
    expect(bearer.status).toBe(200);
    for (const p of [`/odata/?api_key=${KEY}`, `/odata/$metadata?api_key=${KEY}`, `/odata/orders/$count?api_key=${KEY}`]) {
      expect((await get(p)).status, p).toBe(200);
    }
    for (const p of [`/odata/orders?$select=region,order_count&api_key=${KEY}`, `/odata/orders?api_key=${KEY}&$select=region,order_count`]) {
      const res = await get(p);
      expect(res.status).toBe(200);
      expect(res.body.value).toEqual(bearer.body.value); // globex's rows, as with the header
    }
    expectODataError(await get('/odata/orders?$select=region&api_key=sk_demo_nobody'), 401);
    expectODataError(await get('/odata/orders?$select=region&api_key='), 401);
  });

  it('never appears in @odata.nextLink; a next link with api_key appended again works, without it is a 401', async () => {
    const whole = await get(PAGED, authHeaders(KEY));
    expect(whole.body.value).toHaveLength(300);
    const rows: unknown[] = [];
    let res = await get(`${PAGED}&api_key=${KEY}`, PREFER);
    for (let pages = 1; ; pages++) {
      expect(res.status, res.text).toBe(200);
      rows.push(...res.body.value);
      const next = res.body['@odata.nextLink'] as string | undefined;
      if (!next) {
        expect(pages).toBe(3);
        break;
      }
      expect(next).not.toContain('api_key');
      expect(next).not.toContain(KEY);
      const rel = next.slice(server.url.length);
      expectODataError(await get(rel, PREFER), 401);
      res = await get(`${rel}&api_key=${KEY}`, PREFER); // what Power BI does with ApiKeyName
    }
    expect(rows).toEqual(whole.body.value);
  });

  it('authenticates nobody where it is not enabled: the demo without the setting, and REST', async () => {
    expectODataError(await rawGet(demo.url, `/odata/?api_key=${KEY}`), 401);
    expect((await rawGet(demo.url, '/odata/', authHeaders(KEY))).status).toBe(200);
    const rest = await get(`/v1/datasets?api_key=${KEY}`);
    expect(rest.status).toBe(401);
    expect((await get('/v1/datasets', authHeaders(KEY))).status).toBe(200);
  });

  it('appears in no audit line and no log line', async () => {
    await get(`/odata/orders?$select=region&$filter=region%20eq%20%27EU%27&api_key=${KEY}`);
    await get(`/odata/orders?$select=nosuch&api_key=${KEY}`);
    await server.close(); // flushes the audit log
    const audit = auditText.join('').split('\n').filter(Boolean).map((l) => JSON.parse(l) as Record<string, unknown>);
    // The audit saw these requests (globex's, by key id), so its silence about the key means something.
    const globex = audit.filter((l) => l.tenant === 'globex_inc' && String(l.action).startsWith('odata'));
    expect(globex.length).toBeGreaterThanOrEqual(8);
    expect(globex.some((l) => l.status === 400)).toBe(true);
    const logs = logText.join('');
    expect(logs.split('\n').filter(Boolean).length).toBeGreaterThan(10);
    for (const text of [auditText.join(''), logs]) {
      expect(text).not.toContain(KEY);
      expect(text).not.toContain('sk_demo_nobody');
    }
  });
});
