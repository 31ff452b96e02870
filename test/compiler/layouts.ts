/**
 * The compiler suite's data on one engine, in every tenant layout at once:
 * - `orders` (all tenants, with tenant_id) and `regions_ref` in the main database;
 * - `sgc_s_<tenant>.orders` per tenant (PG/DuckDB schemas; MySQL databases, its schemas);
 * - `orders` in database `sgc_db_<tenant>` and `sgc_named_<tenant>` per tenant (DuckDB:
 *   one file each, since a DuckDB file is opened by one instance at a time).
 * Names are fixed (they appear in snapshots) and carry the suite's `sgc_` prefix.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadCatalog } from '../helpers/catalog.ts';
import type { Catalog } from '../../src/catalog/types.ts';
import {
  generateOrders, rawDuckdb, rawMysql, rawPostgres, seedOrders, type Engine, type OrderRow, type RawSql,
} from '../helpers/seed.ts';
import { ROWS_PER_TENANT, TENANTS } from './cases.ts';

export const FIXTURE_DIR = new URL('../fixtures/compiler/', import.meta.url).pathname;

export async function loadCompilerCatalog(engine: Engine, duckdbDir = '/nonexistent/sgc'): Promise<Catalog> {
  const catalog = await loadCatalog(FIXTURE_DIR, {
    env: { ...process.env, SGC_DUCKDB_DIR: duckdbDir },
    files: { sources: `sources.${engine}.yaml` },
  });
  return catalog;
}

const ROWS = generateOrders(TENANTS, ROWS_PER_TENANT);
/** An advisory lock id of this fixture, so two test runs on one server do not drop each other's databases. */
const FIXTURE_LOCK = 7_420_001;
const rowsOf = (t: string): OrderRow[] => ROWS.filter((r) => r.tenant_id === t);
const schemaOf = (t: string): string => `sgc_s_${t}`;
const PER_TENANT_DBS = TENANTS.flatMap((t) => [`sgc_db_${t}`, `sgc_named_${t}`]);

const REGIONS_DDL = 'CREATE TABLE regions_ref (code VARCHAR(8) NOT NULL, name VARCHAR(64) NOT NULL, zone VARCHAR(8) NOT NULL, population_m INTEGER NOT NULL)';
const REGIONS_ROWS = `INSERT INTO regions_ref VALUES ('EU', 'Europe', 'EMEA', 450), ('US', 'United States', 'AMER', 335),
  ('APAC', 'Asia Pacific', 'APAC', 4300), ('LATAM', 'Latin America', 'AMER', 660), ('MEA', 'Middle East and Africa', 'EMEA', 1800)`;

async function seedMain(db: RawSql, engine: Engine, createSchema: (s: string) => string): Promise<void> {
  await seedOrders(db, engine, 'orders', ROWS, true);
  await db.exec('DROP TABLE IF EXISTS regions_ref');
  await db.exec(REGIONS_DDL);
  await db.exec(REGIONS_ROWS);
  for (const t of TENANTS) {
    await db.exec(createSchema(schemaOf(t)));
    await seedOrders(db, engine, `${schemaOf(t)}.orders`, rowsOf(t), false);
  }
}

/** A seeded engine: `main` answers hand-written SQL; `release` closes it (DuckDB files must be free). */
export interface SeededEngine {
  readonly engine: Engine;
  readonly duckdbDir: string | undefined;
  main: RawSql;
  /** Closes raw connections, so the gateway's executors can open the same files. */
  release(): Promise<void>;
  /** Drops everything the seed created. Call after the gateway's registry is closed. */
  drop(): Promise<void>;
}

export async function seedLayouts(engine: Engine): Promise<SeededEngine> {
  if (engine === 'postgres') {
    const admin = await rawPostgres();
    // The names are fixed (snapshots show them): two runs on one server take turns. The
    // session lock goes with the admin connection, closed by drop().
    await admin.exec(`SELECT pg_advisory_lock(${FIXTURE_LOCK})`);
    const all = ['sgc_main', ...PER_TENANT_DBS];
    // template0: CREATE DATABASE from template1 fails while another session uses template1.
    for (const d of all) {
      await admin.exec(`DROP DATABASE IF EXISTS ${d} WITH (FORCE)`);
      await admin.exec(`CREATE DATABASE ${d} TEMPLATE template0`);
    }
    for (const t of TENANTS) {
      for (const d of [`sgc_db_${t}`, `sgc_named_${t}`]) {
        const db = await rawPostgres(d);
        await seedOrders(db, engine, 'orders', rowsOf(t), false);
        await db.close();
      }
    }
    const main = await rawPostgres('sgc_main');
    await seedMain(main, engine, (s) => `CREATE SCHEMA ${s}`);
    return {
      engine, duckdbDir: undefined, main,
      release: () => main.close(),
      async drop() {
        for (const d of all) await admin.exec(`DROP DATABASE IF EXISTS ${d} WITH (FORCE)`);
        await admin.close();
      },
    };
  }
  if (engine === 'mysql') {
    const admin = await rawMysql();
    await admin.exec(`SELECT GET_LOCK('sgc_fixture', 600)`);
    // In MySQL a schema is a database, so the schema layout creates databases too.
    const all = ['sgc_main', ...PER_TENANT_DBS, ...TENANTS.map(schemaOf)];
    for (const d of all) {
      await admin.exec(`DROP DATABASE IF EXISTS ${d}`);
      await admin.exec(`CREATE DATABASE ${d} CHARACTER SET utf8mb4 COLLATE utf8mb4_bin`);
    }
    for (const t of TENANTS) {
      for (const d of [`sgc_db_${t}`, `sgc_named_${t}`]) await seedOrders(admin, engine, `${d}.orders`, rowsOf(t), false);
    }
    const main = await rawMysql('sgc_main');
    await seedMain(main, engine, () => 'SELECT 1'); // the databases exist already
    return {
      engine, duckdbDir: undefined, main,
      release: () => main.close(),
      async drop() {
        for (const d of all) await admin.exec(`DROP DATABASE IF EXISTS ${d}`);
        await admin.close();
      },
    };
  }
  const dir = mkdtempSync(join(tmpdir(), 'sgc-duckdb-'));
  for (const t of TENANTS) {
    for (const file of [`db_${t}`, `named_${t}`]) {
      const db = await rawDuckdb(join(dir, `${file}.duckdb`));
      await seedOrders(db, engine, 'orders', rowsOf(t), false);
      await db.close();
    }
  }
  const main = await rawDuckdb(join(dir, 'main.duckdb'));
  await seedMain(main, engine, (s) => `CREATE SCHEMA ${s}`);
  return {
    engine, duckdbDir: dir, main,
    release: () => main.close(),
    drop: async () => rmSync(dir, { recursive: true, force: true }),
  };
}
