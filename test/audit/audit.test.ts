import { mkdtempSync, readFileSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { PassThrough } from 'node:stream';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AuditLog } from '../../src/audit/audit-log.ts';
import { FileSink, PostgresSink, StdoutSink, type AuditSink } from '../../src/audit/sinks.ts';
import { loadCatalog } from '../helpers/catalog.ts';
import type { Catalog } from '../../src/catalog/types.ts';
import { startServer, type RunningServer } from '../../src/server.ts';
import { Gateway, stateFor } from '../../src/service/gateway.ts';
import { rawPostgres } from '../helpers/seed.ts';
import { MEM_SOURCE } from '../helpers/gateway-fixture.ts';
import { requireServices, services } from '../helpers/services.ts';
import { TcpProxy } from '../helpers/tcp-proxy.ts';

const KEYS = { analyst: 'sk-audit-analyst-1', limited: 'sk-audit-limited-2', viewer: 'sk-audit-viewer-3', admin: 'sk-audit-admin-4' };

function writeConfig(extraSources = ''): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'semgate-audit-'));
  writeFileSync(path.join(dir, 'sources.yaml'), `sources:
${MEM_SOURCE}  - name: gone
    type: postgres
    connection: { host: 127.0.0.1, port: 1, database: nothing, user: nobody }
${extraSources}
server:
  trusted_proxies: [127.0.0.1]
`);
  writeFileSync(path.join(dir, 'catalog.yaml'), `datasets:
  - name: sales
    source: mem
    table: sales
    rls: { tenant_column: tenant_id }
    dimensions: [{ name: id, type: number }]
    metrics: [{ name: revenue, type: number, expr: "SUM(amount)" }]
  - name: secret
    source: mem
    table: sales
    rls: { tenant_column: tenant_id }
    access: { roles: [analyst] }
    metrics: [{ name: revenue, type: number, expr: "SUM(amount)" }]
  - name: offline
    source: gone
    table: sales
    rls: { tenant_column: tenant_id }
    metrics: [{ name: n, type: integer, expr: "COUNT(*)" }]
`);
  writeFileSync(path.join(dir, 'api-keys.yaml'), `api_keys:
  - { key: "${KEYS.analyst}", tenant: a, role: analyst }
  - { key: "${KEYS.limited}", tenant: b, role: analyst, rate_limit: "2/minute" }
  - { key: "${KEYS.viewer}", tenant: a, role: viewer }
  - { key: "${KEYS.admin}", role: admin }
`);
  return dir;
}

/** Mixed outcomes: the statuses the spec's table lists, plus two requests that are not audited. */
async function traffic(url: string): Promise<number[]> {
  const q = (key: string | null, body: unknown, headers: Record<string, string> = {}): Promise<Response> => fetch(`${url}/v1/query`, {
    method: 'POST', body: JSON.stringify(body),
    headers: { 'content-type': 'application/json', ...(key && { authorization: `Bearer ${key}` }), ...headers },
  });
  const statuses: number[] = [];
  const ok = { dataset: 'sales', dimensions: ['id'], metrics: ['revenue'], filters: [{ field: 'id', op: 'lt', values: [10] }] };
  for (const r of [
    await q(KEYS.analyst, ok, { 'x-forwarded-for': '203.0.113.9' }),
    await q(KEYS.analyst, { dataset: 'sales', metrics: ['revnue'] }),
    await q(null, ok),
    await q('sk-not-a-key', ok),
    await q(KEYS.viewer, { dataset: 'secret', metrics: ['revenue'] }),
    await q(KEYS.limited, ok), await q(KEYS.limited, ok), await q(KEYS.limited, ok),
    await q(KEYS.analyst, { dataset: 'offline', metrics: ['n'] }),
  ]) statuses.push(r.status);
  await fetch(`${url}/health`);
  await fetch(`${url}/no/such/path`);
  return statuses;
}

const EXPECTED = [200, 400, 401, 401, 403, 200, 200, 429, 503];

