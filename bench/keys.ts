/**
 * Keys at SaaS scale (issue 11).
 *   npx tsx bench/keys.ts [--yaml-keys 100000] [--store-keys 1000000] [--lookups 2000] [--skip-store]
 *
 * 1. api-keys.yaml with 10 and with 100,000 key hashes: load time (wall and CPU) and RSS of a
 *    process that loads it as `semgate serve` does (target: under 2 s and 150 MB more than
 *    with 10 keys), and the cost of a lookup.
 * 2. A key store of 1,000,000 keys in the shared PostgreSQL (a table of this run, dropped at
 *    the end): first-use lookup p50/p99 (one query each), the cost of a cached lookup, and the
 *    RSS of a serving gateway after thousands of distinct keys were used, against the same
 *    gateway over a store of 10 keys (target: within 50 MB).
 */
import { execFileSync } from 'node:child_process';
import { randomBytes, createHash } from 'node:crypto';
import { appendFileSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import pg from 'pg';
import { authenticatorFor } from '../src/auth/authenticate.ts';
import { loadConfig } from '../src/catalog/load.ts';
import { benchConfigDir, printTable, ready, root, startChild } from './config.ts';

const { values } = parseArgs({ options: { 'yaml-keys': { type: 'string' }, 'store-keys': { type: 'string' }, lookups: { type: 'string' }, 'skip-store': { type: 'boolean' } } });
const YAML_KEYS = Number(values['yaml-keys'] ?? 100_000);
const STORE_KEYS = Number(values['store-keys'] ?? 1_000_000);
const LOOKUPS = Number(values.lookups ?? 2000);
const PG = { host: process.env.PGHOST ?? '127.0.0.1', port: Number(process.env.PGPORT ?? 5432), user: process.env.PGUSER ?? 'postgres', password: process.env.PGPASSWORD ?? '', database: process.env.PGDATABASE ?? 'test' };
const mb = (x: number): string => `${x.toFixed(0)} MB`;
const pct = (xs: number[], p: number): number => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(xs.length * p))]!;

/** A demo config dir whose api-keys.yaml holds `n` key hashes (generated, as a SaaS's tooling would). */
function yamlDir(n: number): { dir: string; key: string } {
  const dir = benchConfigDir('lean');
  const key = 'sk_bench_yaml_last';
  const lines = ['api_keys:'];
  for (let i = 0; i < n - 1; i++) {
    lines.push(`  - key_hash: "sha256:${createHash('sha256').update(`sk_bench_yaml_${i}`).digest('hex')}"`, `    tenant: t${i % 500}`, '    role: analyst');
  }
  lines.push(`  - key_hash: "sha256:${createHash('sha256').update(key).digest('hex')}"`, '    tenant: acme_corp', '    role: analyst', '');
  writeFileSync(join(dir, 'api-keys.yaml'), lines.join('\n'));
  return { dir, key };
}

function yamlBench(): void {
  const rows: string[][] = [];
  let base: { rssAfter: number; loadWall: number } | null = null;
  for (const n of [10, YAML_KEYS]) {
    const { dir, key } = yamlDir(n);
    const out = execFileSync(process.execPath, ['--expose-gc', '--import', 'tsx', 'bench/keys-load.ts', dir, key], { cwd: root, env: { ...process.env, LOG_LEVEL: 'silent' } }).toString();
    const r = JSON.parse(out) as { keys: number; loadWall: number; loadCpu: number; rssBefore: number; rssAfter: number; peak: number; lookupUs: number };
    base ??= r;
    rows.push([String(r.keys), `${r.loadWall.toFixed(0)} ms`, `${r.loadCpu.toFixed(0)} ms`, mb(r.rssAfter), `+${mb(r.rssAfter - base.rssAfter)}`, mb(r.peak), `${r.lookupUs.toFixed(2)} µs`]);
  }
  console.log(`\n### api-keys.yaml (target for ${YAML_KEYS} keys: load under 2 s, RSS under 150 MB more than with 10 keys)\n`);
  printTable(['keys in file', 'load (wall)', 'load (CPU)', 'RSS after load', 'vs 10 keys', 'peak RSS', 'lookup'], rows);
}

async function fillStore(client: pg.Client, table: string, n: number): Promise<void> {
  await client.query(`CREATE TABLE "${table}" (id text PRIMARY KEY, key_hash bytea NOT NULL UNIQUE, tenant text NOT NULL, role text NOT NULL,
    rate_limit text, allowed_datasets text[], description text, created_at timestamptz NOT NULL DEFAULT now(), expires_at timestamptz,
    revoked_at timestamptz, last_used_at timestamptz, replaced_by text)`);
  // sgb_<i> is key i: its digest computed in the database, a million rows in one statement.
  await client.query(`INSERT INTO "${table}" (id, key_hash, tenant, role)
    SELECT 'k_' || substr(encode(sha256(('sgb_' || i)::bytea), 'hex'), 1, 12), sha256(('sgb_' || i)::bytea), 't' || (i % 1000), 'analyst'
    FROM generate_series(1, $1::int) i ON CONFLICT DO NOTHING`, [n]);
  await client.query(`ANALYZE "${table}"`);
}

