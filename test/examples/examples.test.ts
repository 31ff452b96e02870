/**
 * The configurations under examples/ (and the demo at the repository root) are what a new
 * user copies first, so they must load without errors, and each layout must keep tenants
 * apart on its real engine: seeded from the example's own seed.sql, queried with the demo
 * keys its README gives, and compared with raw SQL over that tenant's rows only.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import mysql from 'mysql2/promise';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { keyIndexFor, principalForKey } from '../../src/auth/keys.ts';
import { loadConfig } from '../../src/catalog/load.ts';
import type { Catalog } from '../../src/catalog/types.ts';
import type { Principal } from '../../src/query/types.ts';
import { executePrepared, prepareQuery } from '../../src/service/query.ts';
import { SourceRegistry } from '../../src/sources/registry.ts';
import { rawPostgres, type RawSql } from '../helpers/seed.ts';
import { requireServices, services } from '../helpers/services.ts';

const configDirs = ['.', ...readdirSync('examples').map((d) => path.join('examples', d))]
  .filter((d) => existsSync(path.join(d, 'catalog.yaml')));

describe('example configurations', () => {
  it('include the three layouts', () => {
    expect(configDirs).toEqual(expect.arrayContaining(['examples/shared-postgres', 'examples/schema-postgres', 'examples/database-mariadb']));
  });

  // An empty environment: every ${VAR} in the examples must have a default.
  it.each(configDirs)('%s loads without errors', async (dir) => {
    const { catalog, issues } = await loadConfig(dir, { env: {} });
    expect(issues.filter((i) => i.severity === 'error')).toEqual([]);
    expect(catalog).not.toBeNull();
  });
});

interface Layout {
  readonly dir: string;
  readonly engine: 'postgres' | 'mysql';
  /** The tenant's demo key (from the README) and the SQL naming only that tenant's orders. */
  readonly tenants: readonly { tenant: string; key: string; orders: string; extra: { body: object; raw: string } }[];
  readonly adminKey: string;
}

const pid = process.pid;
const pgDb = (name: string): string => `sgx_ex_${name}_${pid}`;
const myPrefix = `sgx_ex_${pid}_`;

const LAYOUTS: Record<'shared' | 'schema' | 'database', Layout> = {
  shared: {
    dir: 'examples/shared-postgres', engine: 'postgres', adminKey: 'sk_shared_admin',
    tenants: [
      ['acme', 'sk_shared_acme_analyst'], ['globex', 'sk_shared_globex_analyst'], ['initech', 'sk_shared_initech_viewer'],
    ].map(([tenant, key]) => ({
      tenant: tenant!, key: key!, orders: `orders WHERE tenant_id = '${tenant}'`,
      extra: { body: { dataset: 'customers', metrics: ['customer_count'] }, raw: `SELECT COUNT(*) FROM customers WHERE tenant_id = '${tenant}'` },
    })),
  },
  schema: {
    dir: 'examples/schema-postgres', engine: 'postgres', adminKey: 'sk_schema_admin',
    tenants: [
      ['acme', 'sk_schema_acme_manager', 'tenant_acme'], ['globex', 'sk_schema_globex_analyst', 'tenant_globex'],
      ['initech', 'sk_schema_initech_viewer', 'initech'],
    ].map(([tenant, key, schema]) => ({
      tenant: tenant!, key: key!, orders: `${schema}.orders`,
      extra: { body: { dataset: 'sales', metrics: ['units'] }, raw: `SELECT SUM(o.quantity) FROM ${schema}.orders o JOIN ${schema}.products p USING (product_id)` },
    })),
  },
  database: {
    dir: 'examples/database-mariadb', engine: 'mysql', adminKey: 'sk_db_admin',
    tenants: [['acme', 'sk_db_acme_analyst'], ['globex', 'sk_db_globex_manager'], ['initech', 'sk_db_initech_viewer']].map(([tenant, key]) => ({
      tenant: tenant!, key: key!, orders: `${myPrefix}${tenant}.orders`,
      extra: { body: { dataset: 'sales', metrics: ['units'] }, raw: `SELECT SUM(o.quantity) FROM ${myPrefix}${tenant}.orders o JOIN ${myPrefix}${tenant}.products p USING (product_id)` },
    })),
  },
};

/** PostgreSQL seeds create their database and `\connect` to it: we run what follows in our own. */
function pgSeedBody(dir: string): string {
  const text = readFileSync(path.join(dir, 'seed.sql'), 'utf8');
  const parts = text.split(/^\\connect \w+$/m);
  expect(parts).toHaveLength(2);
  return parts[1]!;
}

