import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { memSource } from '../helpers/gateway-fixture.ts';
import { startTestServer, type TestServer } from '../helpers/http.ts';
import { freePort } from '../helpers/free-port.ts';

const ROOT = path.resolve(import.meta.dirname, '../..');
const ADMIN = 'sk-reload-admin';
const ANALYST = 'sk-reload-analyst';

const SOURCES = (poolMax: number): string => `sources:
${memSource(`pool: { max: ${poolMax} }`)}`;
const CATALOG = (revenueExpr: string): string => `datasets:
  - name: sales
    source: mem
    table: sales
    rls: { tenant_column: tenant_id }
    cache: { ttl: 0 }
    dimensions: [{ name: id, type: number }]
    metrics: [{ name: revenue, type: number, expr: "${revenueExpr}" }]
  - name: slow
    source: mem
    sql: "SELECT s.* FROM sales s, (SELECT SUM(r.range % 7) AS x FROM range(0, 600000000) r) AS heavy WHERE s.tenant_id = {tenant_id}"
    rls: { tenant_column: tenant_id }
    cache: { ttl: 0 }
    metrics: [{ name: n, type: integer, expr: "COUNT(*)" }]
`;
const KEYS = `api_keys:
  - { key: "${ADMIN}", role: admin }
  - { key: "${ANALYST}", tenant: a, role: analyst }
`;

function configDir(): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'semgate-reload-'));
  writeFileSync(path.join(dir, 'sources.yaml'), SOURCES(4));
  writeFileSync(path.join(dir, 'catalog.yaml'), CATALOG('SUM(amount)'));
  writeFileSync(path.join(dir, 'api-keys.yaml'), KEYS);
  return dir;
}

const TOTAL = { dataset: 'sales', metrics: ['revenue'] };
/** Tenant a holds the even ids 2..100: 1.5 * (2 + 4 + ... + 100). */
const A_REVENUE = 1.5 * 2550;

let server: TestServer | null = null;
afterEach(async () => {
  await server?.close();
  server = null;
});

async function revenue(s: TestServer): Promise<number> {
  const res = await s.req('POST', '/v1/query', { key: ANALYST, body: TOTAL });
  expect(res.status).toBe(200);
  return res.body.rows[0][0];
}

describe('reload', () => {
  it('a good reload changes answers; a request in flight finishes on the old configuration', async () => {
    const dir = configDir();
    server = await startTestServer(dir);
    expect(await revenue(server)).toBe(A_REVENUE);
    const gateway = server.server.gateway;

    const slow = server.req('POST', '/v1/query', { key: ANALYST, body: { dataset: 'slow', metrics: ['n'] } });
    while (gateway.inFlight().current === 0) await new Promise((r) => setTimeout(r, 5));
    // The source changes too (pool size), so its pool is replaced and the old one drained.
    writeFileSync(path.join(dir, 'sources.yaml'), SOURCES(5));
    writeFileSync(path.join(dir, 'catalog.yaml'), CATALOG('SUM(amount) * 2'));
    const reload = await server.req('POST', '/v1/admin/reload', { key: ADMIN });
    expect(reload.status).toBe(200);
    expect(reload.body).toMatchObject({ status: 'reloaded', kept_sources: [] });
    expect(gateway.inFlight().retired).toBe(1);

    expect(await revenue(server)).toBe(A_REVENUE * 2);
    const finished = await slow;
    expect(finished.status).toBe(200);
    expect(finished.body.rows).toEqual([[50]]);
    expect(gateway.inFlight()).toEqual({ current: 0, retired: 0 });
  });

  it('keeps the pools of unchanged sources', async () => {
    const dir = configDir();
    server = await startTestServer(dir);
    await revenue(server);
    writeFileSync(path.join(dir, 'catalog.yaml'), CATALOG('SUM(amount) * 3'));
    const reload = await server.req('POST', '/v1/admin/reload', { key: ADMIN });
    expect(reload.body.kept_sources).toEqual(['mem']);
    expect(await revenue(server)).toBe(A_REVENUE * 3);
  });

  const MISTAKES: [string, string, string, RegExp][] = [
    ['YAML syntax error', 'catalog.yaml', 'datasets:\n  - name: sales\n    source: [mem\n', /catalog\.yaml/],
    ['unknown source', 'catalog.yaml', CATALOG('SUM(amount)').replace('source: mem', 'source: nem'), /nem/],
    ['no tenant isolation', 'catalog.yaml', CATALOG('SUM(amount)').replace('    rls: { tenant_column: tenant_id }\n    cache: { ttl: 0 }\n    dimensions', '    cache: { ttl: 0 }\n    dimensions'), /isolation|rls/],
    ['metric that is no aggregate', 'catalog.yaml', CATALOG('amount'), /aggregate/],
    ['unset variable', 'sources.yaml', SOURCES(4).replace(':memory:', '${SEMGATE_RELOAD_UNSET_VAR}'), /SEMGATE_RELOAD_UNSET_VAR/],
    ['bad key hash', 'api-keys.yaml', `${KEYS}  - { key_hash: "sha256:xyz", tenant: b, role: analyst }\n`, /key_hash/],
    ['unknown field', 'api-keys.yaml', `${KEYS}defaults: { rate_limt: "10/second" }\n`, /rate_limt/],
  ];

  it.each(MISTAKES)('refuses a configuration with a mistake (%s), and the old one keeps answering', async (_name, file, text, mention) => {
    const dir = configDir();
    server = await startTestServer(dir);
    expect(await revenue(server)).toBe(A_REVENUE);
    writeFileSync(path.join(dir, file), text);
    const res = await server.req('POST', '/v1/admin/reload', { key: ADMIN });
    expect(res.status).toBe(400);
    expect(res.headers.get('content-type')).toBe('application/problem+json');
    expect(res.body.errors.length).toBeGreaterThan(0);
    expect(res.body.errors[0]).toMatchObject({ file });
    expect(res.body.errors[0].line).toBeGreaterThan(0);
    expect(JSON.stringify(res.body.errors)).toMatch(mention);
    expect(await revenue(server)).toBe(A_REVENUE);
    expect((await server.req('GET', '/v1/datasets', { key: ANALYST })).body.datasets.map((d: { name: string }) => d.name)).toEqual(['sales', 'slow']);
  });
});

