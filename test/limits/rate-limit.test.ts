import { spawn, execFileSync } from 'node:child_process';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApp } from '../../src/app.ts';
import type { Gateway } from '../../src/service/gateway.ts';
import { gatewayFor, writeTinyConfig } from '../helpers/gateway-fixture.ts';
import { requireServices } from '../helpers/services.ts';
import { freePort } from '../helpers/free-port.ts';

const config = writeTinyConfig((k) => `api_keys:
  - { key: "${k.burst}", tenant: c, role: analyst, rate_limit: "10/second" }
  - { key: "${k.a1}", tenant: a, role: analyst }
  - { key: "${k.a2}", tenant: a, role: analyst }
  - { key: "${k.b}", tenant: b, role: analyst }
defaults: { rate_limit: "1000/minute" }
tenants:
  a: { rate_limit: "6/minute" }
`, ['burst', 'a1', 'a2', 'b']);

async function hit(gw: Gateway, key: string): Promise<Response> {
  return createApp(gw).request('/v1/datasets', { headers: { authorization: `Bearer ${key}` } });
}

/** 30 requests spread round-robin over the instances; the statuses in order. */
async function burst(gateways: Gateway[], key: string, n = 30): Promise<number[]> {
  const apps = gateways.map((g) => createApp(g));
  const res = await Promise.all(Array.from({ length: n }, (_, i) =>
    apps[i % apps.length]!.request('/v1/datasets', { headers: { authorization: `Bearer ${key}` } })));
  return res.map((r) => r.status);
}

describe('rate limits in memory', () => {
  it('allows exactly the limit, then 429 with Retry-After and RateLimit-* headers', async () => {
    const gw = await gatewayFor(config.dir);
    const statuses = await burst([gw], config.keys.burst!);
    expect(statuses.filter((s) => s === 200)).toHaveLength(10);
    expect(statuses.filter((s) => s === 429)).toHaveLength(20);
    const ok = await gatewayFor(config.dir).then((g) => hit(g, config.keys.burst!));
    expect(ok.headers.get('RateLimit-Limit')).toBe('10');
    expect(ok.headers.get('RateLimit-Remaining')).toBe('9');
    const limited = await hit(gw, config.keys.burst!);
    expect(limited.status).toBe(429);
    expect(limited.headers.get('content-type')).toBe('application/problem+json');
    expect(Number(limited.headers.get('Retry-After'))).toBeGreaterThanOrEqual(1);
    expect(limited.headers.get('RateLimit-Remaining')).toBe('0');
    expect((await gw.usage.report('c')).rate_limit_hits).toBeGreaterThanOrEqual(21);
    await gw.close();
  });

  it('limits a tenant across all its keys, and other tenants not at all', async () => {
    const gw = await gatewayFor(config.dir);
    const statuses = [];
    for (let i = 0; i < 4; i++) statuses.push((await hit(gw, config.keys.a1!)).status, (await hit(gw, config.keys.a2!)).status);
    expect(statuses.filter((s) => s === 200)).toHaveLength(6);
    const other = await hit(gw, config.keys.b!);
    expect(other.status).toBe(200);
    expect(other.headers.get('RateLimit-Limit')).toBe('1000');
    await gw.close();
  });
});

const redisService = await requireServices('redis');

/** A private redis-server, so stopping it cannot disturb other suites using the shared one. */
async function startRedis(port: number): Promise<void> {
  spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], { stdio: 'ignore', detached: true }).unref();
  for (let i = 0; i < 50; i++) {
    try {
      execFileSync('redis-cli', ['-p', String(port), 'ping'], { stdio: 'pipe' });
      return;
    } catch {
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  throw new Error('private redis-server did not start');
}

async function waitFor(check: () => boolean, ms = 10_000): Promise<void> {
  const end = Date.now() + ms;
  while (!check()) {
    if (Date.now() > end) throw new Error('timed out waiting');
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe.skipIf(!redisService.ok)('rate limits shared through Redis', () => {
  let port: number;
  let gateways: Gateway[] = [];
  let clients: Redis[] = [];

  beforeAll(async () => {
    port = await freePort();
    await startRedis(port);
    clients = [0, 1, 2].map(() => new Redis({ port, host: '127.0.0.1', enableOfflineQueue: false, maxRetriesPerRequest: 1, retryStrategy: () => 100 }));
    for (const c of clients) c.on('error', () => undefined);
    await waitFor(() => clients.every((c) => c.status === 'ready'));
    gateways = await Promise.all(clients.map((c) => gatewayFor(config.dir, c)));
  });

  afterAll(async () => {
    for (const g of gateways) await g.close();
    try { execFileSync('redis-cli', ['-p', String(port), 'shutdown', 'nosave'], { stdio: 'pipe' }); } catch { /* already down */ }
  });

  it('three instances give a 10/second key exactly 10 successes in a burst of 30', async () => {
    const statuses = await burst(gateways, config.keys.burst!);
    expect(statuses.filter((s) => s === 200)).toHaveLength(10);
    expect(statuses.filter((s) => s === 429)).toHaveLength(20);
  });

  it('keeps answering and limits per instance while Redis is down, and shares again when it returns', async () => {
    await new Promise((r) => setTimeout(r, 1100)); // a fresh one-second window
    execFileSync('redis-cli', ['-p', String(port), 'shutdown', 'nosave'], { stdio: 'pipe' });
    await waitFor(() => clients.every((c) => c.status !== 'ready'));
    const down = await burst(gateways, config.keys.burst!, 45);
    // Per replica now: each of the three instances allows its own 10.
    expect(down.filter((s) => s === 200)).toHaveLength(30);
    expect(down.filter((s) => s === 429)).toHaveLength(15);
    expect(down.every((s) => s === 200 || s === 429)).toBe(true);

    await startRedis(port);
    await waitFor(() => clients.every((c) => c.status === 'ready'));
    await new Promise((r) => setTimeout(r, 1100));
    const back = await burst(gateways, config.keys.burst!);
    expect(back.filter((s) => s === 200)).toHaveLength(10);
  });
});
