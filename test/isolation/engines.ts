/**
 * One engine with the same orders in all three tenant layouts:
 * - shared: table `orders` with every tenant's rows (source `main`)
 * - schema: `<prefix><tenant>.orders` per tenant (MySQL: a database per "schema")
 * - database: a database (DuckDB: a file) `<prefix>db_<tenant>` per tenant
 * Names carry this process's id so parallel workers and runs never share them.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadCatalog } from '../helpers/catalog.ts';
import type { Catalog } from '../../src/catalog/types.ts';
import { SourceRegistry } from '../../src/sources/registry.ts';
import { services } from '../helpers/services.ts';
import { generateOrders, rawDuckdb, rawMysql, rawPostgres, seedOrders, type Engine, type OrderRow, type RawSql } from '../helpers/seed.ts';
import { RawOracle, type Layout, type OracleTables } from './oracle.ts';

export const TENANTS = ['t_alpha', 't_beta', 't_gamma'] as const;
/** The fixture's keys (test/fixtures/isolation/api-keys.yaml): one per tenant, and the admin's. */
export const KEYS: Record<(typeof TENANTS)[number], string> = { t_alpha: 'sgi-key-alpha', t_beta: 'sgi-key-beta', t_gamma: 'sgi-key-gamma' };
export const ADMIN_KEY = 'sgi-key-admin';
export const ROWS_PER_TENANT = 120;
export const FIXTURE_DIR = new URL('../fixtures/isolation/', import.meta.url).pathname;

export interface EngineEnv {
  readonly engine: Engine;
  readonly catalog: Catalog;
  readonly registry: SourceRegistry;
  readonly oracle: RawOracle;
  readonly rows: readonly OrderRow[];
  /** Tenant -> the schema name its `{tenant}.orders` resolves to. */
  readonly schemaOf: (tenant: string) => string;
  /** The `${VAR}`s the fixture was loaded with (to start a server on the same databases). */
  readonly loadEnv: Readonly<Record<string, string>>;
  /** Where each layout keeps each tenant's rows, for raw SQL of a test's own. */
  readonly tables: OracleTables;
  close(): Promise<void>;
}

/** Loads the fixture for one engine; fails loudly on any config error. */
export async function loadIsolationCatalog(engine: Engine, env: Record<string, string>): Promise<Catalog> {
  return loadCatalog(FIXTURE_DIR, { env, files: { sources: `sources.${engine}.yaml` } });
}

interface Seeded {
  env: Record<string, string>;
  tables: OracleTables;
  teardown(): Promise<void>;
}

const rowsOf = (rows: readonly OrderRow[], t: string): OrderRow[] => rows.filter((r) => r.tenant_id === t);

async function seedPostgres(prefix: string, rows: readonly OrderRow[]): Promise<Seeded> {
  const admin = await rawPostgres(services.postgres.database);
  const dbs = [`${prefix}main`, ...TENANTS.map((t) => `${prefix}db_${t}`)];
  for (const db of dbs) {
    await admin.exec(`DROP DATABASE IF EXISTS ${db} WITH (FORCE)`);
    await admin.exec(`CREATE DATABASE ${db}`);
  }
  const main = await rawPostgres(`${prefix}main`);
  await seedOrders(main, 'postgres', 'orders', rows, true);
  const perTenant = new Map<string, RawSql>();
  for (const t of TENANTS) {
    await main.exec(`CREATE SCHEMA ${prefix}${t}`);
    await seedOrders(main, 'postgres', `${prefix}${t}.orders`, rowsOf(rows, t), true);
    const db = await rawPostgres(`${prefix}db_${t}`);
    await seedOrders(db, 'postgres', 'orders', rowsOf(rows, t), true);
    perTenant.set(t, db);
  }
  return {
    env: {
      PGHOST: services.postgres.host, PGPORT: String(services.postgres.port),
      PGUSER: services.postgres.user, PGPASSWORD: services.postgres.password,
    },
    tables: {
      engine: 'postgres',
      table: (layout, t) => layout === 'database'
        ? { db: perTenant.get(t!)!, from: 'orders', tenantPredicate: null }
        : layout === 'schema'
          ? { db: main, from: `${prefix}${t}.orders`, tenantPredicate: null }
          : { db: main, from: 'orders', tenantPredicate: t === null ? null : `tenant_id = '${t}'` },
    },
    async teardown() {
      await Promise.all([main, ...perTenant.values()].map((c) => c.close()));
      for (const db of dbs) await admin.exec(`DROP DATABASE IF EXISTS ${db} WITH (FORCE)`);
      await admin.close();
    },
  };
}

