/**
 * A replica that starts while Redis is away must still hear other replicas' purges once
 * Redis is back: its subscriber queues the SUBSCRIBE instead of dropping it (the shared
 * connection fails fast by design), and start-up does not wait for Redis.
 */
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { QueryCache } from '../../src/cache/query-cache.ts';
import { requireServices, services } from '../helpers/services.ts';
import { TcpProxy } from '../helpers/tcp-proxy.ts';

const redisUp = await requireServices('redis');

describe.skipIf(!redisUp.ok)('cache purge notices across replicas', () => {
  const url = new URL(services.redis.url);
  const proxy = new TcpProxy(url.hostname, Number(url.port || 6379));
  const clients: Redis[] = [];
  const prefix = `sg:test-purge-${process.pid}`;

  function client(port: number): Redis {
    const r = new Redis({ host: '127.0.0.1', port, enableOfflineQueue: false, maxRetriesPerRequest: 1, retryStrategy: () => 100 });
    r.on('error', () => undefined);
    clients.push(r);
    return r;
  }

  beforeAll(async () => {
    await proxy.start();
    await proxy.stop(); // Redis is "away" for the late replica until the proxy listens again.
  });
  afterAll(async () => {
    for (const r of clients) r.disconnect();
    await proxy.stop();
  });

  it('a replica started with Redis away hears a purge published after Redis returns', async () => {
    const latePort = proxy.port;
    const late = new QueryCache(client(latePort), 1024 * 1024, prefix);
    const started = Date.now();
    await late.listen(); // must not hang while Redis is away
    expect(Date.now() - started).toBeLessThan(30_000);

    const scope = { dataset: 'orders', tenant: 'alpha' };
    const rows = { rows: [[1]], truncated: false };
    await late.getOrRun('k1', 60, scope, async () => rows);
    expect(late.stats().entries).toBe(1);

    await proxy.start(); // Redis is back, on the same port
    const other = new QueryCache(client(Number(url.port || 6379)), 1024 * 1024, prefix);
    // The late replica's subscriber reconnects and subscribes; purge until it has heard one.
    for (let i = 0; i < 100 && late.stats().entries > 0; i++) {
      await other.purge({ dataset: 'orders' });
      await new Promise((r) => setTimeout(r, 100));
    }
    expect(late.stats().entries).toBe(0);
    late.close();
    other.close();
  }, 60_000);
});
