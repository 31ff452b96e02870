/**
 * Tenant fairness (issue 13): tenant A keeps 50 slow queries (2 s each, pg_sleep in a `sql:`
 * dataset filtered by {tenant_id}) in flight while tenant B runs fast ones; B's latency
 * with the flood against B alone. Target: B's p95 under 3x its unloaded p95.
 *
 *   npx tsx bench/fairness.ts [--seconds 12] [--b-concurrency 3]
 *
 * Needs PostgreSQL (PGHOST/PGPORT/PGUSER/PGPASSWORD/PGDATABASE, default 127.0.0.1:5432
 * postgres/test). A schema `sgbench_fair_<pid>` is created and dropped. The gateway runs
 * in this process (the client mostly waits), pool.max 10. Rows:
 *   - unloaded: B alone;
 *   - fair (defaults): the shipped defaults, a tenant may hold 5 of the 10 connections;
 *   - unfair (per-tenant cap = pool): `max_concurrent_per_tenant: 10`, as before issue 13;
 *   - unloaded again: B alone; the ratio's baseline is the better unloaded p95 of the two.
 * Every B request sends `Cache-Control: no-cache`, so each one runs in the database.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import pg from 'pg';
import { pino } from 'pino';
import { loadConfig } from '../src/catalog/load.ts';
import { startServer, type RunningServer } from '../src/server.ts';
import { Gateway, stateFor } from '../src/service/gateway.ts';

const { values: args } = parseArgs({ options: { seconds: { type: 'string', default: '12' }, 'b-concurrency': { type: 'string', default: '3' } } });
const SECONDS = Number(args.seconds);
const B_CONCURRENCY = Number(args['b-concurrency']);
const A_INFLIGHT = 50;

const conn = {
  host: process.env.PGHOST ?? '127.0.0.1', port: Number(process.env.PGPORT ?? 5432),
  user: process.env.PGUSER ?? 'postgres', password: process.env.PGPASSWORD ?? '', database: process.env.PGDATABASE ?? 'test',
};
const schema = `sgbench_fair_${process.pid}`;
const FAST = { dataset: 'orders', dimensions: ['region'], metrics: ['revenue', 'n'] };
const SLOW = { dataset: 'slow_orders', dimensions: ['region'], metrics: ['revenue', 'n'] };

async function seed(): Promise<pg.Client> {
  const c = new pg.Client(conn);
  await c.connect();
  await c.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
  await c.query(`CREATE SCHEMA ${schema}`);
  await c.query(`CREATE TABLE ${schema}.orders (tenant_id text NOT NULL, region text, amount numeric(12,2))`);
  await c.query(`INSERT INTO ${schema}.orders SELECT CASE WHEN i % 2 = 0 THEN 'a' ELSE 'b' END, (ARRAY['EU','US','APAC'])[1 + i % 3], i FROM generate_series(1, 2000) i`);
  await c.query(`CREATE INDEX ON ${schema}.orders (tenant_id)`);
  return c;
}

function writeConfig(limits: string): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'semgate-bench-fair-'));
  writeFileSync(path.join(dir, 'sources.yaml'), `sources:
  - name: db
    type: postgres
    connection: { host: ${conn.host}, port: ${conn.port}, database: ${conn.database}, user: ${conn.user}, password: "${conn.password}" }
    pool: { max: 10 }
${limits ? `    limits: ${limits}\n` : ''}audit: { sink: none }
`);
  const fields = `    dimensions: [{ name: region, type: string }]
    metrics:
      - { name: revenue, type: number, expr: "SUM(amount)" }
      - { name: n, type: integer, expr: "COUNT(*)" }
`;
  writeFileSync(path.join(dir, 'catalog.yaml'), `datasets:
  - name: orders
    source: db
    table: ${schema}.orders
    rls: { tenant_column: tenant_id }
${fields}  - name: slow_orders
    source: db
    sql: "SELECT o.tenant_id, o.region, o.amount FROM ${schema}.orders o, pg_sleep(2) WHERE o.tenant_id = {tenant_id}"
    rls: { tenant_column: tenant_id }
${fields}`);
  writeFileSync(path.join(dir, 'api-keys.yaml'), `api_keys:
  - { key: bench-fair-a, tenant: a, role: analyst }
  - { key: bench-fair-b, tenant: b, role: analyst }
`);
  return dir;
}

async function start(limits: string): Promise<{ server: RunningServer; dir: string }> {
  const dir = writeConfig(limits);
  const { catalog } = await loadConfig(dir);
  if (!catalog) throw new Error('bench config does not load');
  const gateway = new Gateway(stateFor(catalog), pino({ level: 'silent' }));
  const server = await startServer({ configDir: dir, gateway, port: 0, host: '127.0.0.1' });
  return { server, dir };
}

async function post(url: string, key: string, body: unknown): Promise<number> {
  const res = await fetch(`${url}/v1/query`, {
    method: 'POST',
    headers: { Authorization: `Bearer ${key}`, 'Content-Type': 'application/json', 'Cache-Control': 'no-cache' },
    body: JSON.stringify(body),
  });
  await res.arrayBuffer();
  return res.status;
}

interface Tally { latencies: number[]; statuses: Map<number, number> }
const tally = (): Tally => ({ latencies: [], statuses: new Map() });
function count(t: Tally, status: number, ms?: number): void {
  t.statuses.set(status, (t.statuses.get(status) ?? 0) + 1);
  if (ms !== undefined) t.latencies.push(ms);
}

/** `n` workers sending `body` back to back until `until`. */
async function workers(n: number, until: number, url: string, key: string, body: unknown, t: Tally): Promise<void> {
  await Promise.all(Array.from({ length: n }, async () => {
    while (performance.now() < until) {
      const started = performance.now();
      const status = await post(url, key, body).catch(() => 0);
      count(t, status, performance.now() - started);
    }
  }));
}

