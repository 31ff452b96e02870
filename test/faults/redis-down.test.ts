/**
 * Redis down degrades as docs/operations.md says: queries keep being answered, rate limits
 * fall back to each replica's memory (still limiting), cached results come from memory,
 * usage from the replica's own counts; and sharing resumes by itself. Both faults: Redis
 * refusing connections (proxy cut) and Redis going silent (proxy stalled, where only the
 * client's command timeout keeps requests from hanging).
 */
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { redisClient } from '../../src/service/gateway.ts';
import { requireServices, services } from '../helpers/services.ts';
import { TcpProxy } from '../helpers/tcp-proxy.ts';
import { FAST, KEYS, eventually, startFaultGateway, type FaultGateway, NO_CACHE, within } from './fixture.ts';

const up = await requireServices('postgres', 'redis');

describe.skipIf(!up.ok)('Redis down', () => {
  let proxy: TcpProxy;
  let client: Redis;
  let direct: Redis;
  let f: FaultGateway;

  beforeAll(async () => {
    const url = new URL(services.redis.url);
    proxy = new TcpProxy(url.hostname, Number(url.port || 6379));
    await proxy.start();
    client = redisClient(`redis://127.0.0.1:${proxy.port}`)!;
    client.on('error', () => undefined);
    direct = new Redis(services.redis.url, { maxRetriesPerRequest: 1 });
    await eventually(() => client.status === 'ready', 10_000, 20);
    f = await startFaultGateway('postgres', 'redis', {
      redis: client,
      apiKeysExtra: `tenants:\n  c: { rate_limit: "4/minute" }\n`,
    });
  });
  afterAll(async () => {
    await f?.close(); // disconnects the client
    await proxy?.stop();
    direct?.disconnect();
  });

  const usageOf = async (tenant: string): Promise<number> => {
    const key = `sg:usage:${new Date().toISOString().slice(0, 10)}:${tenant}`;
    return Number((await direct.hget(key, 'last_active')) ?? 0);
  };

  it('answers every query while Redis refuses connections, still limiting per replica, and shares again when it is back', async () => {
    expect((await f.query(KEYS.a, FAST)).headers.get('x-cache')).toBe('MISS');
    expect(await usageOf('a')).toBeGreaterThan(0);

    await proxy.stop();
    expect(await eventually(() => client.status !== 'ready', 10_000, 20)).toBe(true);
    // Cached in this replica's memory: still a hit. A new query runs.
    const hit = await within(10_000, f.query(KEYS.a, FAST));
    expect(hit.status).toBe(200);
    expect(hit.headers.get('x-cache')).toBe('HIT');
    expect((await within(10_000, f.query(KEYS.b, FAST, NO_CACHE))).status).toBe(200);
    // Limits fall back to memory: tenant c's 4/minute still holds on this replica.
    const statuses: number[] = [];
    for (let i = 0; i < 6; i++) statuses.push((await within(10_000, f.query(KEYS.c, FAST))).status);
    expect(statuses).toEqual([200, 200, 200, 200, 429, 429]);
    // Usage answers from the replica's own counts.
    const usage = await within(10_000, f.req('GET', '/v1/usage', { key: KEYS.a }));
    expect(usage.status).toBe(200);
    expect(usage.body.queries_today).toBeGreaterThanOrEqual(1);

    await proxy.start();
    expect(await eventually(() => client.status === 'ready', 20_000, 50)).toBe(true);
    const since = Date.now();
    expect((await f.query(KEYS.b, FAST, NO_CACHE)).status).toBe(200);
    // Written to Redis again (usage is written after the answer: give it a moment).
    expect(await eventually(async () => (await usageOf('b')) >= since, 5_000, 50)).toBe(true);
  }, 60_000);

  it('answers within the command timeout while Redis accepts but never answers', async () => {
    expect(await eventually(() => client.status === 'ready', 20_000, 50)).toBe(true);
    proxy.stall();
    try {
      const res = await within(10_000, f.query(KEYS.a, FAST, NO_CACHE));
      expect(res.status).toBe(200);
      expect((await within(10_000, f.req('GET', '/v1/usage', { key: KEYS.b }))).status).toBe(200);
      expect((await within(10_000, f.query(KEYS.b, FAST))).status).toBe(200);
    } finally {
      proxy.unstall();
    }
    // The gateway's client reconnects by itself (the stalled connection was cut).
    expect(await eventually(async () => (await client.ping().catch(() => '')) === 'PONG', 20_000, 100)).toBe(true);
    const since = Date.now();
    expect((await f.query(KEYS.a, FAST, NO_CACHE)).status).toBe(200);
    expect(await eventually(async () => (await usageOf('a')) >= since, 5_000, 50)).toBe(true);
  }, 60_000);
});
