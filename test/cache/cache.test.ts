import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApp } from '../../src/app.ts';
import type { Gateway } from '../../src/service/gateway.ts';
import { gatewayFor } from '../helpers/gateway-fixture.ts';
import { generateOrders, rawPostgres, seedOrders, type RawSql } from '../helpers/seed.ts';
import { requireServices, services } from '../helpers/services.ts';

const svc = await requireServices('postgres', 'redis');
const schema = `sgcache_${process.pid}`;

/** Every execution of the dataset's SQL takes one value of the sequence: a count kept by the database. */
function writeConfig(): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'semgate-cache-'));
  const pg = services.postgres;
  writeFileSync(path.join(dir, 'sources.yaml'), `sources:
  - name: pg
    type: postgres
    connection: { host: "${pg.host}", port: ${pg.port}, database: "${pg.database}", user: "${pg.user}", password: "${pg.password}" }
`);
  const dataset = (name: string, ttl: number): string => `
  - name: ${name}
    source: pg
    sql: "SELECT o.* FROM ${schema}.orders o CROSS JOIN (SELECT nextval('${schema}.calls') AS n) AS c WHERE o.tenant_id = {tenant_id}"
    rls: { tenant_column: tenant_id }
    cache: { ttl: ${ttl} }
    dimensions:
      - { name: region, type: string }
      - { name: note, type: string }
    metrics:
      - { name: revenue, type: number, expr: "SUM(amount)" }
      - { name: orders, type: integer, expr: "COUNT(*)" }`;
  writeFileSync(path.join(dir, 'catalog.yaml'), `datasets:${dataset('orders', 300)}${dataset('orders_short', 1)}\n`);
  writeFileSync(path.join(dir, 'api-keys.yaml'), `api_keys:
  - { key: "k-alpha-${process.pid}", tenant: alpha, role: analyst }
  - { key: "k-beta-${process.pid}", tenant: beta, role: analyst }
  - { key: "k-admin-${process.pid}", role: admin }
defaults: { rate_limit: "100000/second" }
`);
  return dir;
}

