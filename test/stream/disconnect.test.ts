/**
 * A client that goes away stops its query in the database, whether it leaves while the
 * statement runs (before any byte of the answer) or in the middle of a streamed export, and
 * its audit line is still written, with `outcome: "aborted"`. Against real PostgreSQL
 * (pg_stat_activity) and MariaDB (the process list); DuckDB is interrupted in process.
 */
import { PassThrough } from 'node:stream';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pino } from 'pino';
import { AuditLog } from '../../src/audit/audit-log.ts';
import { StdoutSink } from '../../src/audit/sinks.ts';
import { Gateway, stateFor } from '../../src/service/gateway.ts';
import { startServer, type RunningServer } from '../../src/server.ts';
import { loadCatalog } from '../helpers/catalog.ts';
import { rawMysql, rawPostgres, type RawSql } from '../helpers/seed.ts';
import { requireServices } from '../helpers/services.ts';
import { DUCK_ROWS, KEYS, seedMysql, seedPostgres, writeStreamConfig } from './fixture.ts';
import { eventually } from '../helpers/wait.ts';

const svc = await requireServices('postgres', 'mysql');

let server: RunningServer;
let audit: AuditLog;
const lines: string[] = [];
let pgDb: RawSql;
let myDb: RawSql;

beforeAll(async () => {
  if (!svc.ok) return;
  await seedPostgres();
  await seedMysql();
  const out = new PassThrough();
  out.on('data', (d: Buffer) => lines.push(...d.toString().split('\n').filter(Boolean)));
  const logger = pino({ level: 'silent' });
  audit = new AuditLog(new StdoutSink(out), path.join(tmpdir(), `semgate-stream-spool-${process.pid}`), logger, { flushMs: 50 });
  const dir = writeStreamConfig();
  const gateway = new Gateway(stateFor(await loadCatalog(dir)), logger, { audit });
  server = await startServer({ configDir: dir, gateway, port: 0, host: '127.0.0.1' });
  pgDb = await rawPostgres();
  myDb = await rawMysql();
}, 600_000);

afterAll(async () => {
  await server?.close();
  await pgDb?.close();
  await myDb?.close();
});

async function auditLine(requestId: string): Promise<Record<string, unknown> | undefined> {
  let found: Record<string, unknown> | undefined;
  await eventually(async () => {
    await audit.flush();
    found = lines.map((l) => JSON.parse(l) as Record<string, unknown>).find((l) => l.request_id === requestId);
    return found !== undefined;
  });
  return found;
}

const running = {
  /** Backends of our gateway busy with (or holding a cursor over) the stream fixture: idle pooled ones don't count. */
  async pg(text: string): Promise<number> {
    const [row] = await pgDb.query(`SELECT COUNT(*)::int AS n FROM pg_stat_activity WHERE application_name = 'semgate' AND state <> 'idle' AND query LIKE '%${text}%' AND pid <> pg_backend_pid()`);
    return Number(row!.n);
  },
  async my(text: string): Promise<number> {
    const [row] = await myDb.query(`SELECT COUNT(*) AS n FROM information_schema.PROCESSLIST WHERE INFO LIKE '%${text}%' AND INFO NOT LIKE '%PROCESSLIST%' AND ID <> CONNECTION_ID()`);
    return Number(row!.n);
  },
};

function post(body: unknown, requestId: string, signal: AbortSignal, accept = 'application/json'): Promise<Response> {
  return fetch(`${server.url}/v1/query`, {
    method: 'POST', body: JSON.stringify(body), signal,
    headers: { 'content-type': 'application/json', authorization: `Bearer ${KEYS.a}`, 'x-request-id': requestId, accept },
  });
}

const ENGINES = [
  { engine: 'PostgreSQL', slow: 'slow_pg', items: 'items_pg', count: running.pg, slowText: 'pg_sleep(30)', itemsText: 'semgate_stream' },
  { engine: 'MariaDB', slow: 'slow_my', items: 'wide_my', count: running.my, slowText: 'SLEEP(30)', itemsText: 'semgate_stream_items' },
] as const;

