import { Writable } from 'node:stream';
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { createApp } from '../../src/app.ts';
import { Gateway, stateFor } from '../../src/service/gateway.ts';
import { loadCatalog } from '../helpers/catalog.ts';
import { gatewayFor, writeTinyConfig } from '../helpers/gateway-fixture.ts';

const config = writeTinyConfig((k) => `api_keys:
  - { key: "${k.a}", tenant: a, role: analyst }
`, ['a']);

describe('request log', () => {
  it('one line per request with id, key id, tenant, route, status and ms, and never a key', async () => {
    const lines: string[] = [];
    const out = new Writable({ write(chunk: Buffer, _enc, done) { lines.push(...chunk.toString().split('\n').filter(Boolean)); done(); } });
    const catalog = await loadCatalog(config.dir);
    const gateway = new Gateway(stateFor(catalog), pino({ level: 'info' }, out));
    const app = createApp(gateway);
    const key = config.keys.a!;
    const body = JSON.stringify({ dataset: 'sales', metrics: ['revenue'] });
    const sent = [
      await app.request('/v1/query', { method: 'POST', body, headers: { authorization: `Bearer ${key}` } }),
      await app.request('/v1/query', { method: 'POST', body, headers: { 'x-api-key': key } }),
      await app.request('/v1/query', { method: 'POST', body, headers: { authorization: `Basic ${Buffer.from(`user:${key}`).toString('base64')}` } }),
      await app.request('/v1/datasets?api_key=' + key, { headers: { authorization: `Bearer ${key}x` } }),
    ];
    expect(sent.map((r) => r.status)).toEqual([200, 200, 200, 401]);
    await new Promise((r) => setTimeout(r, 20));
    const requests = lines.map((l) => JSON.parse(l) as Record<string, unknown>).filter((l) => l.msg === 'request');
    expect(requests).toHaveLength(4);
    for (const [i, r] of requests.entries()) {
      expect(r).toMatchObject({ req_id: sent[i]!.headers.get('x-request-id'), status: sent[i]!.status });
      expect(typeof r.ms).toBe('number');
    }
    expect(requests[0]).toMatchObject({ key_id: catalog.apiKeys.at(0)!.id, tenant: 'a', route: '/v1/query', method: 'POST' });
    for (const l of lines) expect(l).not.toContain(key);
    await gateway.close();
  });

  it('logs no "request failed" for a caller\'s mistake: a bad REST query or OData syntax is a 400, not our error', async () => {
    const lines: string[] = [];
    const out = new Writable({ write(chunk: Buffer, _enc, done) { lines.push(...chunk.toString().split('\n').filter(Boolean)); done(); } });
    const gateway = await gatewayFor(config.dir, null, pino({ level: 'info' }, out));
    const app = createApp(gateway);
    const auth = { authorization: `Bearer ${config.keys.a!}` };
    const odata = await app.request('/odata/sales?$filter=id%20eq', { headers: auth });
    expect(odata.status).toBe(400);
    expect(((await odata.json()) as { error: { code: string } }).error.code).toBe('odata-syntax');
    const rest = await app.request('/v1/query', { method: 'POST', body: '{"dataset":"sales","metrics":["nope"]}', headers: auth });
    expect(rest.status).toBe(400);
    await new Promise((r) => setTimeout(r, 20));
    const parsed = lines.map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(parsed.filter((l) => l.msg === 'request').map((l) => l.status)).toEqual([400, 400]);
    expect(parsed.filter((l) => l.msg === 'request failed')).toEqual([]);
    await gateway.close();
  });
});