/** `semgate serve` as a real process, for SIGHUP and --watch. */
async function serveProcess(dir: string, extra: string[] = []): Promise<{ child: ChildProcess; url: string }> {
  const port = await freePort();
  const child = spawn(process.execPath, [path.join(ROOT, 'bin/semgate.js'), 'serve', '--config', dir, '--port', String(port), '--host', '127.0.0.1', ...extra], {
    env: { ...process.env, LOG_LEVEL: 'silent', SEMGATE_AUDIT_SINK: 'none' }, stdio: 'ignore',
  });
  const url = `http://127.0.0.1:${port}`;
  for (let i = 0; i < 200; i++) {
    if (await fetch(`${url}/health`).then((r) => r.ok, () => false)) return { child, url };
    await new Promise((r) => setTimeout(r, 100));
  }
  child.kill();
  throw new Error('semgate serve did not start');
}

async function processRevenue(url: string): Promise<number> {
  const res = await fetch(`${url}/v1/query`, { method: 'POST', headers: { authorization: `Bearer ${ANALYST}` }, body: JSON.stringify(TOTAL) });
  return ((await res.json()) as { rows: number[][] }).rows[0]![0]!;
}

async function eventually(check: () => Promise<boolean>): Promise<void> {
  for (let i = 0; i < 100; i++) {
    if (await check()) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error('the condition never held');
}

describe('reload of a running process', () => {
  it('SIGHUP reloads; a bad file on SIGHUP is refused', async () => {
    const dir = configDir();
    const { child, url } = await serveProcess(dir);
    try {
      expect(await processRevenue(url)).toBe(A_REVENUE);
      writeFileSync(path.join(dir, 'catalog.yaml'), CATALOG('SUM(amount) * 2'));
      child.kill('SIGHUP');
      await eventually(async () => (await processRevenue(url)) === A_REVENUE * 2);
      writeFileSync(path.join(dir, 'catalog.yaml'), CATALOG('amount'));
      child.kill('SIGHUP');
      await new Promise((r) => setTimeout(r, 500));
      expect(await processRevenue(url)).toBe(A_REVENUE * 2);
      expect(child.exitCode).toBeNull();
    } finally {
      child.kill('SIGTERM');
    }
  });

  it('--watch reloads when a file changes', async () => {
    const dir = configDir();
    const { child, url } = await serveProcess(dir, ['--watch']);
    try {
      expect(await processRevenue(url)).toBe(A_REVENUE);
      writeFileSync(path.join(dir, 'catalog.yaml'), readFileSync(path.join(dir, 'catalog.yaml'), 'utf8').replace('SUM(amount)', 'SUM(amount) * 4'));
      await eventually(async () => (await processRevenue(url)) === A_REVENUE * 4);
    } finally {
      child.kill('SIGTERM');
    }
  });
});