describe.skipIf(!svc.ok)('a client that disconnects', () => {
  for (const e of ENGINES) {
    it(`${e.engine}: mid-query, the statement is stopped in the database and the audit line says aborted`, async () => {
      const id = `disc-query-${e.slow}-${Date.now()}`;
      const ac = new AbortController();
      const pending = post({ dataset: e.slow, dimensions: ['id'] }, id, ac.signal).catch((err: unknown) => err);
      expect(await eventually(async () => (await e.count(e.slowText)) > 0)).toBe(true);
      ac.abort();
      expect(await pending).toBeInstanceOf(Error);
      // Well before the 30 s sleep would have ended.
      expect(await eventually(async () => (await e.count(e.slowText)) === 0, 10_000)).toBe(true);
      const line = await auditLine(id);
      expect(line).toMatchObject({ request_id: id, tenant: 'a', dataset: e.slow, status: 499, outcome: 'aborted' });
    }, 60_000);

    it(`${e.engine}: mid-stream, the export's statement is stopped and the audit line says aborted`, async () => {
      const id = `disc-stream-${e.items}-${Date.now()}`;
      const ac = new AbortController();
      const res = await post({ dataset: e.items, dimensions: ['id', 'tenant', 'note'], limit: 1_500_000 }, id, ac.signal, 'text/csv');
      expect(res.status).toBe(200);
      const reader = res.body!.getReader();
      let got = 0;
      while (got < 1_000_000) got += (await reader.read()).value?.byteLength ?? 0; // into the streamed part
      expect(await eventually(async () => (await e.count(e.itemsText)) > 0)).toBe(true);
      ac.abort();
      await reader.cancel().catch(() => undefined);
      expect(await eventually(async () => (await e.count(e.itemsText)) === 0, 10_000)).toBe(true);
      const line = await auditLine(id);
      expect(line).toMatchObject({ request_id: id, dataset: e.items, status: 200, outcome: 'aborted' });
      expect(line!.rows).toBeGreaterThan(0);
      expect(line!.rows).toBeLessThan(1_000_000);
      // The pool is healthy afterwards.
      const after = await fetch(`${server.url}/v1/query`, {
        method: 'POST', body: JSON.stringify({ dataset: e.items, metrics: ['n'] }),
        headers: { 'content-type': 'application/json', authorization: `Bearer ${KEYS.b}` },
      });
      expect((await after.json() as { rows: unknown[][] }).rows).toEqual([[50_000]]);
    }, 120_000);
  }

  it('DuckDB: mid-stream, the export is interrupted, audited as aborted, and the source keeps serving', async () => {
    const id = `disc-stream-duck-${Date.now()}`;
    const ac = new AbortController();
    const res = await post({ dataset: 'items_duck', dimensions: ['id', 'tenant', 'note'], limit: 1_000_000 }, id, ac.signal, 'text/csv');
    const reader = res.body!.getReader();
    let got = 0;
    while (got < 1_200_000) got += (await reader.read()).value?.byteLength ?? 0;
    ac.abort();
    await reader.cancel().catch(() => undefined);
    const line = await auditLine(id);
    expect(line).toMatchObject({ request_id: id, dataset: 'items_duck', status: 200, outcome: 'aborted' });
    const after = await fetch(`${server.url}/v1/query`, {
      method: 'POST', body: JSON.stringify({ dataset: 'items_duck', metrics: ['n'] }),
      headers: { 'content-type': 'application/json', authorization: `Bearer ${KEYS.a}` },
    });
    expect((await after.json() as { rows: unknown[][] }).rows).toEqual([[DUCK_ROWS.a]]);
  }, 60_000);

  it('PostgreSQL failing mid-stream: the connection is cut (the body never looks complete), the line says failed', async () => {
    const id = `fail-stream-${Date.now()}`;
    const res = await post({ dataset: 'items_pg', dimensions: ['id', 'tenant', 'note'], limit: 1_000_000 }, id, new AbortController().signal, 'text/csv');
    expect(res.status).toBe(200);
    const reader = res.body!.getReader();
    let got = 0;
    while (got < 2_000_000) got += (await reader.read()).value?.byteLength ?? 0;
    // The database goes away under the export.
    await pgDb.exec(`SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = 'semgate' AND state <> 'idle' AND query LIKE '%semgate_stream%' AND pid <> pg_backend_pid()`);
    let text = '';
    const decoder = new TextDecoder();
    const ended = await (async () => {
      for (;;) {
        const { done, value } = await reader.read();
        if (done) return 'ended';
        text += decoder.decode(value, { stream: true });
      }
    })().catch(() => 'cut');
    expect(ended).toBe('cut');
    expect(text).not.toContain('Error');
    const line = await auditLine(id);
    expect(line).toMatchObject({ request_id: id, status: 200, outcome: 'failed' });
    expect(line!.rows).toBeLessThan(1_000_000);
  }, 120_000);

  it('a completed export is audited as ok with its rows and bytes', async () => {
    const id = `done-${Date.now()}`;
    const res = await post({ dataset: 'items_duck', dimensions: ['id', 'tenant', 'note'], limit: 1_000_000 }, id, new AbortController().signal, 'text/csv');
    const text = await res.text();
    const line = await auditLine(id);
    expect(line).toMatchObject({ status: 200, outcome: 'ok', rows: DUCK_ROWS.a, bytes: Buffer.byteLength(text) });
  }, 60_000);
});
