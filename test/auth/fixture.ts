/**
 * A gateway configuration for the key store, JWT and guest token suites, in a temp dir: sales
 * of two tenants in DuckDB (in memory), a key store table in the shared PostgreSQL named per
 * process (and per suite), and one admin key in the file.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { KeyTableSql } from '../../src/auth/key-table-sql.ts';
import { rawPostgres } from '../helpers/seed.ts';
import { services } from '../helpers/services.ts';

/** 200 sales: even ids acme's, odd ones globex's; every third in US, the rest in EU. */
const SALES = "CREATE TABLE sales AS SELECT i AS id, CASE WHEN i % 2 = 0 THEN 'acme' ELSE 'globex' END AS tenant_id, "
  + "CASE WHEN i % 3 = 0 THEN 'US' ELSE 'EU' END AS region, i * 1.5 AS amount FROM range(1, 201) r(i); "
  + "CREATE TABLE visits AS SELECT i AS id, CASE WHEN i % 2 = 0 THEN 'acme' ELSE 'globex' END AS tenant_id, 'web' AS channel FROM range(1, 11) r(i)";

/** What the fixture's sales hold, for answers computed without the gateway. */
export function expectedSales(tenant: string, region?: string): { n: number; revenue: number } {
  let n = 0;
  let revenue = 0;
  for (let i = 1; i <= 200; i++) {
    const t = i % 2 === 0 ? 'acme' : 'globex';
    const r = i % 3 === 0 ? 'US' : 'EU';
    if (t !== tenant || (region !== undefined && r !== region)) continue;
    n++;
    revenue += i * 1.5;
  }
  return { n, revenue };
}

export interface AuthConfig {
  readonly dir: string;
  readonly adminKey: string;
  /** A file key of tenant acme, role analyst. */
  readonly fileKey: string;
  readonly table: string;
}

export interface AuthConfigOptions {
  /** Suffix of the table name (one table per suite and process). */
  tag: string;
  /** Port the key store connects to (a TcpProxy's, to cut it); default PostgreSQL's. */
  pgPort?: number;
  cacheTtl?: number;
  /** Extra top-level YAML of api-keys.yaml (jwt:, guest_tokens:). */
  extra?: string;
  /** No key store at all. */
  noStore?: boolean;
  /** sources.yaml lines under the postgres source (e.g. audit settings go at the top level). */
  sourcesTail?: string;
}

export function writeAuthConfig(o: AuthConfigOptions): AuthConfig {
  const dir = mkdtempSync(path.join(tmpdir(), `semgate-auth-${o.tag}-`));
  const adminKey = `sk_admin_${randomBytes(8).toString('hex')}`;
  const fileKey = `sk_acme_${randomBytes(8).toString('hex')}`;
  const table = `sg_keys_${o.tag}_${process.pid}`;
  const pg = services.postgres;
  writeFileSync(path.join(dir, 'sources.yaml'), `sources:
  - name: mem
    type: duckdb
    connection: { path: ":memory:" }
    init_sql: "${SALES}"
  - name: keys
    type: postgres
    connection: { host: "${pg.host}", port: ${o.pgPort ?? pg.port}, database: "${pg.database}", user: "${pg.user}", password: "${pg.password}" }
${o.sourcesTail ?? ''}`);
  writeFileSync(path.join(dir, 'catalog.yaml'), `datasets:
  - name: sales
    source: mem
    table: sales
    rls: { tenant_column: tenant_id }
    dimensions:
      - { name: id, type: number }
      - { name: region, type: string }
    metrics:
      - { name: revenue, type: number, expr: "SUM(amount)" }
      - { name: n, type: integer, expr: "COUNT(*)" }
  - name: visits
    source: mem
    table: visits
    rls: { tenant_column: tenant_id }
    access: { roles: [analyst] }
    dimensions:
      - { name: channel, type: string }
    metrics:
      - { name: visits, type: integer, expr: "COUNT(*)" }
`);
  writeFileSync(path.join(dir, 'api-keys.yaml'), `api_keys:
  - { key: "${adminKey}", role: admin }
  - { key: "${fileKey}", tenant: acme, role: analyst }
${o.noStore ? '' : `key_store: { source: keys, table: ${table}, cache_ttl: ${o.cacheTtl ?? 30} }\n`}${o.extra ?? ''}`);
  return { dir, adminKey, fileKey, table };
}

/** Creates the suite's table (what `semgate keys init` does) on the real server. */
export async function initStoreTable(table: string): Promise<void> {
  const pg = services.postgres;
  const sql = new KeyTableSql({ name: 'keys', type: 'postgres', connection: { ...pg }, perTenant: false,
    pool: { max: 1, idleTimeoutMs: 1000, maxTenantPools: 1 }, limits: { maxConcurrent: 1, maxConcurrentPerTenant: 1, queueTimeoutMs: 5000 }, readOnly: true, nativeRls: null, initSql: null },
  { source: 'keys', table: { schema: null, name: table as never }, cacheTtlSeconds: 30, cacheMax: 100 });
  try {
    await sql.init(null);
  } finally {
    await sql.close();
  }
}

export async function dropStoreTable(table: string): Promise<void> {
  const client = await rawPostgres();
  try {
    await client.exec(`DROP TABLE IF EXISTS "${table}"`);
  } finally {
    await client.close();
  }
}
