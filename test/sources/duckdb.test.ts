import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { DuckDBInstance } from '@duckdb/node-api';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDuckdbExecutor } from '../../src/sources/duckdb.ts';
import type { Executor } from '../../src/sources/types.ts';
import { gatewayError, itMeetsTheSharedContract, makeSource, req, setupStatements } from './fixture.ts';

// Embedded: no service needed. init_sql builds the table, which also tests init_sql.
const table = 'scratch';
const source = makeSource('duckdb', { path: ':memory:' }, { initSql: setupStatements('duckdb', table).join(';\n') });
// Enough work to run for many seconds on any machine; interrupt() must stop it.
const HEAVY = 'SELECT count(*) FROM range(100000000) a, range(100000) b WHERE a.range + b.range = 7';

/** A database file built by a plain DuckDB instance (as an operator's tooling would). */
async function writeFile(file: string, sql: string): Promise<void> {
  const inst = await DuckDBInstance.create(file);
  const c = await inst.connect();
  await c.run(sql);
  c.disconnectSync();
  inst.closeSync();
}

describe('duckdb executor', () => {
  let exec: Executor;
  let dir: string;

  beforeAll(() => {
    exec = createDuckdbExecutor(source, null);
    dir = mkdtempSync(path.join(tmpdir(), 'semgate-duckdb-'));
  });

  afterAll(async () => {
    await exec?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('runs init_sql once even when the first callers arrive together', async () => {
    // CREATE TABLE (without IF NOT EXISTS) fails if init_sql ran twice.
    const fresh = createDuckdbExecutor(
      makeSource('duckdb', { path: ':memory:' }, { initSql: 'CREATE TABLE once_only AS SELECT 1 AS x' }),
      null,
    );
    try {
      const results = await Promise.all(
        Array.from({ length: 6 }, () => fresh.run(req('SELECT count(*) FROM once_only', ['integer']))),
      );
      for (const r of results) expect(r.rows).toEqual([[1]]);
    } finally {
      await fresh.close();
    }
  });

  itMeetsTheSharedContract('duckdb', table, () => exec);

  it('compares a DATE column with a plain VARCHAR parameter (implicit cast)', async () => {
    const { rows } = await exec.run(req(`SELECT id FROM ${table} WHERE d = $1`, ['integer'], ['2024-02-29']));
    expect(rows).toEqual([[3]]);
  });

  it('gives null for NaN, Infinity and infinite dates, and UTC for zoned timestamps', async () => {
    const { rows } = await exec.run(
      req(
        `SELECT 'NaN'::double, '-Infinity'::double, TIMESTAMPTZ '2024-01-31 12:34:56.789+02',
                date_trunc('month', TIMESTAMP '2024-03-15 10:00'), 'infinity'::date, 170141183460469231731687303715884105727::hugeint`,
        ['number', 'number', 'timestamp', 'date', 'date', 'integer'],
      ),
    );
    expect(rows).toEqual([[null, null, '2024-01-31T10:34:56.789Z', '2024-03-01', null, '170141183460469231731687303715884105727']]);
  });

  it('interrupts a query at the timeout (504) and the connection is usable at once', async () => {
    const one = createDuckdbExecutor(makeSource('duckdb', { path: ':memory:' }, { pool: { max: 1, idleTimeoutMs: 1_000, maxTenantPools: 1 } }), null);
    try {
      const started = performance.now();
      const err = await gatewayError(one.run(req(HEAVY, ['integer'], [], { timeoutMs: 300 })));
      expect(err.status).toBe(504);
      expect(err.code).toBe('source.timeout');
      expect(performance.now() - started).toBeLessThan(2_000);
      // pool.max is 1, so this runs on the connection that was interrupted.
      const next = performance.now();
      expect((await one.run(req('SELECT 42', ['integer']))).rows).toEqual([[42]]);
      expect(performance.now() - next).toBeLessThan(1_000);
      expect(one.stats()).toEqual({ inUse: 0, idle: 1, waiting: 0 });
    } finally {
      await one.close();
    }
  });

  it('runs queries on several connections at once', async () => {
    const results = await Promise.all(
      Array.from({ length: 8 }, (_, i) => exec.run(req('SELECT $1 * 2', ['integer'], [i]))),
    );
    expect(results.map((r) => r.rows[0]?.[0])).toEqual([0, 2, 4, 6, 8, 10, 12, 14]);
    expect(exec.stats().inUse).toBe(0);
  });

  it('opens a database file, one per tenant when the path says so', async () => {
    await writeFile(path.join(dir, 't_alpha.duckdb'), "CREATE TABLE who AS SELECT current_database() AS db");
    const perTenant = makeSource('duckdb', { path: path.join(dir, 't_{tenant}.duckdb') }, { readOnly: true });
    const a = createDuckdbExecutor(perTenant, 'alpha');
    try {
      expect((await a.run(req('SELECT db FROM who', ['string']))).rows).toEqual([['t_alpha']]);
    } finally {
      await a.close();
    }
    expect(() => createDuckdbExecutor(perTenant, 'bad/../tenant')).toThrow(/Invalid tenant id/);
  });

  it('refuses a tenant id that has no database file, and never creates one (read_only: false too)', async () => {
    for (const readOnly of [true, false]) {
      const perTenant = makeSource('duckdb', { path: path.join(dir, 'p_{tenant}.duckdb') }, { readOnly, initSql: 'CREATE TABLE t AS SELECT 1 AS x' });
      const nobody = createDuckdbExecutor(perTenant, 'nobody');
      const err = await gatewayError(nobody.run(req('SELECT 1', ['integer'])));
      expect(err).toMatchObject({ status: 503, code: 'source.unavailable' });
      expect(err.message).not.toContain('nobody');
      await nobody.close();
      expect(readdirSync(dir).filter((f) => f.startsWith('p_'))).toEqual([]);
    }
  });

  it('opens files read-only unless the source says read_only: false', async () => {
    await writeFile(path.join(dir, 'ro.duckdb'), 'CREATE TABLE kept AS SELECT 1 AS x');
    const ro = createDuckdbExecutor(makeSource('duckdb', { path: path.join(dir, 'ro.duckdb') }, { readOnly: true }), null);
    try {
      expect((await ro.run(req('SELECT x FROM kept', ['integer']))).rows).toEqual([[1]]);
      for (const sql of ['CREATE TABLE evil AS SELECT 1', 'DROP TABLE kept', 'INSERT INTO kept VALUES (2)']) {
        expect(await gatewayError(ro.run(req(sql, ['integer'])))).toMatchObject({ status: 500, code: 'source.query_failed' });
      }
    } finally {
      await ro.close();
    }
    const rw = createDuckdbExecutor(makeSource('duckdb', { path: path.join(dir, 'ro.duckdb') }, { readOnly: false }), null);
    try {
      await rw.run(req('INSERT INTO kept VALUES (2)', ['integer']));
      expect((await rw.run(req('SELECT count(*) FROM kept', ['integer']))).rows).toEqual([[2]]);
    } finally {
      await rw.close();
    }
  });

  it('lets init_sql read files, then switches external access off for every query', async () => {
    const csv = path.join(dir, 'seed.csv');
    writeFileSync(csv, 'id,name\n1,a\n2,b\n');
    const src = makeSource('duckdb', { path: ':memory:' }, { initSql: `CREATE TABLE seeded AS SELECT * FROM read_csv('${csv}')` });
    const e = createDuckdbExecutor(src, null);
    try {
      expect((await e.run(req('SELECT count(*) FROM seeded', ['integer']))).rows).toEqual([[2]]);
      const attempts = [
        "SELECT * FROM read_csv('/etc/passwd')",
        `SELECT * FROM read_csv('${csv}')`,
        "SELECT * FROM read_text('/etc/hostname')",
        `COPY seeded TO '${path.join(dir, 'out.csv')}'`,
        `ATTACH '${path.join(dir, 'other.duckdb')}' AS other`,
        'SET enable_external_access = true',
      ];
      for (const sql of attempts) {
        expect(await gatewayError(e.run(req(sql, ['string']))), sql).toMatchObject({ status: 500, code: 'source.query_failed' });
      }
      // On every connection of the pool, not only the first.
      const many = await Promise.allSettled([0, 1, 2, 3].map(() => e.run(req("SELECT count(*) FROM read_csv('/etc/passwd'), range(100000)", ['integer']))));
      expect(many.every((r) => r.status === 'rejected')).toBe(true);
      expect(readdirSync(dir)).not.toContain('out.csv');
      expect(readdirSync(dir)).not.toContain('other.duckdb');
    } finally {
      await e.close();
    }
  });

  it('maps a failing statement to 500 and an unopenable file to 503', async () => {
    const failed = await gatewayError(exec.run(req('SELECT * FROM missing_table', ['string'])));
    expect(failed).toMatchObject({ status: 500, code: 'source.query_failed', message: 'The query failed in the source' });
    const broken = createDuckdbExecutor(makeSource('duckdb', { path: path.join(dir, 'no/such/dir/x.duckdb') }), null);
    const err = await gatewayError(broken.run(req('SELECT 1', ['integer'])));
    expect(err).toMatchObject({ status: 503, code: 'source.unavailable', message: "Source 'test_duckdb' is unavailable" });
    expect(err.message).not.toContain(dir);
    await broken.close();
  });
});