/** MariaDB seeds name their databases `shop_*`: the test's copies get a prefix of their own. */
function mysqlSeed(dir: string): string {
  return readFileSync(path.join(dir, 'seed.sql'), 'utf8').replaceAll('shop_', myPrefix);
}

const up = await requireServices('postgres', 'mysql');

describe.skipIf(!up.ok)('example layouts on their engines', () => {
  let pgAdmin: RawSql;
  let my: mysql.Connection;
  const raws = new Map<string, RawSql>();

  beforeAll(async () => {
    pgAdmin = await rawPostgres();
    my = await mysql.createConnection({ ...services.mysql, multipleStatements: true });
    for (const name of ['shared', 'schema'] as const) {
      await pgAdmin.exec(`DROP DATABASE IF EXISTS ${pgDb(name)}`);
      await pgAdmin.exec(`CREATE DATABASE ${pgDb(name)}`);
      const raw = await rawPostgres(pgDb(name));
      await raw.exec(pgSeedBody(LAYOUTS[name].dir)); // one multi-statement query, as psql -f would run it
      raws.set(name, raw);
    }
    await my.query(mysqlSeed(LAYOUTS.database.dir));
  });

  afterAll(async () => {
    for (const raw of raws.values()) await raw.close();
    for (const name of ['shared', 'schema']) await pgAdmin?.exec(`DROP DATABASE IF EXISTS ${pgDb(name)} WITH (FORCE)`);
    for (const db of ['acme', 'globex', 'initech', 'reference']) await my?.query(`DROP DATABASE IF EXISTS ${myPrefix}${db}`);
    await pgAdmin?.close();
    await my?.end();
  });

  const ENV: Record<keyof typeof LAYOUTS, NodeJS.ProcessEnv> = {
    shared: { SHARED_DB: pgDb('shared') },
    schema: { SCHEMAS_DB: pgDb('schema') },
    database: { SHOP_DB_PREFIX: myPrefix },
  };

  describe.each(Object.keys(LAYOUTS) as (keyof typeof LAYOUTS)[])('%s', (name) => {
    const layout = LAYOUTS[name];
    let catalog: Catalog;
    let registry: SourceRegistry;
    const rawQuery = async (sql: string): Promise<unknown[]> => {
      if (layout.engine === 'mysql') return Object.values(((await my.query(sql))[0] as Record<string, unknown>[])[0]!);
      return Object.values((await raws.get(name)!.query(sql))[0]!);
    };

    beforeAll(async () => {
      const loaded = await loadConfig(layout.dir, { env: { ...process.env, ...ENV[name] } });
      expect(loaded.issues.filter((i) => i.severity === 'error')).toEqual([]);
      catalog = loaded.catalog!;
      registry = new SourceRegistry(catalog.sources);
    });
    afterAll(() => registry?.close());

    const run = async (principal: Principal, body: object): Promise<unknown[][]> =>
      (await executePrepared(registry, prepareQuery(catalog, principal, body))).rows;

    it.each(layout.tenants)('$tenant sees exactly its own rows', async ({ tenant, key, orders, extra }) => {
      const principal = principalForKey(keyIndexFor(catalog), key);
      expect(principal.tenant).toBe(tenant);
      const [count, amount] = await rawQuery(`SELECT COUNT(*), SUM(amount) FROM ${orders}`);
      let allOrders = 0;
      for (const t of layout.tenants) allOrders += Number((await rawQuery(`SELECT COUNT(*) FROM ${t.orders}`))[0]);
      expect(Number(count)).toBeGreaterThan(0);
      expect(Number(count)).toBeLessThan(allOrders); // other tenants have rows that could leak

      const [[n, revenue]] = await run(principal, { dataset: 'orders', metrics: ['order_count', 'revenue'] }) as [[number, number]];
      expect(n).toBe(Number(count));
      expect(revenue).toBeCloseTo(Number(amount), 2);

      const months = await run(principal, { dataset: 'orders', dimensions: ['order_date.month'], metrics: ['order_count'] });
      const [distinctMonths] = await rawQuery(layout.engine === 'mysql'
        ? `SELECT COUNT(DISTINCT DATE_FORMAT(order_date, '%Y-%m')) FROM ${orders}`
        : `SELECT COUNT(DISTINCT date_trunc('month', order_date)) FROM ${orders}`);
      expect(months).toHaveLength(Number(distinctMonths));
      expect(months.reduce((s, [, c]) => s + Number(c), 0)).toBe(Number(count));

      // The `sql:` dataset, as the admin acting for this tenant (a viewer key may not see it).
      const admin = principalForKey(keyIndexFor(catalog), layout.adminKey);
      const [[value]] = await run({ ...admin, tenant }, extra.body) as [[number]];
      const [want] = await rawQuery(extra.raw);
      expect(value).toBe(Number(want));
    });
  });
});
