/**
 * The key store through the admin API, on one real gateway over the shared PostgreSQL:
 * create, use, list without secrets, rotate with a grace period, revoke; a flood of bad keys
 * costs one lookup per key; the store down (a TCP proxy cut) keeps cached keys working and
 * answers 503 for unknown ones, never 401 and never a pass; back up, new keys work at once.
 * Every admin call is an audit line naming the key id, never the key.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pino } from 'pino';
import { AuditLog } from '../../src/audit/index.ts';
import { FileSink } from '../../src/audit/sinks.ts';
import { startServer } from '../../src/server.ts';
import { Gateway, stateFor } from '../../src/service/gateway.ts';
import { loadCatalog } from '../helpers/catalog.ts';
import { request, type TestServer } from '../helpers/http.ts';
import { requireServices, services } from '../helpers/services.ts';
import { TcpProxy } from '../helpers/tcp-proxy.ts';
import { dropStoreTable, expectedSales, initStoreTable, writeAuthConfig, type AuthConfig } from './fixture.ts';

const pg = await requireServices('postgres');
const TOTALS = { dataset: 'sales', metrics: ['n', 'revenue'] };

describe.skipIf(!pg.ok)('key store over HTTP', () => {
  let proxy: TcpProxy;
  let cfg: AuthConfig;
  let s: TestServer;
  const admin = (method: string, p: string, body?: unknown) => s.req(method, p, { key: cfg.adminKey, ...(body !== undefined && { body }) });

  beforeAll(async () => {
    proxy = new TcpProxy(services.postgres.host, services.postgres.port);
    await proxy.start();
    cfg = writeAuthConfig({ tag: 'http', pgPort: proxy.port, cacheTtl: 30 });
    await initStoreTable(cfg.table);
    await initStoreTable(cfg.table); // `keys init` is idempotent
    // Audit lines to a file this test reads (the suite's default sink is none).
    const logger = pino({ level: 'silent' });
    const audit = new AuditLog(new FileSink(path.join(cfg.dir, 'audit.jsonl'), 1e7, 1), path.join(cfg.dir, 'spool.jsonl'), logger);
    const gateway = new Gateway(stateFor(await loadCatalog(cfg.dir)), logger, { audit });
    const server = await startServer({ configDir: cfg.dir, gateway, port: 0, host: '127.0.0.1' });
    s = { url: server.url, server, req: (m, p, o) => request(server.url, m, p, o), close: () => server.close() };
  });
  afterAll(async () => {
    await s?.close();
    await proxy?.stop();
    if (cfg) await dropStoreTable(cfg.table);
  });

  async function create(body: Record<string, unknown>): Promise<{ id: string; key: string }> {
    const res = await admin('POST', '/v1/admin/keys', body);
    expect(res.status, res.text).toBe(201);
    return res.body;
  }
  const totals = async (key: string) => s.req('POST', '/v1/query', { key, body: TOTALS });

  it('creates a key that queries its own tenant only, and lists keys without secrets', async () => {
    const made = await create({ tenant: 'globex', role: 'analyst', description: 'BI refresh' });
    expect(made.id).toMatch(/^k_[0-9a-f]{12}$/);
    expect(made.key).toMatch(/^sg_/);
    const res = await totals(made.key);
    expect(res.status, res.text).toBe(200);
    const want = expectedSales('globex');
    expect(res.body.rows[0]).toEqual([want.n, want.revenue]);
    const list = await admin('GET', '/v1/admin/keys?tenant=globex');
    expect(list.status).toBe(200);
    expect(list.body.keys).toEqual([expect.objectContaining({ id: made.id, tenant: 'globex', role: 'analyst', source: 'store', enabled: true, description: 'BI refresh' })]);
    expect(list.text).not.toContain(made.key);
    expect(list.text).not.toContain('sha256');
    const all = await admin('GET', '/v1/admin/keys');
    expect(all.body.keys.map((k: { source: string }) => k.source)).toEqual(expect.arrayContaining(['file', 'store']));
    // Not for non-admins; bad bodies change nothing.
    expect((await s.req('GET', '/v1/admin/keys', { key: made.key })).status).toBe(403);
    for (const bad of [{ tenant: 'acme' }, { tenant: 'a b', role: 'analyst' }, { tenant: 'acme', role: 'admin' }, { tenant: 'acme', role: 'analyst', allowed_datasets: ['nope'] },
      { tenant: 'acme', role: 'analyst', expires_at: '2001-01-01' }, { tenant: 'acme', role: 'analyst', extra: 1 }, { tenant: 'ACME', role: 'analyst' }]) {
      const r = await admin('POST', '/v1/admin/keys', bad);
      expect([400, 409], r.text).toContain(r.status);
      expect(r.headers.get('content-type')).toContain('application/problem+json');
    }
  });

  it('remembers a miss: a flood of one bad key costs one lookup', async () => {
    const store = s.server.gateway.state.auth.store!;
    const before = store.stats().lookups;
    const bad = `sg_${'x'.repeat(43)}`;
    const answers = await Promise.all(Array.from({ length: 20 }, () => s.req('GET', '/v1/datasets', { key: bad })));
    expect(answers.map((a) => a.status)).toEqual(Array(20).fill(401));
    expect(store.stats().lookups - before).toBe(1);
  });

  it('rotates with a grace period: both keys work, then only the new one', async () => {
    const old = await create({ tenant: 'acme', role: 'analyst', rate_limit: '1000/minute' });
    expect((await totals(old.key)).status).toBe(200);
    const rotated = await admin('POST', `/v1/admin/keys/${old.id}/rotate`, { grace_seconds: 1 });
    expect(rotated.status, rotated.text).toBe(201);
    expect(rotated.body).toMatchObject({ tenant: 'acme', role: 'analyst', rate_limit: '1000/minute', replaces: old.id });
    expect((await totals(old.key)).status).toBe(200);
    expect((await totals(rotated.body.key)).status).toBe(200);
    await new Promise((r) => setTimeout(r, 1300));
    const expired = await totals(old.key);
    expect(expired.status).toBe(401);
    expect(expired.body.detail).toMatch(/expired/);
    expect((await totals(rotated.body.key)).status).toBe(200);
    expect((await admin('POST', `/v1/admin/keys/${old.id}/rotate`, { grace_seconds: 5 })).status).toBe(409);
  });

  it('revokes at once; a file key or an unknown id is refused', async () => {
    const k = await create({ tenant: 'acme', role: 'viewer' });
    expect((await totals(k.key)).status).toBe(200);
    const revoked = await admin('DELETE', `/v1/admin/keys/${k.id}`);
    expect(revoked.status, revoked.text).toBe(200);
    expect(revoked.body).toMatchObject({ id: k.id, enabled: false });
    expect((await totals(k.key)).status).toBe(401);
    const fileId = s.server.gateway.state.catalog.apiKeys.at(1)!.id;
    expect((await admin('DELETE', `/v1/admin/keys/${fileId}`)).status).toBe(409);
    expect((await admin('DELETE', '/v1/admin/keys/k_000000000000')).status).toBe(404);
    expect((await admin('DELETE', '/v1/admin/keys/nonsense')).status).toBe(400);
  });

  it('the store down: cached keys work, unknown keys get 503 with Retry-After, nothing passes; back up, new keys work', async () => {
    const cached = await create({ tenant: 'globex', role: 'analyst' });
    expect((await totals(cached.key)).status).toBe(200);
    const later = await create({ tenant: 'globex', role: 'analyst' }); // never used: not cached
    await proxy.stop();
    try {
      expect((await totals(cached.key)).status).toBe(200);
      expect((await totals(cfg.fileKey)).status).toBe(200);
      for (const key of [later.key, `sg_${'y'.repeat(43)}`]) {
        const res = await totals(key);
        expect(res.status, res.text).toBe(503);
        expect(Number(res.headers.get('retry-after'))).toBeGreaterThan(0);
        expect(res.body.detail).toMatch(/key store is not reachable/);
        expect(res.text).not.toContain(key);
      }
      expect((await admin('POST', '/v1/admin/keys', { tenant: 'acme', role: 'analyst' })).status).toBe(503);
    } finally {
      await proxy.start();
    }
    const res = await totals(later.key);
    expect(res.status, res.text).toBe(200);
    expect(res.body.rows[0][0]).toBe(expectedSales('globex').n);
  });

  it('writes an audit line per admin call with the key id acted on, never the key', async () => {
    const made = await create({ tenant: 'acme', role: 'analyst' });
    await admin('DELETE', `/v1/admin/keys/${made.id}`);
    await s.server.gateway.audit.flush();
    const text = readFileSync(path.join(cfg.dir, 'audit.jsonl'), 'utf8');
    const lines = text.trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(lines).toContainEqual(expect.objectContaining({ action: 'admin.keys.create', target_key_id: made.id, status: 201 }));
    expect(lines).toContainEqual(expect.objectContaining({ action: 'admin.keys.revoke', target_key_id: made.id, status: 200 }));
    expect(text).not.toContain(made.key);
    expect(text).not.toContain(cfg.adminKey);
  });
});
