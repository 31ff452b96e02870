/**
 * Big tables for the streaming tests, on the three engines, seeded once (a marker row says
 * the seed is complete; an advisory lock keeps parallel test files from seeding twice):
 *
 * - PostgreSQL `semgate_stream.items`: tenant `a` ids 1..1,000,000, tenant `b` ids
 *   1,000,001..1,050,000 (generate_series);
 * - MariaDB `semgate_stream_items`: `a` 1..300,000, `b` 300,001..350,000 (the sequence engine);
 * - DuckDB in memory: `a` 1..80,000, `b` 80,001..130,000 (range()).
 *
 * `note` is `n<id>` for `a` and `b-<id>` for `b`, so a row of the other tenant is easy to spot.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import pg from 'pg';
import mysql from 'mysql2/promise';

// The same connection settings as test/helpers/services.ts, without vitest (bench/ uses this file too).
export const PG = {
  host: process.env['PGHOST'] ?? '127.0.0.1', port: Number(process.env['PGPORT'] ?? 5432),
  user: process.env['PGUSER'] ?? 'postgres', password: process.env['PGPASSWORD'] ?? '', database: process.env['PGDATABASE'] ?? 'test',
};
const MY = {
  host: process.env['MYSQL_HOST'] ?? '127.0.0.1', port: Number(process.env['MYSQL_PORT'] ?? 3306),
  user: process.env['MYSQL_USER'] ?? 'root', password: process.env['MYSQL_PASSWORD'] ?? '', database: process.env['MYSQL_DATABASE'] ?? 'test',
};

interface Raw {
  exec(sql: string): Promise<void>;
  query(sql: string): Promise<unknown[]>;
  close(): Promise<void>;
}

async function rawPostgres(): Promise<Raw> {
  const c = new pg.Client(PG);
  await c.connect();
  return { exec: async (q) => { await c.query(q); }, query: async (q) => (await c.query(q)).rows, close: () => c.end() };
}

async function rawMysql(): Promise<Raw> {
  const c = await mysql.createConnection(MY);
  return { exec: async (q) => { await c.query(q); }, query: async (q) => (await c.query(q))[0] as unknown[], close: () => c.end() };
}

export const PG_ROWS = { a: 1_000_000, b: 50_000 } as const;
export const MY_ROWS = { a: 300_000, b: 50_000 } as const;
export const DUCK_ROWS = { a: 400_000, b: 50_000 } as const;
const SEED_VERSION = 'v1';
const MY_SEED_VERSION = 'v3';

export async function seedPostgres(): Promise<void> {
  const db = await rawPostgres();
  try {
    await db.exec('SELECT pg_advisory_lock(7316001)');
    await db.exec('CREATE SCHEMA IF NOT EXISTS semgate_stream');
    await db.exec('CREATE TABLE IF NOT EXISTS semgate_stream.seeded (version text PRIMARY KEY)');
    const done = await db.query(`SELECT 1 FROM semgate_stream.seeded WHERE version = '${SEED_VERSION}'`);
    if (done.length > 0) return;
    await db.exec('DROP TABLE IF EXISTS semgate_stream.items');
    await db.exec('CREATE TABLE semgate_stream.items (id bigint NOT NULL, tenant_id text NOT NULL, note text NOT NULL)');
    await db.exec(`INSERT INTO semgate_stream.items SELECT i, 'a', 'n' || i FROM generate_series(1, ${PG_ROWS.a}) i`);
    await db.exec(`INSERT INTO semgate_stream.items SELECT i, 'b', 'b-' || i FROM generate_series(${PG_ROWS.a + 1}, ${PG_ROWS.a + PG_ROWS.b}) i`);
    await db.exec('CREATE INDEX ON semgate_stream.items (tenant_id, id)');
    await db.exec('ANALYZE semgate_stream.items');
    await db.exec(`INSERT INTO semgate_stream.seeded VALUES ('${SEED_VERSION}')`);
  } finally {
    await db.exec('SELECT pg_advisory_unlock(7316001)').catch(() => undefined);
    await db.close();
  }
}

export async function seedMysql(): Promise<void> {
  const db = await rawMysql();
  try {
    await db.query("SELECT GET_LOCK('semgate_stream_seed', 600)");
    await db.exec('CREATE TABLE IF NOT EXISTS semgate_stream_seeded (version varchar(16) PRIMARY KEY)');
    const done = await db.query(`SELECT 1 FROM semgate_stream_seeded WHERE version = '${MY_SEED_VERSION}'`);
    if (done.length > 0) return;
    await db.exec('DROP TABLE IF EXISTS semgate_stream_items');
    await db.exec('CREATE TABLE semgate_stream_items (id bigint NOT NULL, tenant_id varchar(16) NOT NULL, note varchar(32) NOT NULL, KEY (tenant_id, id))');
    await db.exec(`INSERT INTO semgate_stream_items SELECT seq, 'a', CONCAT('n', seq) FROM seq_1_to_${MY_ROWS.a}`);
    await db.exec(`INSERT INTO semgate_stream_items SELECT seq, 'b', CONCAT('b-', seq) FROM seq_${MY_ROWS.a + 1}_to_${MY_ROWS.a + MY_ROWS.b}`);
    await db.exec(`INSERT INTO semgate_stream_seeded VALUES ('${MY_SEED_VERSION}')`);
  } finally {
    await db.query("SELECT RELEASE_LOCK('semgate_stream_seed')").catch(() => undefined);
    await db.close();
  }
}

const DUCK_INIT = `CREATE TABLE items AS SELECT i AS id, CASE WHEN i <= ${DUCK_ROWS.a} THEN 'a' ELSE 'b' END AS tenant_id, `
  + `CASE WHEN i <= ${DUCK_ROWS.a} THEN 'n' || i ELSE 'b-' || i END AS note FROM range(1, ${DUCK_ROWS.a + DUCK_ROWS.b + 1}) r(i);`
  + ` CREATE TABLE cells AS SELECT * FROM (VALUES (1, 'a', '=1+1', -12.5), (2, 'a', '+SUM(A1)', 3), (3, 'a', '-2', -7), (4, 'a', '@cmd', 0),`
  + ` (5, 'a', chr(9) || 'tab', 1), (6, 'a', chr(13) || 'cr', 2), (7, 'a', 'plain, "quoted"', 4), (8, 'b', '=b secret', 5)) t(id, tenant_id, text, amount)`;

const DIMS = `    dimensions:
      - { name: id, type: number }
      - { name: tenant, type: string, expr: tenant_id }
      - { name: note, type: string }
    metrics:
      - { name: n, type: integer, expr: "COUNT(*)" }
`;

export const KEYS = { a: 'sk_stream_tenant_a_0123456789', b: 'sk_stream_tenant_b_0123456789', admin: 'sk_stream_admin_0123456789' } as const;

export interface StreamConfigOptions {
  /** sources.yaml `csv:` block, e.g. `{ escape_formulas: true }`. */
  readonly csv?: string;
  /** Cache ttl of the item datasets (default 60). */
  readonly ttl?: number;
  readonly engines?: readonly ('postgres' | 'mysql' | 'duckdb')[];
}

