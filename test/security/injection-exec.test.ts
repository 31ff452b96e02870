/**
 * The attack corpus on real engines: every payload that compiles in a value position runs
 * on DuckDB (the demo), PostgreSQL and MariaDB. No run may fail, each count must be what the
 * operator means over the tenant's actual values, and afterwards every table is still there
 * with the rows it had (stacked queries did nothing).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/catalog/load.ts';
import type { Catalog } from '../../src/catalog/types.ts';
import type { FilterOp, Principal } from '../../src/query/types.ts';
import { executePrepared, prepareQuery } from '../../src/service/query.ts';
import { SourceRegistry } from '../../src/sources/registry.ts';
import { generateOrders, rawMysql, rawPostgres, seedOrders, type RawSql } from '../helpers/seed.ts';
import { requireServices } from '../helpers/services.ts';
import { PAYLOADS } from './payloads.ts';

const analyst = (tenant: string): Principal => ({ keyId: 'k_test', tenant, role: 'analyst', isAdmin: false, allowedDatasets: null });

const STRING_OPS: readonly FilterOp[] = ['eq', 'ne', 'in', 'not_in', 'contains', 'starts_with', 'ends_with'];
const NUMBER_OPS: readonly FilterOp[] = ['eq', 'ne', 'gt', 'gte', 'lt', 'lte'];
const OTHER = 'zz_not_a_value';

/** What an operator means, over one value of the column (NULL kept by ne / not_in). */
function matches(op: FilterOp, value: string | null, p: string): boolean {
  const lower = (s: string): string => s.toLowerCase();
  switch (op) {
    case 'eq': return value === p;
    case 'ne': return value === null || value !== p;
    case 'in': return value === p || value === OTHER;
    case 'not_in': return value === null || (value !== p && value !== OTHER);
    case 'contains': return value !== null && lower(value).includes(lower(p));
    case 'starts_with': return value !== null && lower(value).startsWith(lower(p));
    case 'ends_with': return value !== null && lower(value).endsWith(lower(p));
    default: throw new Error(`no model for ${op}`);
  }
}

function compareNumbers(op: FilterOp, a: number, b: number): boolean {
  switch (op) {
    case 'eq': return a === b;
    case 'ne': return a !== b;
    case 'gt': return a > b;
    case 'gte': return a >= b;
    case 'lt': return a < b;
    case 'lte': return a <= b;
    default: throw new Error(`no model for ${op}`);
  }
}

const stringPayloads = PAYLOADS.filter((p) => typeof p.value === 'string').map((p) => p.value as string);
const numberPayloads = PAYLOADS.filter((p) => typeof p.value === 'number' && Number.isFinite(p.value)).map((p) => p.value as number);

interface Engine {
  readonly name: string;
  readonly dataset: string;
  readonly stringFields: readonly string[];
  readonly principal: Principal;
  catalog: Catalog;
  registry: SourceRegistry;
  /** Every table of the engine's database with its row count, read outside the gateway. */
  tables(): Promise<Record<string, number>>;
}

/** The suite of one engine: a baseline of the tenant's values, then the corpus. */
function engineSuite(engine: () => Engine): void {
  let e: Engine;
  let before: Record<string, number>;
  let total: number;
  const run = async (body: unknown): Promise<unknown[][]> => {
    return (await executePrepared(e.registry, prepareQuery(e.catalog, e.principal, body))).rows;
  };
  beforeAll(async () => {
    e = engine();
    before = await e.tables();
    total = Number((await run({ dataset: e.dataset, metrics: ['order_count'] }))[0]![0]);
  });

  it('every string payload in every string operator counts exactly the matching rows', async () => {
    const failures: string[] = [];
    for (const field of e.stringFields) {
      // The tenant's values of the field, read through the gateway with no payload at all.
      const groups = await run({ dataset: e.dataset, dimensions: [field], metrics: ['order_count'], limit: 5000 });
      expect(groups.reduce((s, [, n]) => s + Number(n), 0)).toBe(total);
      for (const p of stringPayloads) {
        // The operators of one payload run side by side: DuckDB scans the demo in parallel.
        await Promise.all(STRING_OPS.map(async (op) => {
          const values = op === 'in' || op === 'not_in' ? [OTHER, p] : [p];
          let prepared;
          try {
            prepared = prepareQuery(e.catalog, e.principal, { dataset: e.dataset, metrics: ['order_count'], filters: [{ field, op, values }] });
          } catch {
            return; // refused before SQL: the compile suite checks how
          }
                const got = Number((await executePrepared(e.registry, prepared)).rows[0]![0]);
          const want = groups.reduce((s, [v, n]) => s + (matches(op, v as string | null, p) ? Number(n) : 0), 0);
          if (got !== want) failures.push(`${field} ${op} ${JSON.stringify(p.slice(0, 60))}: ${got} rows, expected ${want}`);
        }));
      }
    }
    expect(failures).toEqual([]);
  });

  it('numeric payloads compare as numbers in WHERE and HAVING', async () => {
    const failures: string[] = [];
    for (const p of numberPayloads) {
      for (const op of NUMBER_OPS) {
        const rows = await run({ dataset: e.dataset, metrics: ['order_count'], filters: [{ field: 'order_count', op, values: [p] }] });
        if (rows.length !== (compareNumbers(op, total, p) ? 1 : 0)) failures.push(`order_count ${op} ${p}: ${rows.length} rows`);
      }
      // No payload is an order id of any engine's data (ids are positive and below 1e7).
      if (Number.isInteger(p) && p >= 1 && p < 1e7) continue;
      const [[n]] = await run({ dataset: e.dataset, metrics: ['order_count'], filters: [{ field: 'order_id', op: 'eq', values: [p] }] }) as [[unknown]];
      if (Number(n) !== 0) failures.push(`order_id eq ${p}: ${String(n)} rows`);
    }
    expect(failures).toEqual([]);
  });

  it('left every table and every row in place', async () => {
    expect(await e.tables()).toEqual(before);
    expect(Object.keys(before).length).toBeGreaterThan(0);
  });
}