function checkLines(lines: Record<string, unknown>[]): void {
  expect(lines.map((l) => l.status)).toEqual(EXPECTED);
  for (const l of lines) {
    for (const f of ['ts', 'request_id', 'key_id', 'tenant', 'role', 'client_ip', 'action', 'dataset', 'dimensions', 'metrics',
      'filter_fields', 'status', 'rows', 'bytes', 'cache_hit', 'duration_ms']) expect(l).toHaveProperty(f);
    expect(l.action).toBe('query');
    expect(l).not.toHaveProperty('filter_values');
    const text = JSON.stringify(l);
    for (const k of [...Object.values(KEYS), 'sk-not-a-key']) expect(text).not.toContain(k);
  }
  const [first] = lines;
  expect(first).toMatchObject({ tenant: 'a', role: 'analyst', dataset: 'sales', dimensions: ['id'], metrics: ['revenue'], filter_fields: ['id'], rows: 4, cache_hit: false });
  expect(first!.client_ip).toBe('203.0.113.9'); // forwarded by a trusted proxy (the test itself, on 127.0.0.1)
  expect(first!.bytes).toBeGreaterThan(50);
  expect(lines[2]).toMatchObject({ key_id: null, tenant: null, status: 401 });
  expect(lines[4]).toMatchObject({ dataset: 'secret', role: 'viewer', status: 403 });
}

async function runThrough(catalog: Catalog, sink: AuditSink, spool: string): Promise<{ server: RunningServer; audit: AuditLog }> {
  const logger = pino({ level: 'silent' });
  const audit = new AuditLog(sink, spool, logger, { flushMs: 50 });
  const gateway = new Gateway(stateFor(catalog), logger, { audit });
  const server = await startServer({ configDir: catalog.dir, port: 0, host: '127.0.0.1', gateway });
  return { server, audit };
}


describe('audit log', () => {
  it('stdout sink: exactly one line per audited request, with the fields and no key', async () => {
    const out = new PassThrough();
    const chunks: string[] = [];
    out.on('data', (d: Buffer) => chunks.push(d.toString()));
    const { server, audit } = await runThrough(await loadCatalog(writeConfig()), new StdoutSink(out), path.join(tmpdir(), `spool-${process.pid}-1`));
    expect(await traffic(server.url)).toEqual(EXPECTED);
    await new Promise((r) => setTimeout(r, 100));
    await server.close(); // flushes
    const lines = chunks.join('').split('\n').filter(Boolean).map((l) => JSON.parse(l) as Record<string, unknown>);
    checkLines(lines);
    expect(audit.status().written).toBe(EXPECTED.length);
  });

  it('file sink: appends, rotates by size, and keeps every line', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'semgate-audit-file-'));
    const file = path.join(dir, 'audit.log');
    const sink = new FileSink(file, 2048, 3);
    const { server, audit } = await runThrough(await loadCatalog(writeConfig()), sink, path.join(dir, 'spool'));
    expect(await traffic(server.url)).toEqual(EXPECTED);
    await audit.flush();
    // A second batch: the file is over 2 KiB by now, so it rotates before the write.
    expect(await traffic(server.url)).toEqual([200, 400, 401, 401, 403, 429, 429, 429, 503]);
    await server.close();
    const files = await sink.files();
    expect(files.length).toBeGreaterThan(1);
    const lines = files.reverse().flatMap((f) => readFileSync(f, 'utf8').split('\n').filter(Boolean)).map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(lines).toHaveLength(18);
    checkLines(lines.slice(0, 9));
  });
});

const pg = await requireServices('postgres');

