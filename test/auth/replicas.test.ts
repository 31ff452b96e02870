/**
 * Three `semgate serve` processes sharing PostgreSQL (the key store, a table of this run's
 * own) and Redis (the store's invalidation channel is named after that table): a key made
 * through A works on B and C at once; revoked through B it is refused on A and C within a
 * second; rotated with a 2 s grace both keys work everywhere, then only the new one. Without
 * Redis, a revocation takes effect within cache_ttl on every replica.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startServer, type RunningServer } from '../../src/server.ts';
import { Gateway, stateFor } from '../../src/service/gateway.ts';
import { loadCatalog } from '../helpers/catalog.ts';
import { ROOT } from '../helpers/cli.ts';
import { request } from '../helpers/http.ts';
import { requireServices, services } from '../helpers/services.ts';
import { dropStoreTable, initStoreTable, writeAuthConfig, type AuthConfig } from './fixture.ts';

const ready = await requireServices('postgres', 'redis');
const TOTALS = { dataset: 'sales', metrics: ['n'] };

/** A `semgate serve` child on a free port; resolves with its URL once it listens. */
function serve(dir: string, env: Record<string, string>): Promise<{ url: string; child: ChildProcess }> {
  const child = spawn(process.execPath, ['bin/semgate.js', 'serve', '--config', dir, '--port', '0', '--host', '127.0.0.1'], {
    cwd: ROOT, env: { ...process.env, SEMGATE_AUDIT_SINK: 'none', LOG_LEVEL: 'silent', ...env }, stdio: ['ignore', 'pipe', 'inherit'],
  });
  return new Promise((resolve, reject) => {
    let out = '';
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      const m = /listening on (http:\/\/\S+)/.exec(out);
      if (m) resolve({ url: m[1]!, child });
    });
    child.on('exit', (code) => reject(new Error(`semgate serve exited with ${code}: ${out}`)));
  });
}

/** Polls until `check` holds; the time it took, or a failure after `ms`. */
async function within(ms: number, check: () => Promise<boolean>): Promise<number> {
  const started = Date.now();
  while (!(await check())) {
    if (Date.now() - started > ms) throw new Error(`not within ${ms} ms`);
    await new Promise((r) => setTimeout(r, 25));
  }
  return Date.now() - started;
}

describe.skipIf(!ready.ok)('three replicas sharing PostgreSQL and Redis', () => {
  let cfg: AuthConfig;
  let replicas: { url: string; child: ChildProcess }[] = [];
  const status = async (i: number, key: string): Promise<number> => (await request(replicas[i]!.url, 'POST', '/v1/query', { key, body: TOTALS })).status;
  const admin = (i: number, method: string, path: string, body?: unknown) => request(replicas[i]!.url, method, path, { key: cfg.adminKey, ...(body !== undefined && { body }) });

  beforeAll(async () => {
    // A long cache TTL: only Redis can make the replicas agree within a second.
    cfg = writeAuthConfig({ tag: 'replicas', cacheTtl: 300 });
    await initStoreTable(cfg.table);
    replicas = await Promise.all([0, 1, 2].map(() => serve(cfg.dir, { REDIS_URL: services.redis.url })));
  }, 120_000);
  afterAll(async () => {
    for (const r of replicas) r.child.kill('SIGTERM');
    if (cfg) await dropStoreTable(cfg.table);
  });

  it('a key created through A works on B and C at once; revoked through B, refused on A and C within 1 s', async () => {
    const made = await admin(0, 'POST', '/v1/admin/keys', { tenant: 'acme', role: 'analyst' });
    expect(made.status, made.text).toBe(201);
    expect([await status(1, made.body.key), await status(2, made.body.key), await status(0, made.body.key)]).toEqual([200, 200, 200]);
    const revoked = await admin(1, 'DELETE', `/v1/admin/keys/${made.body.id}`);
    expect(revoked.status, revoked.text).toBe(200);
    const took = await within(1000, async () => (await status(0, made.body.key)) === 401 && (await status(2, made.body.key)) === 401);
    expect(took).toBeLessThan(1000);
    expect(await status(1, made.body.key)).toBe(401);
  });

  it('rotated with a 2 s grace: both keys work on every replica, then only the new one', async () => {
    const old = await admin(2, 'POST', '/v1/admin/keys', { tenant: 'globex', role: 'analyst' });
    for (const i of [0, 1, 2]) expect(await status(i, old.body.key)).toBe(200);
    const rotated = await admin(0, 'POST', `/v1/admin/keys/${old.body.id}/rotate`, { grace_seconds: 2 });
    expect(rotated.status, rotated.text).toBe(201);
    for (const i of [0, 1, 2]) expect([await status(i, old.body.key), await status(i, rotated.body.key)]).toEqual([200, 200]);
    await within(3500, async () => (await Promise.all([0, 1, 2].map((i) => status(i, old.body.key)))).every((st) => st === 401));
    for (const i of [0, 1, 2]) expect(await status(i, rotated.body.key)).toBe(200);
  });
});

describe.skipIf(!ready.ok)('replicas without Redis', () => {
  let cfg: AuthConfig;
  let servers: RunningServer[] = [];

  beforeAll(async () => {
    cfg = writeAuthConfig({ tag: 'noredis', cacheTtl: 2 });
    await initStoreTable(cfg.table);
    servers = await Promise.all([0, 1].map(async () => startServer({
      configDir: cfg.dir, port: 0, host: '127.0.0.1',
      gateway: new Gateway(stateFor(await loadCatalog(cfg.dir)), pino({ level: 'silent' }), { redis: null }),
    })));
  });
  afterAll(async () => {
    await Promise.all(servers.map((s) => s.close()));
    if (cfg) await dropStoreTable(cfg.table);
  });

  it('a revocation takes effect within cache_ttl on every replica', async () => {
    const [a, b] = servers as [RunningServer, RunningServer];
    const made = await request(a.url, 'POST', '/v1/admin/keys', { key: cfg.adminKey, body: { tenant: 'acme', role: 'viewer' } });
    const use = async (s: RunningServer): Promise<number> => (await request(s.url, 'POST', '/v1/query', { key: made.body.key, body: TOTALS })).status;
    expect([await use(a), await use(b)]).toEqual([200, 200]);
    await request(a.url, 'DELETE', `/v1/admin/keys/${made.body.id}`, { key: cfg.adminKey });
    expect(await use(a)).toBe(401);
    // B may answer from its cache until its entry's TTL (2 s) runs out, never longer.
    await within(2500, async () => (await use(b)) === 401);
  });
});