function pct(xs: number[], p: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s.length === 0 ? NaN : s[Math.min(s.length - 1, Math.ceil((p / 100) * s.length) - 1)]!;
}

interface Row { run: string; b: Tally; a: Tally | null }

async function run(name: string, limits: string, flood: boolean): Promise<Row> {
  const { server, dir } = await start(limits);
  try {
    // Warm-up: B's connections open, the plan caches filled.
    await workers(B_CONCURRENCY, performance.now() + 2000, server.url, 'bench-fair-b', FAST, tally());
    const a = flood ? tally() : null;
    const until = performance.now() + SECONDS * 1000;
    const aDone = a ? workers(A_INFLIGHT, until, server.url, 'bench-fair-a', SLOW, a) : Promise.resolve();
    if (a) await new Promise((r) => setTimeout(r, 500)); // let A's flood take its slots first
    const b = tally();
    await workers(B_CONCURRENCY, until, server.url, 'bench-fair-b', FAST, b);
    await aDone;
    return { run: name, b, a };
  } finally {
    await server.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

const admin = await seed();
try {
  const rows = [
    await run('unloaded (B alone)', '', false),
    await run('fair: defaults (5 of 10 per tenant)', '', true),
    await run('unfair: per-tenant cap = pool (10)', '{ max_concurrent_per_tenant: 10 }', true),
    await run('unloaded again (B alone)', '', false),
  ];
  // The machine is shared: the baseline is the better of the two unloaded runs (the stricter ratio).
  const base = Math.min(pct(rows[0]!.b.latencies, 95), pct(rows[3]!.b.latencies, 95));
  const st = (t: Tally | null, s: number): string => (t ? String(t.statuses.get(s) ?? 0) : '-');
  console.log(`\nfairness: A keeps ${A_INFLIGHT} 2-second queries in flight, B runs fast ones with ${B_CONCURRENCY} workers, ${SECONDS} s per run, pool.max 10\n`);
  console.log('| run | B requests | B 200 | B other | B p50 ms | B p95 ms | B p99 ms | B p95 / unloaded p95 | A 200 | A 429 | A 503 |');
  console.log('|---|---|---|---|---|---|---|---|---|---|---|');
  for (const r of rows) {
    const n = r.b.latencies.length;
    const ok = r.b.statuses.get(200) ?? 0;
    const p95 = pct(r.b.latencies, 95);
    console.log(`| ${r.run} | ${n} | ${ok} | ${n - ok} | ${pct(r.b.latencies, 50).toFixed(1)} | ${p95.toFixed(1)} | ${pct(r.b.latencies, 99).toFixed(1)} | ${(p95 / base).toFixed(2)}x${r.a ? (p95 / base < 3 ? ' (under 3x)' : ' (OVER 3x)') : ''} | ${st(r.a, 200)} | ${st(r.a, 429)} | ${st(r.a, 503)} |`);
  }
} finally {
  await admin.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`).catch(() => undefined);
  await admin.end();
}