describe.skipIf(!svc.ok)('result cache', () => {
  let raw: RawSql;
  let a: Gateway;
  let b: Gateway;
  const redisClients: Redis[] = [];
  const KEY = { alpha: `k-alpha-${process.pid}`, beta: `k-beta-${process.pid}`, admin: `k-admin-${process.pid}` };

  async function calls(): Promise<number> {
    const [row] = await raw.query(`SELECT last_value, is_called FROM ${schema}.calls`);
    return row!.is_called ? Number(row!.last_value) : 0;
  }

  async function query(gw: Gateway, key: string, body: unknown, headers: Record<string, string> = {}): Promise<Response> {
    return createApp(gw).request('/v1/query', {
      method: 'POST', body: JSON.stringify(body), headers: { authorization: `Bearer ${key}`, ...headers },
    });
  }

  beforeAll(async () => {
    raw = await rawPostgres();
    await raw.exec(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
    await raw.exec(`CREATE SCHEMA ${schema}`);
    await raw.exec(`CREATE SEQUENCE ${schema}.calls`);
    await seedOrders(raw, 'postgres', `${schema}.orders`, generateOrders(['alpha', 'beta'], 80), true);
    const dir = writeConfig();
    for (let i = 0; i < 2; i++) {
      const r = new Redis(services.redis.url, { enableOfflineQueue: false, maxRetriesPerRequest: 1 });
      r.on('error', () => undefined);
      redisClients.push(r);
    }
    await Promise.all(redisClients.map((r) => new Promise((ok) => r.once('ready', ok))));
    const [ga, gb] = await Promise.all(redisClients.map((r) => gatewayFor(dir, r)));
    a = ga!;
    b = gb!;
    await Promise.all([a!.cache.listen(), b!.cache.listen()]);
    await a!.cache.purge({ dataset: 'orders' });
    await a!.cache.purge({ dataset: 'orders_short' });
  });

  afterAll(async () => {
    await a?.cache.purge();
    await a?.close();
    await b?.close();
    await raw?.exec(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
    await raw?.close();
  });

  const q1 = { dataset: 'orders', dimensions: ['region', 'note'], metrics: ['revenue', 'orders'] };

  it('a hit returns byte-identical rows without running the query again', async () => {
    const before = await calls();
    const r1 = await query(a, KEY.alpha, q1);
    const r2 = await query(a, KEY.alpha, q1);
    expect(r1.headers.get('X-Cache')).toBe('MISS');
    expect(r2.headers.get('X-Cache')).toBe('HIT');
    const [b1, b2] = [await r1.json(), await r2.json()] as { rows: unknown[]; meta: { cached: boolean } }[];
    expect(JSON.stringify(b2!.rows)).toBe(JSON.stringify(b1!.rows));
    expect([b1!.meta.cached, b2!.meta.cached]).toEqual([false, true]);
    expect(await calls()).toBe(before + 1);
  });

  it('two tenants sending the same query never share an entry', async () => {
    const before = await calls();
    const alpha = await (await query(a, KEY.alpha, { ...q1, dimensions: ['region'] })).json() as { rows: [string, number, number][] };
    const beta = await (await query(a, KEY.beta, { ...q1, dimensions: ['region'] })).json() as { rows: [string, number, number][] };
    expect(await calls()).toBe(before + 2);
    const total = (rows: [string, number, number][]): number => rows.reduce((s, r) => s + r[2], 0);
    expect(total(alpha.rows)).toBe(80);
    expect(total(beta.rows)).toBe(80);
    // Disjoint amount ranges: alpha's revenue is below 200k per row, beta's above.
    expect(alpha.rows.every((r) => r[1] / r[2] < 200_000)).toBe(true);
    expect(beta.rows.every((r) => r[1] / r[2] > 200_000)).toBe(true);
  });

  it('50 concurrent identical queries reach the database once', async () => {
    const before = await calls();
    const body = { dataset: 'orders', dimensions: ['note'], metrics: ['orders'] };
    const res = await Promise.all(Array.from({ length: 50 }, () => query(a, KEY.alpha, body)));
    expect(res.every((r) => r.status === 200)).toBe(true);
    expect(await calls()).toBe(before + 1);
    const texts = new Set(await Promise.all(res.map(async (r) => JSON.stringify(((await r.json()) as { rows: unknown }).rows))));
    expect(texts.size).toBe(1);
  });

  it('a second instance hits the first one\'s Redis entry', async () => {
    const body = { dataset: 'orders', metrics: ['revenue'] };
    await query(a, KEY.beta, body);
    const before = await calls();
    const r = await query(b, KEY.beta, body);
    expect(r.headers.get('X-Cache')).toBe('HIT');
    expect(await calls()).toBe(before);
  });

  it('Cache-Control: no-cache runs the query again and refills', async () => {
    const body = { dataset: 'orders', metrics: ['orders'] };
    await query(a, KEY.alpha, body);
    const before = await calls();
    const fresh = await query(a, KEY.alpha, body, { 'cache-control': 'no-cache' });
    expect(fresh.headers.get('X-Cache')).toBe('MISS');
    expect(await calls()).toBe(before + 1);
    expect((await query(a, KEY.alpha, body)).headers.get('X-Cache')).toBe('HIT');
  });

  it('entries expire after the dataset ttl', async () => {
    const body = { dataset: 'orders_short', metrics: ['orders'] };
    await query(a, KEY.alpha, body);
    expect((await query(a, KEY.alpha, body)).headers.get('X-Cache')).toBe('HIT');
    await new Promise((r) => setTimeout(r, 1300));
    const before = await calls();
    expect((await query(a, KEY.alpha, body)).headers.get('X-Cache')).toBe('MISS');
    expect(await calls()).toBe(before + 1);
  });

  it('purge by tenant drops only that tenant, on every instance', async () => {
    const body = { dataset: 'orders', dimensions: ['region'], metrics: ['orders'] };
    for (const gw of [a, b]) for (const k of [KEY.alpha, KEY.beta]) await query(gw, k, body);
    const purge = await createApp(a).request('/v1/admin/cache/purge', {
      method: 'POST', body: JSON.stringify({ tenant: 'alpha' }), headers: { authorization: `Bearer ${KEY.admin}` },
    });
    expect(purge.status).toBe(200);
    await new Promise((r) => setTimeout(r, 200)); // the pub/sub notice reaches b
    expect((await query(a, KEY.alpha, body)).headers.get('X-Cache')).toBe('MISS');
    expect((await query(b, KEY.beta, body)).headers.get('X-Cache')).toBe('HIT');
    const denied = await createApp(a).request('/v1/admin/cache/purge', { method: 'POST', headers: { authorization: `Bearer ${KEY.alpha}` } });
    expect(denied.status).toBe(403);
  });
});