async function seedMysql(prefix: string, rows: readonly OrderRow[]): Promise<Seeded> {
  const conn = await rawMysql(services.mysql.database);
  const dbs = [`${prefix}main`, ...TENANTS.flatMap((t) => [`${prefix}${t}`, `${prefix}db_${t}`])];
  for (const db of dbs) {
    await conn.exec(`DROP DATABASE IF EXISTS ${db}`);
    await conn.exec(`CREATE DATABASE ${db} CHARACTER SET utf8mb4`);
  }
  await seedOrders(conn, 'mysql', `${prefix}main.orders`, rows, true);
  for (const t of TENANTS) {
    await seedOrders(conn, 'mysql', `${prefix}${t}.orders`, rowsOf(rows, t), true);
    await seedOrders(conn, 'mysql', `${prefix}db_${t}.orders`, rowsOf(rows, t), true);
  }
  return {
    env: {
      MYSQL_HOST: services.mysql.host, MYSQL_PORT: String(services.mysql.port),
      MYSQL_USER: services.mysql.user, MYSQL_PASSWORD: services.mysql.password,
    },
    tables: {
      engine: 'mysql',
      table: (layout, t) => layout === 'database'
        ? { db: conn, from: `${prefix}db_${t}.orders`, tenantPredicate: null }
        : layout === 'schema'
          ? { db: conn, from: `${prefix}${t}.orders`, tenantPredicate: null }
          : { db: conn, from: `${prefix}main.orders`, tenantPredicate: t === null ? null : `tenant_id = '${t}'` },
    },
    async teardown() {
      for (const db of dbs) await conn.exec(`DROP DATABASE IF EXISTS ${db}`);
      await conn.close();
    },
  };
}

async function seedDuckdb(prefix: string, rows: readonly OrderRow[]): Promise<Seeded> {
  const dir = mkdtempSync(join(tmpdir(), 'sgi-'));
  // Seed each file, then close it: the registry opens the files itself.
  const main = await rawDuckdb(join(dir, 'main.duckdb'));
  await seedOrders(main, 'duckdb', 'orders', rows, true);
  for (const t of TENANTS) {
    await main.exec(`CREATE SCHEMA ${prefix}${t}`);
    await seedOrders(main, 'duckdb', `${prefix}${t}.orders`, rowsOf(rows, t), true);
    const db = await rawDuckdb(join(dir, `db_${t}.duckdb`));
    await seedOrders(db, 'duckdb', 'orders', rowsOf(rows, t), true);
    await db.close();
  }
  await main.close();
  // The oracle reads the same files, attached read-only to its own in-memory instance.
  const oracle = await rawDuckdb(':memory:');
  await oracle.exec(`ATTACH '${join(dir, 'main.duckdb')}' AS m (READ_ONLY)`);
  for (const t of TENANTS) await oracle.exec(`ATTACH '${join(dir, `db_${t}.duckdb`)}' AS d_${t} (READ_ONLY)`);
  return {
    env: { DUCK_DIR: dir },
    tables: {
      engine: 'duckdb',
      table: (layout, t) => layout === 'database'
        ? { db: oracle, from: `d_${t}.orders`, tenantPredicate: null }
        : layout === 'schema'
          ? { db: oracle, from: `m.${prefix}${t}.orders`, tenantPredicate: null }
          : { db: oracle, from: 'm.orders', tenantPredicate: t === null ? null : `tenant_id = '${t}'` },
    },
    async teardown() {
      try {
        await oracle.close();
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    },
  };
}

const SEEDERS: Record<Engine, (prefix: string, rows: readonly OrderRow[]) => Promise<Seeded>> = {
  postgres: seedPostgres,
  mysql: seedMysql,
  duckdb: seedDuckdb,
};

export async function setupEngine(engine: Engine): Promise<EngineEnv> {
  const prefix = `sgi${process.pid}_`;
  const rows = generateOrders(TENANTS, ROWS_PER_TENANT);
  const seeded = await SEEDERS[engine](prefix, rows);
  try {
    const loadEnv = { ...seeded.env, PREFIX: prefix, SCHEMA_PREFIX: prefix };
    const catalog = await loadIsolationCatalog(engine, loadEnv);
    const registry = new SourceRegistry(catalog.sources);
    const template = catalog.datasets.get('orders_shared')!;
    const columns = new Map(template.dimensions.map((d) => [d.name, d.expr ?? d.name]));
    const segments = new Map(template.segments.map((s) => [s.name, s.expr]));
    return {
      engine,
      catalog,
      registry,
      oracle: new RawOracle(seeded.tables, columns, segments),
      rows,
      schemaOf: (t) => catalog.tenants.get(t)?.schema ?? t,
      loadEnv,
      tables: seeded.tables,
      async close() {
        await registry.close();
        await seeded.teardown();
      },
    };
  } catch (err) {
    await seeded.teardown();
    throw err;
  }
}

export type { Layout };