describe.skipIf(!pg.ok)('audit log into PostgreSQL', () => {
  const table = `sg_audit_${process.pid}`;
  const proxy = new TcpProxy(services.postgres.host, services.postgres.port);
  let catalog: Catalog;

  beforeAll(async () => {
    await proxy.start();
    const p = services.postgres;
    catalog = await loadCatalog(writeConfig(`  - name: auditdb
    type: postgres
    connection: { host: 127.0.0.1, port: ${proxy.port}, database: "${p.database}", user: "${p.user}", password: "${p.password}" }`));
  });

  afterAll(async () => {
    await proxy.stop();
    const raw = await rawPostgres();
    await raw.exec(`DROP TABLE IF EXISTS ${table}`);
    await raw.close();
  });

  async function rows(): Promise<Record<string, unknown>[]> {
    const raw = await rawPostgres();
    try {
      return await raw.query(`SELECT status, line FROM ${table} ORDER BY id`);
    } finally {
      await raw.close();
    }
  }

  it('writes batches, spools while the database is down, and delivers after it returns', async () => {
    const spool = path.join(mkdtempSync(path.join(tmpdir(), 'semgate-spool-')), 'spool.jsonl');
    const { server, audit } = await runThrough(catalog, new PostgresSink(catalog.sources.get('auditdb')!, table), spool);
    expect(await traffic(server.url)).toEqual(EXPECTED);
    await audit.flush();
    checkLines((await rows()).map((r) => r.line as Record<string, unknown>));

    await proxy.stop(); // the audit database is gone
    expect(await traffic(server.url)).toEqual([200, 400, 401, 401, 403, 429, 429, 429, 503]);
    await audit.flush();
    expect(audit.status()).toMatchObject({ failing: true, spooled: 9 });
    expect(existsSync(spool)).toBe(true);
    expect(readFileSync(spool, 'utf8').split('\n').filter(Boolean)).toHaveLength(9);
    const ready = await fetch(`${server.url}/ready`, { headers: { authorization: `Bearer ${KEYS.admin}` } });
    expect(((await ready.json()) as { audit?: { failing: boolean } }).audit?.failing).toBe(true);

    await proxy.start(); // back, on the same port
    await audit.flush();
    expect(audit.status()).toMatchObject({ failing: false, spooled: 0 });
    const all = await rows();
    // 9 + 9 query lines and the /ready request, which is audited too.
    expect(all).toHaveLength(19);
    expect((all[18]!.line as { action: string }).action).toBe('ready');
    expect(readFileSync(spool, 'utf8')).toBe('');
    await server.close();
  });

  it('a sink that stops answering (a silent network path) does not hold requests: their lines go to the spool', async () => {
    const spool = path.join(mkdtempSync(path.join(tmpdir(), 'semgate-spool-')), 'spool.jsonl');
    const logger = pino({ level: 'silent' });
    const sink = new PostgresSink(catalog.sources.get('auditdb')!, table);
    const audit = new AuditLog(sink, spool, logger, { writeTimeoutMs: 500 });
    await audit.init();
    const event = { ts: new Date().toISOString(), request_id: `stall-${process.pid}`, key_id: null, tenant: null, role: null, client_ip: null,
      action: 'test', dataset: null, dimensions: [], metrics: [], filter_fields: [], status: 200, rows: null, bytes: null, cache_hit: null, duration_ms: 0 };
    await audit.record({ ...event, request_id: `before-stall-${process.pid}` }); // the sink's connection is open
    proxy.stall(); // the connection stays open and nothing comes back
    try {
      const started = Date.now();
      const outcome = await Promise.race([audit.record(event).then(() => 'recorded'), new Promise((r) => setTimeout(() => r('held'), 20_000))]);
      expect(outcome).toBe('recorded');
      expect(Date.now() - started).toBeLessThan(20_000);
      expect(readFileSync(spool, 'utf8')).toContain(event.request_id);
      expect(audit.status()).toMatchObject({ failing: true });
    } finally {
      proxy.unstall();
    }
    await audit.flush();
    const ids = (await rows()).map((r) => (r.line as { request_id: string }).request_id);
    expect(ids).toContain(event.request_id); // delivered from the spool once the sink answers again
    await audit.close();
  }, 60_000);
});