describe('injection corpus on DuckDB (the demo)', () => {
  let catalog: Catalog;
  let registry: SourceRegistry;
  beforeAll(async () => {
    catalog = (await loadConfig('.', { env: {} })).catalog!;
    registry = new SourceRegistry(catalog.sources);
  });
  afterAll(() => registry.close());
  engineSuite(() => ({
    name: 'duckdb', dataset: 'orders', stringFields: ['region'], principal: analyst('acme_corp'), catalog, registry,
    async tables() {
      // The demo lives in memory: only the gateway's own executor sees it.
      const exec = registry.executor('demo', null);
      const names = (await exec.run({ sql: "SELECT table_name FROM information_schema.tables WHERE table_schema = 'main' ORDER BY 1", parameters: [], columnTypes: ['string'], timeoutMs: 10_000, tenant: null })).rows.map((r) => String(r[0]));
      const out: Record<string, number> = {};
      for (const t of names) {
        out[t] = Number((await exec.run({ sql: `SELECT COUNT(*) FROM "${t}"`, parameters: [], columnTypes: ['integer'], timeoutMs: 10_000, tenant: null })).rows[0]![0]);
      }
      return out;
    },
  }));
});

const services = await requireServices('postgres', 'mysql');
const pgDb = `sgs_sec_pg_${process.pid}`;
const myDb = `sgs_sec_my_${process.pid}`;

/** The orders of two tenants and a canary table no payload should reach. */
async function seed(db: RawSql, engine: 'postgres' | 'mysql'): Promise<void> {
  await seedOrders(db, engine, 'orders', generateOrders(['acme', 'globex'], 150), true);
  await db.exec('CREATE TABLE canary (id INTEGER PRIMARY KEY)');
  await db.exec('INSERT INTO canary VALUES (1), (2), (3)');
}

async function countTables(db: RawSql, listSql: string): Promise<Record<string, number>> {
  const out: Record<string, number> = {};
  for (const row of await db.query(listSql)) {
    const t = String(Object.values(row)[0]);
    out[t] = Number(Object.values((await db.query(`SELECT COUNT(*) AS n FROM ${t}`))[0]!)[0]);
  }
  return out;
}

describe.skipIf(!services.ok)('injection corpus on PostgreSQL and MariaDB', () => {
  let pgAdmin: RawSql, myAdmin: RawSql, pgRaw: RawSql, myRaw: RawSql;
  let catalog: Catalog;
  let registry: SourceRegistry;
  beforeAll(async () => {
    pgAdmin = await rawPostgres();
    myAdmin = await rawMysql();
    await pgAdmin.exec(`DROP DATABASE IF EXISTS ${pgDb}`);
    await pgAdmin.exec(`CREATE DATABASE ${pgDb}`);
    await myAdmin.exec(`DROP DATABASE IF EXISTS ${myDb}`);
    await myAdmin.exec(`CREATE DATABASE ${myDb} CHARACTER SET utf8mb4`);
    pgRaw = await rawPostgres(pgDb);
    myRaw = await rawMysql(myDb);
    await seed(pgRaw, 'postgres');
    await seed(myRaw, 'mysql');
    const loaded = await loadConfig('test/security/fixture', { env: { ...process.env, SGS_PG_DB: pgDb, SGS_MY_DB: myDb } });
    expect(loaded.issues.filter((i) => i.severity === 'error')).toEqual([]);
    catalog = loaded.catalog!;
    registry = new SourceRegistry(catalog.sources);
  });
  afterAll(async () => {
    await registry?.close();
    await pgRaw?.close();
    await myRaw?.close();
    await pgAdmin?.exec(`DROP DATABASE IF EXISTS ${pgDb} WITH (FORCE)`);
    await myAdmin?.exec(`DROP DATABASE IF EXISTS ${myDb}`);
    await pgAdmin?.close();
    await myAdmin?.close();
  });

  describe('postgres', () => engineSuite(() => ({
    name: 'postgres', dataset: 'pg_orders', stringFields: ['note', 'region'], principal: analyst('acme'), catalog, registry,
    tables: () => countTables(pgRaw, "SELECT table_name FROM information_schema.tables WHERE table_schema = 'public' ORDER BY 1"),
  })));

  describe('mariadb', () => engineSuite(() => ({
    name: 'mariadb', dataset: 'my_orders', stringFields: ['note', 'region'], principal: analyst('acme'), catalog, registry,
    tables: () => countTables(myRaw, `SELECT table_name FROM information_schema.tables WHERE table_schema = '${myDb}' ORDER BY 1`),
  })));
});
