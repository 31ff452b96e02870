/**
 * A gateway over a real PostgreSQL or MariaDB for the fairness and fault suites: a tiny
 * orders table of tenants a, b and c in a schema (database) of its own, a fast dataset, a
 * slow `sql:` dataset (the engine's sleep, filtered by `{tenant_id}`), and the source
 * reached through a TcpProxy the test can cut. The server runs in this process, so the test
 * reads the gateway's concurrency counters and metrics directly.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pino } from 'pino';
import type { Redis } from 'ioredis';
import { startServer, type RunningServer } from '../../src/server.ts';
import { Gateway, stateFor } from '../../src/service/gateway.ts';
import { loadCatalog } from '../helpers/catalog.ts';
import { request, type HttpResult, type ReqOptions } from '../helpers/http.ts';
import { rawMysql, rawPostgres, type RawSql } from '../helpers/seed.ts';
import { services } from '../helpers/services.ts';
import { TcpProxy } from '../helpers/tcp-proxy.ts';
export { eventually, within } from '../helpers/wait.ts';

export type FaultEngine = 'postgres' | 'mysql';

export const KEYS = { a: 'sgf-key-a', b: 'sgf-key-b', c: 'sgf-key-c', admin: 'sgf-key-admin' } as const;

export interface FaultOptions {
  /** Seconds the slow dataset sleeps. */
  sleepSeconds?: number;
  /** YAML flow mappings added to the source. */
  pool?: string;
  limits?: string;
  /** The slow dataset's `limits.timeout_ms`. */
  timeoutMs?: number;
  /** Lines added under api-keys.yaml's top level (e.g. `tenants:`). */
  apiKeysExtra?: string;
  redis?: Redis | null;
}

export interface FaultGateway {
  readonly engine: FaultEngine;
  readonly gateway: Gateway;
  readonly url: string;
  /** The proxy between the gateway and the database: stop() is "the database is down". */
  readonly proxy: TcpProxy;
  /** Unique per run: in the slow dataset's SQL, so the process list can be searched for it. */
  readonly marker: string;
  readonly raw: RawSql;
  req(method: string, path: string, opts?: ReqOptions): Promise<HttpResult>;
  query(key: string, body: unknown, headers?: Record<string, string>): Promise<HttpResult>;
  /** Our slow statements still running in the database server. */
  runningInDatabase(): Promise<number>;
  close(): Promise<void>;
}

export const FAST = { dataset: 'orders', dimensions: ['region'], metrics: ['revenue', 'n'] } as const;
export const SLOW = { dataset: 'slow_orders', dimensions: ['region'], metrics: ['revenue', 'n'] } as const;

export async function startFaultGateway(engine: FaultEngine, tag: string, opts: FaultOptions = {}): Promise<FaultGateway> {
  const schema = `sgf_${tag}_${process.pid}`;
  const marker = schema;
  const svc = engine === 'postgres' ? services.postgres : services.mysql;
  const raw = engine === 'postgres' ? await rawPostgres(svc.database) : await rawMysql(svc.database);
  if (engine === 'postgres') {
    await raw.exec(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
    await raw.exec(`CREATE SCHEMA ${schema}`);
  } else {
    await raw.exec(`DROP DATABASE IF EXISTS ${schema}`);
    await raw.exec(`CREATE DATABASE ${schema}`);
  }
  await raw.exec(`CREATE TABLE ${schema}.orders (tenant_id varchar(64) NOT NULL, region varchar(16), amount decimal(12,2))`);
  await raw.exec(`INSERT INTO ${schema}.orders VALUES ('a', 'EU', 10), ('a', 'US', 20), ('b', 'EU', 100), ('b', 'US', 200), ('c', 'EU', 1000)`);

  const proxy = new TcpProxy(svc.host, svc.port);
  await proxy.start();
  const sleep = opts.sleepSeconds ?? 2;
  const slowSql = engine === 'postgres'
    ? `SELECT o.tenant_id, o.region, o.amount FROM ${schema}.orders o, pg_sleep(${sleep}) WHERE o.tenant_id = {tenant_id}`
    : `SELECT o.tenant_id, o.region, o.amount FROM ${schema}.orders o CROSS JOIN (SELECT SLEEP(${sleep}) AS z) s WHERE o.tenant_id = {tenant_id}`;
  const dir = mkdtempSync(path.join(tmpdir(), 'semgate-faults-'));
  writeFileSync(path.join(dir, 'sources.yaml'), `sources:
  - name: db
    type: ${engine}
    connection: { host: 127.0.0.1, port: ${proxy.port}, database: ${svc.database}, user: ${svc.user}, password: "${svc.password}" }
    pool: ${opts.pool ?? '{ max: 10 }'}
${opts.limits ? `    limits: ${opts.limits}\n` : ''}  - name: mem
    type: duckdb
    connection: { path: ":memory:" }
    init_sql: "CREATE TABLE orders AS SELECT * FROM (VALUES ('a', 'EU', 1.5), ('b', 'EU', 2.5)) t(tenant_id, region, amount)"
`);
  const fields = `    dimensions:
      - { name: region, type: string }
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
    sql: "${slowSql}"
    rls: { tenant_column: tenant_id }
    limits: { timeout_ms: ${opts.timeoutMs ?? 30_000} }
${fields}  - name: local_orders
    source: mem
    table: orders
    rls: { tenant_column: tenant_id }
${fields}`);
  writeFileSync(path.join(dir, 'api-keys.yaml'), `api_keys:
  - { key: "${KEYS.a}", tenant: a, role: analyst }
  - { key: "${KEYS.b}", tenant: b, role: analyst }
  - { key: "${KEYS.c}", tenant: c, role: analyst }
  - { key: "${KEYS.admin}", role: admin }
defaults: { rate_limit: "100000/minute" }
${opts.apiKeysExtra ?? ''}
`);
  const gateway = new Gateway(stateFor(await loadCatalog(dir)), pino({ level: 'silent' }), { redis: opts.redis ?? null });
  let server: RunningServer;
  try {
    server = await startServer({ configDir: dir, gateway, port: 0, host: '127.0.0.1' });
  } catch (err) {
    await proxy.stop();
    throw err;
  }
  const req = (method: string, p: string, o?: ReqOptions): Promise<HttpResult> => request(server.url, method, p, o);
  return {
    engine, gateway, url: server.url, proxy, marker, raw, req,
    query: (key, body, headers) => req('POST', '/v1/query', { key, body, ...(headers && { headers }) }),
    async runningInDatabase() {
      const sql = engine === 'postgres'
        ? `SELECT COUNT(*) AS n FROM pg_stat_activity WHERE state = 'active' AND query LIKE '%${marker}.orders o, pg_sleep%' AND pid <> pg_backend_pid()`
        : `SELECT COUNT(*) AS n FROM information_schema.PROCESSLIST WHERE INFO LIKE '%${marker}.orders o CROSS JOIN%' AND COMMAND <> 'Killed' AND ID <> CONNECTION_ID()`;
      const [row] = await raw.query(sql);
      return Number(row?.['n'] ?? 0);
    },
    async close() {
      await server.close();
      await proxy.stop();
      await raw.exec(engine === 'postgres' ? `DROP SCHEMA IF EXISTS ${schema} CASCADE` : `DROP DATABASE IF EXISTS ${schema}`).catch(() => undefined);
      await raw.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

export const NO_CACHE = { 'Cache-Control': 'no-cache' };
