import { createHash } from 'node:crypto';
import { basename, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/catalog/load.ts';
import { formatIssues, summarizeCatalog } from '../../src/catalog/format.ts';
import type { Catalog } from '../../src/catalog/types.ts';
import { errorsOf, expectIssue, FIXTURES, listIssues, loadFiles, SOURCES } from './helpers.ts';

const ADMIN_KEY = 'sk_admin_0123456789abcdef';

async function loadValid(env: NodeJS.ProcessEnv = {}): Promise<Catalog> {
  const { catalog, issues } = await loadConfig(join(FIXTURES, 'valid'), { env: { ADMIN_KEY, ...env } });
  expect(errorsOf(issues), listIssues(issues)).toEqual([]);
  return catalog!;
}

describe('a valid configuration', () => {
  it('loads with only the plaintext-key warnings and summarises', async () => {
    const { catalog, issues } = await loadConfig(join(FIXTURES, 'valid'), { env: { ADMIN_KEY } });
    expect(issues.map((i) => [basename(i.file), i.line, i.field, i.severity])).toEqual([
      ['api-keys.yaml', 2, 'api_keys[0].key', 'warning'],
      ['api-keys.yaml', 14, 'api_keys[2].key', 'warning'],
    ]);
    expect(summarizeCatalog(catalog!)).toBe('ok: 5 datasets (5 dimensions, 6 metrics), 4 sources, 3 api keys');
    expect(catalog!.dir).toBe(join(FIXTURES, 'valid').replace(/\/$/, ''));
  });

  it('builds datasets with their fields, defaults and expanded metric SQL', async () => {
    const orders = (await loadValid()).datasets.get('orders')!;
    expect(orders).toMatchObject({
      label: 'Orders', source: 'warehouse', table: { schema: 'public', name: 'orders' }, sql: null,
      layout: { kind: 'shared', tenantColumn: 'tenant_id' },
      cacheTtlSeconds: 300, maxRows: 5000, timeoutMs: 10000, roles: ['analyst', 'admin'],
    });
    expect(orders.dimensions.map((d) => [d.name, d.expr, d.timeGrains, d.roles])).toEqual([
      ['region', 'region', [], null],
      ['order_date', null, ['day', 'week', 'month', 'quarter', 'year'], null],
      ['created_at', null, ['hour', 'day'], ['admin']],
    ]);
    const m = Object.fromEntries(orders.metrics.map((x) => [x.name, x]));
    expect(m['revenue']).toMatchObject({ sql: 'SUM(amount)', derived: false, roles: null });
    expect(m['avg_order_value']).toMatchObject({ sql: '(SUM(amount)) / NULLIF((COUNT(*)), 0)', derived: true });
    expect(m['avg_order_value_pct']!.sql).toBe('100 * ((SUM(amount)) / NULLIF((COUNT(*)), 0))');
    expect(orders.segments).toEqual([{ name: 'large_orders', expr: 'amount >= 1000', roles: null }]);
  });

  it('resolves each tenant layout and applies dataset defaults', async () => {
    const c = await loadValid();
    const layout = (name: string): string => c.datasets.get(name)!.layout.kind;
    expect([layout('tenant_orders'), layout('per_db_orders'), layout('countries'), layout('currencies')])
      .toEqual(['schema', 'database', 'database', 'global']);
    expect(c.datasets.get('tenant_orders')!.table).toEqual({ schema: '{tenant}', name: 'orders' });
    expect(c.datasets.get('countries')!.table).toEqual({ schema: null, name: 'countries' });
    expect(c.datasets.get('per_db_orders')).toMatchObject({ table: null, sql: 'SELECT id, amount\nFROM orders\n' });
    expect(c.datasets.get('currencies')).toMatchObject({ cacheTtlSeconds: 60, maxRows: 100000, timeoutMs: 30000, roles: null });
  });

  it('builds sources: interpolated connection, pools, native RLS, init SQL read from its file', async () => {
    const c = await loadValid({ PGHOST: 'pg.internal', PGPORT: '6543' });
    expect(c.sources.get('warehouse')).toMatchObject({
      type: 'postgres', perTenant: false, nativeRls: { setting: 'app.current_tenant_id' }, initSql: null,
      connection: { host: 'pg.internal', port: 6543, database: 'analytics', user: 'postgres', password: '' },
      pool: { max: 10, idleTimeoutMs: 30000, maxTenantPools: 50 },
    });
    expect(c.sources.get('tenant_db')).toMatchObject({ perTenant: true, pool: { max: 4, idleTimeoutMs: 10000, maxTenantPools: 20 } });
    expect(c.sources.get('demo')!.initSql).toContain('CREATE TABLE acme.orders');
  });

  it('builds api keys from hashes and never keeps a plaintext key', async () => {
    const c = await loadValid();
    const sha = (s: string): string => createHash('sha256').update(s).digest('hex');
    const [plain, hashed, admin] = c.apiKeys;
    expect(plain).toMatchObject({ id: `k_${sha('pk_acme_abc123').slice(0, 12)}`, tenant: 'acme_corp', role: 'analyst', rateLimit: '100/minute', plaintext: true, enabled: true, explain: false, expiresAt: null, allowedDatasets: null });
    expect(plain!.hash.toString('hex')).toBe(sha('pk_acme_abc123'));
    expect(hashed).toMatchObject({ tenant: 'globex_inc', plaintext: false, explain: true, allowedDatasets: ['orders'], description: 'Globex BI refresh' });
    expect(hashed!.hash.toString('hex')).toBe('9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08');
    expect(hashed!.expiresAt!.toISOString()).toBe('2099-01-31T00:00:00.000Z');
    expect(admin).toMatchObject({ tenant: null, role: 'admin', plaintext: true });
    const dump = JSON.stringify(c, (_k, v: unknown) => (v instanceof Map ? [...v] : v));
    expect(dump).not.toContain('pk_acme_abc123');
    expect(dump).not.toContain(ADMIN_KEY);
    expect(c.defaults).toEqual({ rateLimit: '600/minute', maxConcurrent: null });
    expect(c.tenants.get('acme_corp')).toEqual({ schema: 'acme', rateLimit: '1000/minute' });
  });

  it('is frozen', async () => {
    const c = await loadValid();
    const orders = c.datasets.get('orders')!;
    expect(Object.isFrozen(c)).toBe(true);
    expect(Object.isFrozen(orders.metrics[0])).toBe(true);
    expect(() => (orders.dimensions as unknown as unknown[]).push({})).toThrow(TypeError);
  });

  it('loads a plain SetuPranali catalog; a missing api-keys.yaml is only a warning', async () => {
    const { catalog, issues } = await loadConfig(join(FIXTURES, 'minimal'), { env: {} });
    expect(issues).toHaveLength(1);
    expect(issues[0]).toMatchObject({ severity: 'warning', line: 1, field: '' });
    expect(issues[0]!.message).toMatch(/api-keys\.yaml not found/);
    expect(catalog!.apiKeys.list()).toEqual([]);
    expect(catalog!.defaults.rateLimit).toBeNull();
    expect(summarizeCatalog(catalog!)).toBe('ok: 1 dataset (2 dimensions, 2 metrics), 1 source, 0 api keys');
  });

  it('reads other file names with opts.files', async () => {
    const valid = join(FIXTURES, 'valid');
    const { catalog, issues } = await loadConfig(join(FIXTURES, 'minimal'), {
      env: { ADMIN_KEY },
      files: { catalog: join(valid, 'catalog.yaml'), sources: join(valid, 'sources.yaml'), apiKeys: join(valid, 'api-keys.yaml') },
    });
    expect(errorsOf(issues)).toEqual([]);
    expect(catalog!.datasets.size).toBe(5);
  });
});

describe('missing and empty files', () => {
  it('requires catalog.yaml and sources.yaml and reports both', async () => {
    const r = await loadFiles({ catalog: null, sources: null });
    expect(r.catalog).toBeNull();
    expect(errorsOf(r.issues).map((i) => [basename(i.file), i.message])).toEqual([
      ['catalog.yaml', expect.stringMatching(/catalog\.yaml not found: create it with a `datasets:` list/)],
      ['sources.yaml', expect.stringMatching(/sources\.yaml not found/)],
    ]);
  });

  it('reports an empty file and a file that is not a mapping', async () => {
    const r = await loadFiles({ catalog: '# nothing yet\n', sources: '- name: warehouse\n' });
    expect(errorsOf(r.issues).map((i) => [basename(i.file), i.line, i.message])).toEqual([
      ['catalog.yaml', 1, expect.stringMatching(/is empty: it must contain a `datasets:` list/)],
      ['sources.yaml', 1, expect.stringMatching(/must be a mapping with a `sources:` list at the top/)],
    ]);
  });
});

describe('${VAR} interpolation', () => {
  const sources = (host: string, port = '5432'): string => `sources:
  - name: warehouse
    type: postgres
    connection:
      host: ${host}   # @host
      port: ${port}   # @port
      database: analytics
      password: \${PGPASSWORD:-}
`;

  it('uses the variable when set, the default otherwise (also when set but empty)', async () => {
    const set = await loadFiles({ sources: sources('${PGHOST:-localhost}') }, { PGHOST: 'db.prod' });
    expect(set.catalog!.sources.get('warehouse')!.connection['host']).toBe('db.prod');
    const unset = await loadFiles({ sources: sources('${PGHOST:-localhost}') });
    expect(unset.catalog!.sources.get('warehouse')!.connection['host']).toBe('localhost');
    const empty = await loadFiles({ sources: sources('${PGHOST:-localhost}') }, { PGHOST: '' });
    expect(empty.catalog!.sources.get('warehouse')!.connection['host']).toBe('localhost');
    const inside = await loadFiles({ sources: sources('"db-${REGION}.internal"') }, { REGION: 'eu' });
    expect(inside.catalog!.sources.get('warehouse')!.connection['host']).toBe('db-eu.internal');
  });

  it('reads a variable as a number where a number is expected, and keeps text as text', async () => {
    const r = await loadFiles({ sources: sources('h', '${PGPORT}') }, { PGPORT: '6432', PGPASSWORD: '1234' });
    expect(r.catalog!.sources.get('warehouse')!.connection).toMatchObject({ port: 6432, password: '1234' });
    const bad = await loadFiles({ sources: sources('h', '${PGPORT}') }, { PGPORT: 'abc' });
    expectIssue(bad, 'sources.yaml', '# @port', 'sources[0].connection.port', /must be a whole number, not "abc"/);
  });

  it('reports every unset variable without a default, naming it, at its line and column', async () => {
    const r = await loadFiles({
      sources: sources('${PGHOST}', '${PGPORT}'),
      catalog: `datasets:
  - name: orders
    source: warehouse
    rls: none
    sql: |
      SELECT *
      FROM \${ORDERS_TABLE}   # @table
    metrics: [{ name: n, type: integer, expr: "COUNT(*)" }]
`,
    });
    expect(r.catalog).toBeNull();
    const host = expectIssue(r, 'sources.yaml', '# @host', 'sources[0].connection.host', /environment variable PGHOST is not set: set it, or give a default with \$\{PGHOST:-value\}/);
    expect(host.column).toBe(r.texts['sources.yaml'].split('\n')[4]!.indexOf('${') + 1);
    expectIssue(r, 'sources.yaml', '# @port', 'sources[0].connection.port', /PGPORT is not set/);
    // Inside a multi-line SQL block the finding points at the variable's own line.
    expectIssue(r, 'catalog.yaml', '# @table', 'datasets[0].sql', /ORDERS_TABLE is not set/);
  });

  it('refuses a malformed reference', async () => {
    const r = await loadFiles({ sources: sources('${PG HOST}') });
    expectIssue(r, 'sources.yaml', '# @host', 'sources[0].connection.host', /not a valid variable reference: write \$\{NAME\}/);
  });

  it('does not touch keys or {tenant} placeholders', async () => {
    const r = await loadFiles({
      sources: SOURCES.replace('database: analytics', 'database: "t_{tenant}"'),
      catalog: 'datasets:\n  - { name: orders, source: warehouse, table: orders, metrics: [{ name: n, type: integer, expr: "COUNT(*)" }] }\n',
    });
    expect(errorsOf(r.issues), listIssues(r.issues)).toEqual([]);
    expect(r.catalog!.datasets.get('orders')!.layout).toEqual({ kind: 'database' });
    expect(r.catalog!.sources.get('warehouse')).toMatchObject({ perTenant: true, connection: { database: 't_{tenant}' } });
  });
});

describe('formatIssues', () => {
  it('prints file:line:column field: severity: message, relative to the working directory', async () => {
    const r = await loadFiles({ sources: SOURCES.replace('type: postgres', 'type: postgress') });
    const text = formatIssues(r.issues, r.dir);
    expect(text).toBe('sources.yaml:3:11 sources[0].type: error: `postgress` is not a valid `type`. Did you mean `postgres`? Use `postgres`, `mysql` or `duckdb`.');
    expect(formatIssues([{ file: join(process.cwd(), 'x.yaml'), line: 1, column: 1, field: '', message: 'm', severity: 'warning' }])).toBe('x.yaml:1:1 warning: m');
  });
});
