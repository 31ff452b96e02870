import mysql from 'mysql2/promise';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createMysqlExecutor } from '../../src/sources/mysql.ts';
import type { Executor } from '../../src/sources/types.ts';
import { requireServices, services } from '../helpers/services.ts';
import { gatewayError, itMeetsTheSharedContract, makeSource, req, setupStatements } from './fixture.ts';

const service = await requireServices('mysql');
const { host, port, user, password, database } = services.mysql;
const table = `semgate_src_my_${process.pid}`;
const marker = `semgate_my_timeout_${process.pid}`;
const source = makeSource('mysql', { host, port, user, password, database });

describe.skipIf(!service.ok)('mysql executor', () => {
  let admin: mysql.Connection;
  let exec: Executor;

  beforeAll(async () => {
    admin = await mysql.createConnection(services.mysql);
    for (const sql of setupStatements('mysql', table)) await admin.query(sql);
    exec = createMysqlExecutor(source, null);
  });

  afterAll(async () => {
    await exec?.close();
    await admin?.query(`DROP TABLE IF EXISTS ${table}`);
    await admin?.end();
  });

  itMeetsTheSharedContract('mysql', table, () => exec);

  it('runs every session in UTC', async () => {
    const { rows } = await exec.run(
      req(`SELECT @@session.time_zone, FROM_UNIXTIME(0)`, ['string', 'timestamp']),
    );
    expect(rows).toEqual([['+00:00', '1970-01-01T00:00:00.000Z']]);
  });

  it('kills a query in the database at the timeout (504)', async () => {
    const started = performance.now();
    const err = await gatewayError(exec.run(req(`SELECT SLEEP(5) /* ${marker} */`, ['integer'], [], { timeoutMs: 300 })));
    expect(err.status).toBe(504);
    expect(err.code).toBe('source.timeout');
    expect(performance.now() - started).toBeLessThan(2_000);
    const [rows] = await admin.query<mysql.RowDataPacket[]>(
      `SELECT COUNT(*) AS n FROM information_schema.PROCESSLIST WHERE INFO LIKE ? AND ID <> CONNECTION_ID()`,
      [`%${marker}%`],
    );
    expect(Number(rows[0]?.['n'])).toBe(0);
    expect((await exec.run(req('SELECT 1', ['integer']))).rows).toEqual([[1]]);
  });

  it('maps a failing statement to 500 without SQL in the message', async () => {
    const err = await gatewayError(exec.run(req(`SELECT * FROM ${table}_missing`, ['string'])));
    expect(err.status).toBe(500);
    expect(err.code).toBe('source.query_failed');
    expect(err.message).toBe('The query failed in the source');
  });

  it('answers 503 when the server is unreachable, naming no host', async () => {
    const down = createMysqlExecutor(makeSource('mysql', { ...source.connection, port: 1 }), null);
    try {
      const err = await gatewayError(down.run(req('SELECT 1', ['integer'])));
      expect(err.status).toBe(503);
      expect(err.code).toBe('source.unavailable');
      expect(err.message).toBe("Source 'test_mysql' is unavailable");
      expect(err.headers).toEqual({ 'Retry-After': '5' });
    } finally {
      await down.close();
    }
  });

  it('answers 503 on bad credentials', async () => {
    const denied = createMysqlExecutor(
      makeSource('mysql', { ...source.connection, user: `nobody_${process.pid}`, password: 'wrong' }),
      null,
    );
    try {
      const err = await gatewayError(denied.run(req('SELECT 1', ['integer'])));
      expect(err.status).toBe(503);
      expect(err.message).not.toContain('nobody');
    } finally {
      await denied.close();
    }
  });

  it('answers 503 when too many requests wait for a connection', async () => {
    const small = createMysqlExecutor(
      makeSource('mysql', source.connection, { pool: { max: 1, idleTimeoutMs: 10_000, maxTenantPools: 1 } }),
      null,
    );
    try {
      const runs = Array.from({ length: 20 }, () => small.run(req('SELECT SLEEP(0.02)', ['integer'])));
      const settled = await Promise.allSettled(runs);
      const rejected = settled.filter((s) => s.status === 'rejected').map((s) => (s as PromiseRejectedResult).reason);
      expect(rejected.length).toBe(3);
      for (const r of rejected) expect(r).toMatchObject({ status: 503, code: 'source.unavailable' });
    } finally {
      await small.close();
    }
  });
});