/**
 * A config dir: datasets `items_pg`, `items_my`, `items_duck` (rows), `wide_my` (MariaDB rows 30 times
 * wider: a result far bigger than the socket buffers, so the server is still sending), `slow_pg` / `slow_my`
 * (a statement that sleeps 30 s before its first row), `cells` (CSV cells, DuckDB).
 */
export function writeStreamConfig(opts: StreamConfigOptions = {}): string {
  const engines = opts.engines ?? ['postgres', 'mysql', 'duckdb'];
  const dir = mkdtempSync(path.join(tmpdir(), 'semgate-stream-'));
  const ttl = opts.ttl ?? 60;
  let sources = 'sources:\n';
  let datasets = 'datasets:\n';
  const limits = '    limits: { max_rows: 2000000, timeout_ms: 120000 }\n';
  if (engines.includes('postgres')) {
    sources += `  - name: pg
    type: postgres
    connection: { host: "\${PGHOST:-127.0.0.1}", port: "\${PGPORT:-5432}", database: "\${PGDATABASE:-test}", user: "\${PGUSER:-postgres}", password: "\${PGPASSWORD:-}" }
    pool: { max: 4 }
`;
    datasets += `  - name: items_pg
    source: pg
    table: semgate_stream.items
    rls: { tenant_column: tenant_id }
    cache: { ttl: ${ttl} }
${limits}${DIMS}  - name: slow_pg
    source: pg
    sql: "SELECT i.* FROM semgate_stream.items i, pg_sleep(30) WHERE i.tenant_id = {tenant_id} AND i.id < 10"
    rls: { tenant_column: tenant_id }
    cache: { ttl: 0 }
${limits}${DIMS}`;
  }
  if (engines.includes('mysql')) {
    sources += `  - name: my
    type: mysql
    connection: { host: "\${MYSQL_HOST:-127.0.0.1}", port: "\${MYSQL_PORT:-3306}", database: "\${MYSQL_DATABASE:-test}", user: "\${MYSQL_USER:-root}", password: "\${MYSQL_PASSWORD:-}" }
    pool: { max: 4 }
`;
    datasets += `  - name: items_my
    source: my
    table: semgate_stream_items
    rls: { tenant_column: tenant_id }
    cache: { ttl: ${ttl} }
${limits}${DIMS}  - name: wide_my
    source: my
    table: semgate_stream_items
    rls: { tenant_column: tenant_id }
    cache: { ttl: 0 }
${limits}    dimensions:
      - { name: id, type: number }
      - { name: tenant, type: string, expr: tenant_id }
      - { name: note, type: string, expr: "REPEAT(note, 30)" }
    metrics:
      - { name: n, type: integer, expr: "COUNT(*)" }
  - name: slow_my
    source: my
    sql: "SELECT i.* FROM semgate_stream_items i WHERE i.tenant_id = {tenant_id} AND i.id < 10 AND SLEEP(30) = 0"
    rls: { tenant_column: tenant_id }
    cache: { ttl: 0 }
${limits}${DIMS}`;
  }
  if (engines.includes('duckdb')) {
    sources += `  - name: duck
    type: duckdb
    connection: { path: ":memory:" }
    init_sql: |
      ${DUCK_INIT}
`;
    datasets += `  - name: items_duck
    source: duck
    table: items
    rls: { tenant_column: tenant_id }
    cache: { ttl: ${ttl} }
${limits}${DIMS}  - name: cells
    source: duck
    table: cells
    rls: { tenant_column: tenant_id }
    dimensions:
      - { name: id, type: number }
      - { name: text, type: string }
      - { name: amount, type: number }
    metrics:
      - { name: total, type: number, expr: "SUM(amount)" }
`;
  }
  writeFileSync(path.join(dir, 'sources.yaml'), `${sources}odata: { max_page_size: 1000000 }\n${opts.csv ? `csv: ${opts.csv}\n` : ''}`);
  writeFileSync(path.join(dir, 'catalog.yaml'), datasets);
  writeFileSync(path.join(dir, 'api-keys.yaml'), `api_keys:
  - { key: "${KEYS.a}", tenant: a, role: analyst, rate_limit: "100000/minute" }
  - { key: "${KEYS.b}", tenant: b, role: analyst, rate_limit: "100000/minute" }
  - { key: "${KEYS.admin}", role: admin, rate_limit: "100000/minute" }
`);
  return dir;
}
