/**
 * One real gateway per engine for the HTTP integration tests: seeds three tenants' orders
 * into a schema (PostgreSQL), a database (MariaDB) or a file (DuckDB) of a unique `sgh_`
 * name, starts the server on a random port over test/fixtures/http/<engine>/, and keeps a
 * raw connection for independent SQL answers.
 */
import { copyFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'vitest';
import { generateOrders, rawDuckdb, rawMysql, rawPostgres, seedOrders, type OrderRow, type RawSql } from '../helpers/seed.ts';
import { requireServices, services } from '../helpers/services.ts';
import { startTestServer, type HttpResult, type TestServer } from '../helpers/http.ts';

export const ENGINES = ['postgres', 'mysql', 'duckdb'] as const;
export type HttpEngine = (typeof ENGINES)[number];

/** Whether each engine can run here (DuckDB is embedded, always). */
export async function availableEngines(): Promise<Record<HttpEngine, boolean>> {
  const [pg, my] = await Promise.all([requireServices('postgres'), requireServices('mysql')]);
  return { postgres: pg.ok, mysql: my.ok, duckdb: true };
}

export const TENANTS = ['tenant_acme', 'tenant_globex', 'tenant_initech'] as const;
export const PER_TENANT = 120;

/** Plaintext of the keys in test/fixtures/http/api-keys.yaml. */
export const KEYS = {
  acme: 'sgh-acme-new', // hashed entry
  acmeOld: 'sgh-acme-old', // rotation overlap, expires in 2099
  acmeExpired: 'sgh-acme-expired',
  acmeDisabled: 'sgh-acme-disabled',
  acmeRateLimited: 'sgh-acme-ratelimited', // rate_limit: 3/minute
  globex: 'sgh-globex', // explain: true
  globexLimited: 'sgh-globex-limited', // allowed_datasets: [orders]
  viewer: 'sgh-initech-viewer', // tenant_initech, role viewer
  admin: 'sgh-admin', // hashed entry
} as const;

/** A note that RFC 4180 must quote: comma, double quotes and a line break. */
export const TRICKY_NOTE = 'He said "hi", then\nleft';

/** Markers that must never appear in a response: the down source's password and address. */
export const DOWN_PASSWORD = 'sgh-secret-pw';
export const DOWN_PORT = 1;

/** The seeded rows: generateOrders plus, every ninth row, the tricky note. */
export function httpRows(): OrderRow[] {
  return generateOrders(TENANTS, PER_TENANT).map((r) => (r.order_id % 9 === 4 ? { ...r, note: TRICKY_NOTE } : r));
}

/** Per-engine SQL for the raw answers, written by hand rather than by the compiler. */
export const RAW = {
  postgres: {
    month: (c: string) => `to_char(${c}, 'YYYY-MM-01')`,
    week: (c: string) => `to_char(${c} - (EXTRACT(ISODOW FROM ${c})::int - 1), 'YYYY-MM-DD')`,
  },
  mysql: {
    month: (c: string) => `DATE_FORMAT(${c}, '%Y-%m-01')`,
    week: (c: string) => `DATE_FORMAT(DATE_SUB(${c}, INTERVAL WEEKDAY(${c}) DAY), '%Y-%m-%d')`,
  },
  duckdb: {
    month: (c: string) => `strftime(${c}, '%Y-%m-01')`,
    week: (c: string) => `strftime(${c} - CAST(isodow(${c}) - 1 AS INTEGER), '%Y-%m-%d')`,
  },
} as const;

export interface EngineGateway extends TestServer {
  readonly engine: HttpEngine;
  /** The seeded table, qualified, for raw SQL. */
  readonly table: string;
  /** Runs raw SQL on an independent connection (DuckDB: a copy of the seeded file). */
  answer(sql: string): Promise<Record<string, unknown>[]>;
}

const FIXTURES = new URL('../fixtures/http/', import.meta.url).pathname;

/**
 * Seeds and starts one gateway. `tag` keeps names of parallel test files apart;
 * `healthy` points the `down` source at the real engine, for a 200 from /ready.
 */
export async function startEngineGateway(engine: HttpEngine, tag: string, opts: { healthy?: boolean } = {}): Promise<EngineGateway> {
  const schema = `sgh_${tag}${opts.healthy ? '_ok' : ''}_${process.pid}`;
  const rows = httpRows();
  const env: NodeJS.ProcessEnv = { ...process.env };
  let raw: RawSql;
  let cleanup: () => Promise<void>;
  if (engine === 'postgres') {
    const { host, port, user, password, database } = services.postgres;
    raw = await rawPostgres(database);
    await raw.exec(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
    await raw.exec(`CREATE SCHEMA ${schema}`);
    Object.assign(env, { PGHOST: host, PGPORT: String(port), PGUSER: user, PGPASSWORD: password, PGDATABASE: database });
    Object.assign(env, opts.healthy ? { SGH_DOWN_PORT: String(port), SGH_DOWN_PASSWORD: password } : { SGH_DOWN_PORT: String(DOWN_PORT), SGH_DOWN_PASSWORD: DOWN_PASSWORD });
    cleanup = () => raw.exec(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
  } else if (engine === 'mysql') {
    const { host, port, user, password, database } = services.mysql;
    raw = await rawMysql(database);
    await raw.exec(`DROP DATABASE IF EXISTS ${schema}`);
    await raw.exec(`CREATE DATABASE ${schema}`);
    Object.assign(env, { MYSQL_HOST: host, MYSQL_PORT: String(port), MYSQL_USER: user, MYSQL_PASSWORD: password, MYSQL_DATABASE: database });
    Object.assign(env, opts.healthy ? { SGH_DOWN_PORT: String(port), SGH_DOWN_PASSWORD: password } : { SGH_DOWN_PORT: String(DOWN_PORT), SGH_DOWN_PASSWORD: DOWN_PASSWORD });
    cleanup = () => raw.exec(`DROP DATABASE IF EXISTS ${schema}`);
  } else {
    const dir = mkdtempSync(join(tmpdir(), `${schema}_`));
    const seeded = await rawDuckdb(join(dir, 'main.duckdb'));
    await seedOrders(seeded, 'duckdb', 'main.orders', rows, true);
    await seeded.exec('CHECKPOINT');
    await seeded.close();
    // DuckDB lets one instance open a file: the raw answers read a copy.
    copyFileSync(join(dir, 'main.duckdb'), join(dir, 'answers.duckdb'));
    raw = await rawDuckdb(join(dir, 'answers.duckdb'));
    if (opts.healthy) {
      // Sources open DuckDB files read-only, so the spare must exist (an empty database).
      const spare = await rawDuckdb(join(dir, 'spare.duckdb'));
      await spare.close();
    }
    Object.assign(env, {
      SGH_DUCKDB_PATH: join(dir, 'main.duckdb'),
      SGH_DOWN_PATH: opts.healthy ? join(dir, 'spare.duckdb') : join(dir, 'no-such-dir', 'down.duckdb'),
    });
    cleanup = async () => rmSync(dir, { recursive: true, force: true });
  }
  const table = engine === 'duckdb' ? 'main.orders' : `${schema}.orders`;
  if (engine !== 'duckdb') await seedOrders(raw, engine, table, rows, true);
  env['SGH_SCHEMA'] = engine === 'duckdb' ? 'main' : schema;

  let server: TestServer;
  try {
    server = await startTestServer(join(FIXTURES, engine), { env, files: { apiKeys: '../api-keys.yaml' } });
  } catch (err) {
    await cleanup();
    await raw.close();
    throw err;
  }
  return {
    ...server,
    engine,
    table,
    answer: (sql) => raw.query(sql),
    close: async () => {
      await server.close();
      await cleanup();
      await raw.close();
    },
  };
}

/** JSON and CSV number cells, raw driver values (strings, bigints): all as numbers. */
export const num = (v: unknown): number => (v === null || v === undefined ? NaN : Number(v));

/** Rows keyed by their first cell(s), so two engines' orderings can be compared. */
export function byKey(rows: readonly unknown[][], keyCells = 1): Map<string, number[]> {
  return new Map(rows.map((r) => [JSON.stringify(r.slice(0, keyCells)), r.slice(keyCells).map(num)]));
}

/**
 * The spec's error shape: problem+json with type, title, status, detail, and a request_id
 * equal to the X-Request-Id header; and nothing that leaks SQL, a stack, a connection
 * string or another tenant's id.
 */
export function expectProblem(res: HttpResult, status: number, opts: { ownTenant?: string } = {}): Record<string, unknown> {
  expect(res.status, res.text).toBe(status);
  expect(res.headers.get('content-type')).toMatch(/^application\/problem\+json/);
  const p = res.body as Record<string, unknown>;
  expect(p).toMatchObject({ status, type: expect.stringMatching(/^https:\/\/semgate\.dev\/errors\/[a-z-]+$/) });
  expect(typeof p['title']).toBe('string');
  expect(typeof p['detail']).toBe('string');
  expect(p['request_id']).toBe(res.headers.get('x-request-id'));
  expectNoLeak(res.text, opts.ownTenant);
  return p;
}

// SQL shapes rather than single words, so an English "from" in a message is not a leak.
const SQL_WORDS = /\bselect\b[\s\S]{0,400}\bfrom\b|\bgroup by \d|\bgroup by ["`]|\binsert into\b|\bpg_sleep\b|\bSLEEP\(|\brange\(|\$\d\b|\blimit \?|["`]t["`]\./i;

export function expectNoLeak(text: string, ownTenant?: string): void {
  expect(text).not.toMatch(SQL_WORDS);
  expect(text).not.toMatch(/\n\s+at |\.ts:\d+|node:internal|Error:/);
  expect(text).not.toContain(DOWN_PASSWORD);
  expect(text).not.toMatch(/\b\d{1,3}(\.\d{1,3}){3}:\d+|localhost:\d+|(postgres|postgresql|mysql|mariadb):\/\/|ECONN|sgh_\w+_\d+|no-such-dir/);
  for (const t of TENANTS) if (t !== ownTenant) expect(text).not.toContain(t);
}

export const TOTALS = { dataset: 'orders', metrics: ['order_count', 'revenue'] } as const;

/** Raw COUNT(*) and SUM(amount) of one tenant (or of all rows): what TOTALS must return. */
export async function rawTotals(g: EngineGateway, tenant: string | null): Promise<number[]> {
  const where = tenant === null ? '' : ` WHERE tenant_id = '${tenant}'`;
  const [row] = await g.answer(`SELECT COUNT(*) AS n, SUM(amount) AS revenue FROM ${g.table}${where}`);
  return [num(row!['n']), num(row!['revenue'])];
}