/** A serving gateway over `table`; RSS after `distinct` different keys were each used once. */
async function servedRss(table: string, distinct: number, keyOf: (i: number) => string): Promise<number> {
  const dir = benchConfigDir('lean');
  appendFileSync(join(dir, 'sources.yaml'), `  - name: keys\n    type: postgres\n    connection: { host: "${PG.host}", port: ${PG.port}, database: "${PG.database}", user: "${PG.user}", password: "${PG.password}" }\n`);
  appendFileSync(join(dir, 'api-keys.yaml'), `key_store: { source: keys, table: ${table}, cache_ttl: 600 }\n`);
  const port = 19_500 + Math.floor(Math.random() * 400);
  const child = startChild(['--import', 'tsx', 'bin/semgate.js', 'serve', '--port', String(port), '--host', '127.0.0.1', '--config', dir], { SEMGATE_AUDIT_SINK: 'none' });
  try {
    await ready(child, `http://127.0.0.1:${port}/health`);
    for (let i = 0; i < distinct; i += 8) {
      await Promise.all(Array.from({ length: 8 }, (_, j) => fetch(`http://127.0.0.1:${port}/v1/datasets`, { headers: { Authorization: `Bearer ${keyOf(i + j)}` } })
        .then(async (r) => { await r.arrayBuffer(); if (r.status !== 200) throw new Error(`status ${r.status}`); })));
    }
    return Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${child.pid}/status`, 'utf8'))![1]) / 1024;
  } finally {
    child.kill('SIGTERM');
  }
}

async function storeBench(): Promise<void> {
  const client = new pg.Client(PG);
  await client.connect();
  const big = `sg_bench_keys_${process.pid}`;
  const small = `sg_bench_keys10_${process.pid}`;
  try {
    let t = performance.now();
    await fillStore(client, big, STORE_KEYS);
    const fillS = (performance.now() - t) / 1000;
    await fillStore(client, small, 10);
    const dir = benchConfigDir('lean');
    appendFileSync(join(dir, 'sources.yaml'), `  - name: keys\n    type: postgres\n    connection: { host: "${PG.host}", port: ${PG.port}, database: "${PG.database}", user: "${PG.user}", password: "${PG.password}" }\n`);
    appendFileSync(join(dir, 'api-keys.yaml'), `key_store: { source: keys, table: ${big}, cache_ttl: 600 }\n`);
    const { catalog } = await loadConfig(dir);
    const auth = authenticatorFor(catalog!);
    const first: number[] = [];
    const picks = Array.from({ length: LOOKUPS }, () => 1 + (randomBytes(4).readUInt32LE() % STORE_KEYS));
    await auth.authenticate(`sgb_${STORE_KEYS}`); // the pool's first connection is not a lookup's cost
    for (const i of picks) {
      t = performance.now();
      await auth.authenticate(`sgb_${i}`);
      first.push(performance.now() - t);
    }
    const N = 200_000;
    t = performance.now();
    for (let k = 0; k < N; k++) auth.authenticateNow(`sgb_${picks[k % picks.length]}`);
    const cachedUs = ((performance.now() - t) * 1000) / N;
    await auth.close();
    console.log(`\n### key store: ${STORE_KEYS.toLocaleString('en')} keys in PostgreSQL (filled in ${fillS.toFixed(1)} s)\n`);
    printTable(['measure', 'value'], [
      ['first-use lookup p50 (one query)', `${pct(first, 0.5).toFixed(2)} ms`],
      ['first-use lookup p99', `${pct(first, 0.99).toFixed(2)} ms`],
      ['cached lookup per request', `${cachedUs.toFixed(2)} µs`],
    ]);
    const used = Math.min(LOOKUPS, 5000);
    const bigRss = await servedRss(big, used, (i) => `sgb_${1 + ((i * 7919) % STORE_KEYS)}`);
    const smallRss = await servedRss(small, used, (i) => `sgb_${1 + (i % 10)}`);
    console.log(`\n### serving gateway RSS after ${used} requests (target: within 50 MB)\n`);
    printTable(['key store', 'distinct keys used', 'RSS'], [
      [`${STORE_KEYS.toLocaleString('en')} keys`, String(used), mb(bigRss)],
      ['10 keys', '10', mb(smallRss)],
      ['difference', '', mb(bigRss - smallRss)],
    ]);
  } finally {
    await client.query(`DROP TABLE IF EXISTS "${big}"`);
    await client.query(`DROP TABLE IF EXISTS "${small}"`);
    await client.end();
  }
}

yamlBench();
if (!values['skip-store']) await storeBench();
process.exit(0);
