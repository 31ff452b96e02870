/**
 * The per-day usage history behind the portal's Usage chart: `?days=N` on /v1/usage and
 * /v1/admin/usage, kept per tenant and day in memory (bounded) and, with Redis, for every
 * replica. A tenant's history is its own.
 */
import { createRequire } from 'node:module';
import { Ajv2020 } from 'ajv/dist/2020.js';
import addFormats from 'ajv-formats';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApp } from '../../src/app.ts';
import { HISTORY_DAYS, UsageStats } from '../../src/observability/usage.ts';
import { SharedUsage } from '../../src/observability/shared-usage.ts';
import type { Gateway } from '../../src/service/gateway.ts';
import { gatewayFor, writeTinyConfig } from '../helpers/gateway-fixture.ts';
import { requireServices, services } from '../helpers/services.ts';

const DAY = 86_400_000;
// The schema /openapi.json embeds as components/schemas/Usage: the history must fit it.
const ajv = new Ajv2020({ strict: true, allowUnionTypes: true, allErrors: true });
addFormats.default(ajv);
const validUsage = ajv.compile(createRequire(import.meta.url)('../../src/openapi/schemas/usage.schema.json') as object);

describe('usage history in memory', () => {
  it('keeps each finished day, answers the last N days oldest first with zeros between, and forgets past 31', () => {
    let now = Date.parse('2026-03-01T10:00:00Z');
    const stats = new UsageStats(() => new Date(now));
    stats.record('a', { ms: 10, status: 200 });
    stats.record('a', { ms: 30, status: 200, cached: true });
    stats.record('a', { ms: 5, status: 429 });
    stats.record('b', { ms: 99, status: 200 });
    now += 2 * DAY; // 2026-03-03: nothing on the 2nd
    stats.record('a', { ms: 7, status: 500 });
    stats.record('a', { ms: 4, status: 200 });

    expect(stats.daily('a', 3)).toEqual([
      { date: '2026-03-01', queries: 2, avg_response_ms: 20, cache_hit_rate: 0.5, rate_limit_hits: 1, errors: 0 },
      { date: '2026-03-02', queries: 0, avg_response_ms: 0, cache_hit_rate: 0, rate_limit_hits: 0, errors: 0 },
      { date: '2026-03-03', queries: 1, avg_response_ms: 4, cache_hit_rate: 0, rate_limit_hits: 0, errors: 1 },
    ]);
    // Today's entry is today's report, in the history's words.
    const today = stats.report('a');
    expect(stats.daily('a', 1)).toEqual([{ date: today.date, queries: today.queries_today, avg_response_ms: today.avg_response_ms,
      cache_hit_rate: today.cache_hit_rate, rate_limit_hits: today.rate_limit_hits, errors: today.errors }]);
    expect(stats.daily('b', 3).map((d) => d.queries)).toEqual([1, 0, 0]);

    // Forty active days later, only the last HISTORY_DAYS finished days are kept.
    for (let i = 0; i < 40; i++) {
      now += DAY;
      stats.record('a', { ms: 1, status: 200 });
    }
    const all = stats.daily('a', HISTORY_DAYS);
    expect(all).toHaveLength(HISTORY_DAYS);
    expect(all.every((d) => d.queries === 1)).toBe(true);
    expect(all.at(-1)!.date).toBe(new Date(now).toISOString().slice(0, 10));
    expect((stats as unknown as { past: Map<string, unknown[]> }).past.get('a')!.length).toBeLessThanOrEqual(HISTORY_DAYS);
  });
});

