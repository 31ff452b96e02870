/**
 * Hardening of issue 13, point 5, through the whole gateway: DuckDB queries cannot reach the
 * file system (external access is off after init_sql), a tenant without a database file is
 * refused and no file is created; on MariaDB, tenant ids that differ only by case never see
 * each other's rows (the default collation would match `ACME` to `acme`).
 */
import { existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/catalog/load.ts';
import { startTestServer, type TestServer } from '../helpers/http.ts';
import { rawMysql, type RawSql } from '../helpers/seed.ts';
import { requireServices, services } from '../helpers/services.ts';

const FIELDS = `    dimensions:
      - { name: region, type: string }
    metrics:
      - { name: revenue, type: number, expr: "SUM(amount)" }
      - { name: n, type: integer, expr: "COUNT(*)" }
`;

describe('DuckDB behind the gateway', () => {
  let dir: string;
  let server: TestServer;
  beforeAll(async () => {
    dir = mkdtempSync(path.join(tmpdir(), 'semgate-harden-'));
    for (const t of ['alpha']) {
      const inst = await DuckDBInstance.create(path.join(dir, `t_${t}.duckdb`));
      const c = await inst.connect();
      await c.run("CREATE TABLE orders AS SELECT * FROM (VALUES ('EU', 1.5), ('US', 2.5)) v(region, amount)");
      c.disconnectSync();
      inst.closeSync();
    }
    writeFileSync(path.join(dir, 'seed.csv'), 'region,amount\nEU,10\nUS,20\n');
    writeFileSync(path.join(dir, 'sources.yaml'), `sources:
  - name: mem
    type: duckdb
    connection: { path: ":memory:" }
    init_sql: "CREATE TABLE shared AS SELECT 'alpha' AS tenant_id, * FROM read_csv('${path.join(dir, 'seed.csv')}')"
  - name: per_tenant
    type: duckdb
    connection: { path: "${path.join(dir, 't_{tenant}.duckdb')}" }
`);
    writeFileSync(path.join(dir, 'catalog.yaml'), `datasets:
  - name: seeded
    source: mem
    table: shared
    rls: { tenant_column: tenant_id }
${FIELDS}  - name: passwd
    source: mem
    sql: "SELECT column0 AS region, 1 AS amount FROM read_csv('/etc/passwd', header = false, sep = ':')"
    rls: none
${FIELDS}  - name: sneaky_expr
    source: mem
    table: shared
    rls: { tenant_column: tenant_id }
    dimensions:
      - { name: region, type: string, expr: "(SELECT content FROM read_text('/etc/hostname'))" }
    metrics:
      - { name: n, type: integer, expr: "COUNT(*)" }
  - name: own_orders
    source: per_tenant
    table: orders
${FIELDS}`);
    writeFileSync(path.join(dir, 'api-keys.yaml'), `api_keys:
  - { key: sgh-alpha, tenant: alpha, role: analyst }
  - { key: sgh-ghost, tenant: ghost, role: analyst }
  - { key: sgh-root, role: admin }
`);
    server = await startTestServer(dir);
  });
  afterAll(async () => {
    await server?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('init_sql may read files; no query can afterwards (a sql: dataset or a field expression)', async () => {
    const ok = await server.req('POST', '/v1/query', { key: 'sgh-alpha', body: { dataset: 'seeded', metrics: ['revenue'] } });
    expect(ok.status, ok.text).toBe(200);
    expect(ok.body.rows).toEqual([[30]]);
    for (const body of [{ dataset: 'passwd', dimensions: ['region'], metrics: ['n'] }, { dataset: 'sneaky_expr', dimensions: ['region'], metrics: ['n'] }]) {
      const res = await server.req('POST', '/v1/query', { key: 'sgh-alpha', body });
      expect(res.status, res.text).toBe(500);
      expect(res.text).not.toMatch(/root:|\/etc\//);
    }
  });

  it('serves a tenant its own file, and refuses a tenant with none without creating it', async () => {
    const own = await server.req('POST', '/v1/query', { key: 'sgh-alpha', body: { dataset: 'own_orders', metrics: ['n'] } });
    expect(own.status, own.text).toBe(200);
    expect(own.body.rows).toEqual([[2]]);
    const ghost = await server.req('POST', '/v1/query', { key: 'sgh-ghost', body: { dataset: 'own_orders', metrics: ['n'] } });
    expect(ghost.status, ghost.text).toBe(503);
    expect(ghost.text).not.toContain('ghost');
    const named = await server.req('POST', '/v1/query', { key: 'sgh-root', body: { dataset: 'own_orders', metrics: ['n'] }, headers: { 'X-Tenant-Id': 'made_up' } });
    expect(named.status, named.text).toBe(503);
    expect(readdirSync(dir).filter((f) => f.endsWith('.duckdb')).sort()).toEqual(['t_alpha.duckdb']);
    expect(existsSync(path.join(dir, 't_ghost.duckdb.wal'))).toBe(false);
  });
});

describe('read_only in sources.yaml', () => {
  it('warns when init_sql would write to a read-only file, and refuses read_only on a server source', async () => {
    const d = mkdtempSync(path.join(tmpdir(), 'semgate-ro-'));
    try {
      writeFileSync(path.join(d, 'sources.yaml'), `sources:
  - { name: file, type: duckdb, connection: { path: ./data.duckdb }, init_sql: "CREATE TABLE t AS SELECT 1 AS x" }
  - { name: settings_only, type: duckdb, connection: { path: ./data2.duckdb }, init_sql: "SET threads TO 1; CREATE TEMP TABLE x AS SELECT 1" }
  - { name: writable, type: duckdb, connection: { path: ./data3.duckdb }, read_only: false, init_sql: "CREATE TABLE IF NOT EXISTS t AS SELECT 1 AS x" }
  - { name: server, type: postgres, connection: { host: 127.0.0.1, database: x }, read_only: true }
`);
      writeFileSync(path.join(d, 'catalog.yaml'), 'datasets: []\n');
      writeFileSync(path.join(d, 'api-keys.yaml'), 'api_keys: []\n');
      const { issues } = await loadConfig(d);
      const at = (severity: string): string[] => issues.filter((i) => i.severity === severity).map((i) => i.field);
      expect(at('warning')).toContain('sources[0].init_sql');
      expect(at('warning')).not.toContain('sources[1].init_sql');
      expect(at('warning')).not.toContain('sources[2].init_sql');
      expect(at('error')).toContain('sources[3].read_only');
    } finally {
      rmSync(d, { recursive: true, force: true });
    }
  });
});

const my = await requireServices('mysql');

describe.skipIf(!my.ok)('MariaDB: tenant ids that differ only by case', () => {
  const db = `sgf_case_${process.pid}`;
  let raw: RawSql;
  let dir: string;
  const servers: TestServer[] = [];

  async function serve(tenant: string): Promise<TestServer> {
    const d = mkdtempSync(path.join(tmpdir(), 'semgate-case-'));
    const { host, port, user, password } = services.mysql;
    writeFileSync(path.join(d, 'sources.yaml'), `sources:
  - { name: shop, type: mysql, connection: { host: ${host}, port: ${port}, database: ${db}, user: ${user}, password: "${password}" } }
`);
    writeFileSync(path.join(d, 'catalog.yaml'), `datasets:
  - name: orders
    source: shop
    table: orders
    rls: { tenant_column: tenant_id }
${FIELDS}  - name: ranked
    source: shop
    sql: "SELECT o.tenant_id, o.region, o.amount FROM orders o WHERE o.tenant_id = {tenant_id}"
    rls: { tenant_column: tenant_id }
${FIELDS}`);
    writeFileSync(path.join(d, 'api-keys.yaml'), `api_keys:
  - { key: sgh-case-key, tenant: ${tenant}, role: analyst }
  - { key: sgh-case-admin, role: admin }
`);
    const s = await startTestServer(d);
    servers.push(s);
    return s;
  }

  beforeAll(async () => {
    raw = await rawMysql(services.mysql.database);
    await raw.exec(`DROP DATABASE IF EXISTS ${db}`);
    await raw.exec(`CREATE DATABASE ${db}`);
    // The server's default collation: case-insensitive, as most MariaDB installs are.
    await raw.exec(`CREATE TABLE ${db}.orders (tenant_id varchar(64) NOT NULL, region varchar(8), amount decimal(10,2), KEY (tenant_id)) DEFAULT CHARSET=utf8mb4`);
    await raw.exec(`INSERT INTO ${db}.orders VALUES ('acme', 'EU', 1), ('acme', 'US', 2), ('ACME', 'EU', 100), ('Acme', 'EU', 10000)`);
    const [row] = await raw.query(`SELECT COUNT(*) AS n FROM ${db}.orders WHERE tenant_id = 'acme'`);
    expect(Number(row!['n'])).toBe(4); // the premise: a plain = matches every spelling
    dir = db;
  });
  afterAll(async () => {
    for (const s of servers) await s.close();
    await raw?.exec(`DROP DATABASE IF EXISTS ${dir}`).catch(() => undefined);
    await raw?.close();
  });

  it('ACME and acme each read only their own rows, through a table and through {tenant_id}', async () => {
    for (const [tenant, expected] of [['acme', [2, 3]], ['ACME', [1, 100]], ['Acme', [1, 10000]]] as const) {
      const s = await serve(tenant);
      for (const dataset of ['orders', 'ranked']) {
        const res = await s.req('POST', '/v1/query', { key: 'sgh-case-key', body: { dataset, metrics: ['n', 'revenue'] } });
        expect(res.status, res.text).toBe(200);
        expect(res.body.rows.map((r: unknown[]) => r.map(Number)), `${tenant} ${dataset}`).toEqual([[expected[0], expected[1]]]);
      }
      // An admin naming the tenant gets the same exact match.
      const admin = await s.req('POST', '/v1/query', { key: 'sgh-case-admin', body: { dataset: 'orders', metrics: ['n'] }, headers: { 'X-Tenant-Id': tenant } });
      expect(admin.body.rows.map((r: unknown[]) => r.map(Number))).toEqual([[expected[0]]]);
    }
  });
});
