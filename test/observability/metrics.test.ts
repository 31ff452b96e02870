import { describe, expect, it } from 'vitest';
import { createApp } from '../../src/app.ts';
import { Metrics } from '../../src/observability/metrics.ts';
import { gatewayFor, writeTinyConfig } from '../helpers/gateway-fixture.ts';

const config = writeTinyConfig((k) => `api_keys:
  - { key: "${k.a}", tenant: a, role: analyst }
  - { key: "${k.b}", tenant: b, role: analyst, rate_limit: "1/minute" }
  - { key: "${k.admin}", role: admin }
`, ['a', 'b', 'admin']);

/** The value of one series in Prometheus text, or 0. */
function value(text: string, name: string, labels: Record<string, string>): number {
  for (const line of text.split('\n')) {
    if (!line.startsWith(`${name}{`)) continue;
    if (Object.entries(labels).every(([k, v]) => line.includes(`${k}="${v}"`))) return Number(line.slice(line.lastIndexOf(' ') + 1));
  }
  return 0;
}

describe('/metrics', () => {
  it('counts requests by route, status and tenant, cache results, 429s, pools and audit state', async () => {
    const gw = await gatewayFor(config.dir);
    const app = createApp(gw);
    const q = (key: string, body: unknown): Promise<Response> => Promise.resolve(app.request('/v1/query', {
      method: 'POST', body: JSON.stringify(body), headers: { authorization: `Bearer ${key}` },
    }));
    const body = { dataset: 'sales', metrics: ['revenue'] };
    expect((await q(config.keys.a!, body)).status).toBe(200);
    expect((await q(config.keys.a!, body)).headers.get('X-Cache')).toBe('HIT');
    expect((await q(config.keys.a!, { dataset: 'sales', metrics: ['nope'] })).status).toBe(400);
    expect((await q(config.keys.b!, body)).status).toBe(200);
    expect((await q(config.keys.b!, body)).status).toBe(429);

    const res = await app.request('/metrics', { headers: { authorization: `Bearer ${config.keys.admin!}` } });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toContain('text/plain');
    const text = await res.text();
    expect(value(text, 'semgate_http_requests_total', { route: '/v1/query', status: '200', tenant: 'a' })).toBe(2);
    expect(value(text, 'semgate_http_requests_total', { route: '/v1/query', status: '400', tenant: 'a' })).toBe(1);
    expect(value(text, 'semgate_http_requests_total', { route: '/v1/query', status: '429', tenant: 'b' })).toBe(1);
    expect(value(text, 'semgate_http_request_duration_seconds_count', { route: '/v1/query', status: '200', tenant: 'a' })).toBe(2);
    expect(value(text, 'semgate_cache_requests_total', { result: 'hit', dataset: 'sales' })).toBe(1);
    expect(value(text, 'semgate_cache_requests_total', { result: 'miss', dataset: 'sales' })).toBe(2);
    expect(value(text, 'semgate_rate_limit_rejections_total', { tenant: 'b' })).toBe(1);
    expect(text).toMatch(/^semgate_pool_connections_idle\{source="mem"\} \d+$/m);
    expect(text).toMatch(/^semgate_audit_queue_depth \d+$/m);
    expect(text).toMatch(/^semgate_audit_sink_failing 0$/m);
    for (const k of Object.values(config.keys)) expect(text).not.toContain(k);
    await gw.close();
  });

  it('answers only an admin key or the SEMGATE_METRICS_TOKEN bearer (its labels name tenants)', async () => {
    const gw = await gatewayFor(config.dir);
    const app = createApp(gw);
    const get = async (headers: Record<string, string> = {}): Promise<number> => (await app.request('/metrics', { headers })).status;
    const saved = process.env.SEMGATE_METRICS_TOKEN;
    try {
      delete process.env.SEMGATE_METRICS_TOKEN;
      expect(await get()).toBe(401);
      expect(await get({ authorization: `Bearer ${config.keys.a!}` })).toBe(403);
      expect(await get({ authorization: 'Bearer not-a-key' })).toBe(401);
      expect(await get({ authorization: `Bearer ${config.keys.admin!}` })).toBe(200);
      process.env.SEMGATE_METRICS_TOKEN = 'scrape-token-0123456789';
      expect(await get({ authorization: 'Bearer scrape-token-0123456789' })).toBe(200);
      expect(await get({ authorization: 'Bearer scrape-token-0123456788' })).toBe(401);
      expect(await get()).toBe(401);
      const refused = await app.request('/metrics');
      expect(refused.headers.get('content-type')).toContain('application/problem+json');
      expect(await refused.text()).not.toContain('semgate_');
    } finally {
      if (saved === undefined) delete process.env.SEMGATE_METRICS_TOKEN;
      else process.env.SEMGATE_METRICS_TOKEN = saved;
      await gw.close();
    }
  });

  it('caps tenant label cardinality', () => {
    const m = new Metrics({ pools: () => ({}), audit: () => ({ sink: 'none', queued: 0, spooled: 0, failing: false, written: 0, last_error: null }), cache: () => ({ entries: 0, bytes: 0 }) }, 2);
    expect(['t1', 't2', 't3', 't4', 't1'].map((t) => m.tenantLabel(t))).toEqual(['t1', 't2', '_other', '_other', 't1']);
    expect(m.tenantLabel(null)).toBe('_none');
  });
});
