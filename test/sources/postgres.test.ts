import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createPostgresExecutor } from '../../src/sources/postgres.ts';
import type { Executor } from '../../src/sources/types.ts';
import { requireServices, services } from '../helpers/services.ts';
import { gatewayError, itMeetsTheSharedContract, makeSource, req, setupStatements } from './fixture.ts';

const service = await requireServices('postgres');
const { host, port, user, password, database } = services.postgres;
const table = `semgate_src_pg_${process.pid}`;
const marker = `semgate_pg_timeout_${process.pid}`;
const source = makeSource('postgres', { host, port, user, password, database });

describe.skipIf(!service.ok)('postgres executor', () => {
  let admin: pg.Client;
  let exec: Executor;

  beforeAll(async () => {
    admin = new pg.Client(services.postgres);
    await admin.connect();
    for (const sql of setupStatements('postgres', table)) await admin.query(sql);
    exec = createPostgresExecutor(source, null);
  });

  afterAll(async () => {
    await exec?.close();
    await admin?.query(`DROP TABLE IF EXISTS ${table}`);
    await admin?.end();
  });

  itMeetsTheSharedContract('postgres', table, () => exec);

  it('gives null for NaN and Infinity, and UTC for zoned timestamps', async () => {
    const { rows } = await exec.run(
      req(
        `SELECT 'NaN'::float8, '-Infinity'::float8, 'NaN'::numeric, '2024-01-31 12:34:56.789+02'::timestamptz,
                date_trunc('month', '2024-03-15 10:00'::timestamp), 'infinity'::date`,
        ['number', 'number', 'number', 'timestamp', 'date', 'date'],
      ),
    );
    expect(rows).toEqual([[null, null, null, '2024-01-31T10:34:56.789Z', '2024-03-01', null]]);
  });

  it("leaves pg's process-wide type parsers alone", () => {
    expect(pg.types.getTypeParser(1082, 'text')('2024-01-31')).toBeInstanceOf(Date);
  });

  it('cancels a query in the database at the timeout (504)', async () => {
    const started = performance.now();
    const err = await gatewayError(exec.run(req(`SELECT pg_sleep(5) /* ${marker} */`, ['string'], [], { timeoutMs: 300 })));
    expect(err.status).toBe(504);
    expect(err.code).toBe('source.timeout');
    expect(performance.now() - started).toBeLessThan(2_000);
    const { rows } = await admin.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM pg_stat_activity WHERE state = 'active' AND query LIKE $1 AND pid <> pg_backend_pid()`,
      [`%${marker}%`],
    );
    expect(rows[0]?.n).toBe(0);
    // The connection that was cancelled goes back to the pool and works.
    expect((await exec.run(req('SELECT 1', ['integer']))).rows).toEqual([[1]]);
  });

  it('sets the native RLS setting only inside the tenant transaction', async () => {
    const rls = createPostgresExecutor(
      makeSource('postgres', source.connection, {
        nativeRls: { setting: 'app.current_tenant_id' },
        pool: { max: 1, idleTimeoutMs: 10_000, maxTenantPools: 1 },
      }),
      null,
    );
    try {
      const sql = `SELECT current_setting('app.current_tenant_id', true)`;
      expect((await rls.run(req(sql, ['string'], [], { tenant: 'acme' }))).rows).toEqual([['acme']]);
      // Same single connection, no tenant: nothing carried over from the last request.
      const after = (await rls.run(req(sql, ['string']))).rows[0]?.[0];
      expect(after === null || after === '').toBe(true);
    } finally {
      await rls.close();
    }
  });

  it('maps a failing statement to 500 without SQL in the message', async () => {
    const err = await gatewayError(exec.run(req(`SELECT * FROM ${table}_missing`, ['string'])));
    expect(err.status).toBe(500);
    expect(err.code).toBe('source.query_failed');
    expect(err.message).toBe('The query failed in the source');
  });

  it('answers 503 when the server is unreachable, naming no host', async () => {
    const down = createPostgresExecutor(makeSource('postgres', { ...source.connection, port: 1 }), null);
    try {
      const err = await gatewayError(down.run(req('SELECT 1', ['integer'])));
      expect(err.status).toBe(503);
      expect(err.code).toBe('source.unavailable');
      expect(err.message).toBe("Source 'test_postgres' is unavailable");
      expect(err.headers).toEqual({ 'Retry-After': '5' });
      await expect(down.ping()).rejects.toMatchObject({ status: 503 });
    } finally {
      await down.close();
    }
  });

  it('answers 503 when too many requests wait for a connection', async () => {
    const small = createPostgresExecutor(
      makeSource('postgres', source.connection, { pool: { max: 1, idleTimeoutMs: 10_000, maxTenantPools: 1 } }),
      null,
    );
    try {
      const runs = Array.from({ length: 20 }, () => small.run(req('SELECT pg_sleep(0.02)', ['string'])));
      const settled = await Promise.allSettled(runs);
      const rejected = settled.filter((s) => s.status === 'rejected').map((s) => (s as PromiseRejectedResult).reason);
      expect(rejected.length).toBe(3); // 1 running + 16 queued (the minimum queue) accepted
      for (const r of rejected) expect(r).toMatchObject({ status: 503, code: 'source.unavailable' });
    } finally {
      await small.close();
    }
  });
});