describe('GET /v1/usage?days=N and /v1/admin/usage?days=N', () => {
  const config = writeTinyConfig((k) => `api_keys:
  - { key: "${k.a}", tenant: ta, role: analyst }
  - { key: "${k.b}", tenant: tb, role: analyst }
  - { key: "${k.admin}", role: admin }
`, ['a', 'b', 'admin']);
  let gateway: Gateway;
  beforeAll(async () => {
    gateway = await gatewayFor(config.dir);
  });
  afterAll(async () => {
    await gateway?.close();
  });

  async function get(path: string, key: string, headers: Record<string, string> = {}): Promise<{ status: number; body: any }> {
    const res = await createApp(gateway).request(path, { headers: { authorization: `Bearer ${key}`, ...headers } });
    return { status: res.status, body: await res.json() };
  }
  async function query(key: string): Promise<void> {
    const res = await createApp(gateway).request('/v1/query', { method: 'POST', body: '{"dataset":"sales","metrics":["n"]}', headers: { authorization: `Bearer ${key}` } });
    expect(res.status).toBe(200);
  }

  it('adds the caller tenant\'s daily history, and nothing without ?days', async () => {
    const k = config.keys;
    await query(k.a!);
    await query(k.a!);
    await query(k.b!);
    const plain = await get('/v1/usage', k.a!);
    expect(plain.body.daily).toBeUndefined();
    const withDays = await get('/v1/usage?days=14', k.a!);
    expect(withDays.status).toBe(200);
    const daily = withDays.body.daily as { date: string; queries: number }[];
    expect(daily).toHaveLength(14);
    expect(daily.at(-1)).toMatchObject({ date: new Date().toISOString().slice(0, 10), queries: 2 });
    expect(daily.slice(0, -1).every((d) => d.queries === 0)).toBe(true);
    expect(daily.map((d) => d.date)).toEqual([...daily.map((d) => d.date)].sort());
    expect(validUsage(withDays.body), JSON.stringify(validUsage.errors)).toBe(true);
    expect(validUsage(plain.body), JSON.stringify(validUsage.errors)).toBe(true);
    expect(validUsage({ ...withDays.body, daily: [...daily, ...daily, ...daily] })).toBe(false); // at most 31 days
    const { daily: _, ...rest } = withDays.body;
    expect(rest).toEqual(plain.body);
    expect((await get('/v1/usage?days=3', k.b!)).body.daily.at(-1).queries).toBe(1);
  });

  it('the admin gets it per tenant, and as one tenant', async () => {
    const k = config.keys;
    const all = await get('/v1/admin/usage?days=7', k.admin!);
    expect(all.status).toBe(200);
    const byTenant = Object.fromEntries((all.body.tenants as { tenant: string; daily: { queries: number }[] }[]).map((t) => [t.tenant, t]));
    expect(byTenant['ta']!.daily.at(-1)!.queries).toBe(2);
    expect(byTenant['tb']!.daily.at(-1)!.queries).toBe(1);
    expect(byTenant['ta']!.daily).toHaveLength(7);
    for (const t of all.body.tenants) expect(validUsage(t), JSON.stringify(validUsage.errors)).toBe(true);
    const asTa = await get('/v1/usage?days=7', k.admin!, { 'X-Tenant-Id': 'ta' });
    expect(asTa.body.daily).toEqual(byTenant['ta']!.daily);
  });

  it('refuses a days that is not a whole number from 1 to 31, naming the parameter', async () => {
    for (const bad of ['0', '32', '-1', '1.5', 'x', '', '999']) {
      const res = await get(`/v1/usage?days=${bad}`, config.keys.a!);
      expect(res.status, bad).toBe(400);
      expect(res.body.field).toBe('days');
      expect(res.body.detail).toBe('days must be a whole number from 1 to 31.');
    }
    expect((await get('/v1/admin/usage?days=0', config.keys.admin!)).status).toBe(400);
    // A tenant key is refused the admin endpoint before its parameters are read.
    expect((await get('/v1/admin/usage?days=0', config.keys.a!)).status).toBe(403);
  });
});

const redisUp = await requireServices('redis');

describe.skipIf(!redisUp.ok)('usage history shared through Redis', () => {
  const prefix = `sg:test-usage-history:${process.pid}`;
  const clients: Redis[] = [];
  afterAll(async () => {
    const keys = await clients[0]!.keys(`${prefix}:*`);
    if (keys.length > 0) await clients[0]!.del(...keys);
    for (const c of clients) c.disconnect();
  });

  it('two replicas read the same days, counted by both, and keep the hashes for the history', async () => {
    let now = Date.parse('2026-05-10T12:00:00Z');
    const clock = (): Date => new Date(now);
    for (let i = 0; i < 2; i++) {
      const r = new Redis(services.redis.url, { enableOfflineQueue: false, maxRetriesPerRequest: 1 });
      r.on('error', () => undefined);
      clients.push(r);
    }
    await Promise.all(clients.map((r) => new Promise((ok) => r.once('ready', ok))));
    const [one, two] = clients.map((r) => new SharedUsage(r, clock, prefix)) as [SharedUsage, SharedUsage];
    one.record('t1', { ms: 10, status: 200 });
    two.record('t1', { ms: 20, status: 200, cached: true });
    now += DAY;
    two.record('t1', { ms: 6, status: 200 });
    two.record('t2', { ms: 6, status: 429 });
    await new Promise((ok) => setTimeout(ok, 100)); // the writes are fire-and-forget pipelines

    const expected = [
      { date: '2026-05-09', queries: 0, avg_response_ms: 0, cache_hit_rate: 0, rate_limit_hits: 0, errors: 0 },
      { date: '2026-05-10', queries: 2, avg_response_ms: 15, cache_hit_rate: 0.5, rate_limit_hits: 0, errors: 0 },
      { date: '2026-05-11', queries: 1, avg_response_ms: 6, cache_hit_rate: 0, rate_limit_hits: 0, errors: 0 },
    ];
    expect(await one.daily('t1', 3)).toEqual(expected);
    expect(await two.daily('t1', 3)).toEqual(expected);
    expect((await one.daily('t2', 1))[0]).toMatchObject({ queries: 0, rate_limit_hits: 1 });
    // Replica one never saw the 11th: the numbers come from Redis, not its memory.
    expect(one.local.daily('t1', 1)[0]!.queries).toBe(0);
    expect(await one.tenants(1)).toEqual(['t1', 't2']);
    expect(await one.tenants(2)).toEqual(['t1', 't2']);
    const ttl = await clients[0]!.ttl(`${prefix}:2026-05-10:t1`);
    expect(ttl).toBeGreaterThan(30 * 86_400);
  });
});
