/**
 * A client that stops reading a streamed export (without closing its connection) does not
 * hold its slot, its pooled connection and its open cursor for ever: after
 * SEMGATE_STREAM_STALL_MS with a chunk waiting, the statement is stopped in the database,
 * the connection is cut, and the audit line says aborted. A client that pauses for less
 * gets every row (test/stream/slow-reader.test.ts pauses past timeout_ms with the default).
 */
import { PassThrough } from 'node:stream';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pino } from 'pino';
import { AuditLog } from '../../src/audit/audit-log.ts';
import { StdoutSink } from '../../src/audit/sinks.ts';
import { Gateway, stateFor } from '../../src/service/gateway.ts';
import { serverLimitsFromEnv, startServer, type RunningServer } from '../../src/server.ts';
import { loadCatalog } from '../helpers/catalog.ts';
import { rawPostgres, type RawSql } from '../helpers/seed.ts';
import { requireServices } from '../helpers/services.ts';
import { eventually } from '../helpers/wait.ts';
import { KEYS, seedPostgres, writeStreamConfig } from './fixture.ts';

const svc = await requireServices('postgres');
const STALL_MS = 1500;

let server: RunningServer;
let audit: AuditLog;
const lines: string[] = [];
let pgDb: RawSql;
const saved = process.env.SEMGATE_STREAM_STALL_MS;

beforeAll(async () => {
  if (!svc.ok) return;
  process.env.SEMGATE_STREAM_STALL_MS = String(STALL_MS);
  await seedPostgres();
  const out = new PassThrough();
  out.on('data', (d: Buffer) => lines.push(...d.toString().split('\n').filter(Boolean)));
  const logger = pino({ level: 'silent' });
  audit = new AuditLog(new StdoutSink(out), path.join(tmpdir(), `semgate-stall-spool-${process.pid}`), logger, { flushMs: 50 });
  const dir = writeStreamConfig({ engines: ['postgres'], ttl: 0 });
  const gateway = new Gateway(stateFor(await loadCatalog(dir)), logger, { audit });
  server = await startServer({ configDir: dir, gateway, port: 0, host: '127.0.0.1' });
  pgDb = await rawPostgres();
}, 600_000);

afterAll(async () => {
  if (saved === undefined) delete process.env.SEMGATE_STREAM_STALL_MS;
  else process.env.SEMGATE_STREAM_STALL_MS = saved;
  await server?.close();
  await pgDb?.close();
});

/** Our gateway's backends busy with (or holding a cursor over) the stream fixture. */
async function busy(): Promise<number> {
  const [row] = await pgDb.query(`SELECT COUNT(*)::int AS n FROM pg_stat_activity WHERE application_name = 'semgate' AND state <> 'idle' AND query LIKE '%semgate_stream%' AND pid <> pg_backend_pid()`);
  return Number(row!.n);
}

describe('SEMGATE_STREAM_STALL_MS', () => {
  it('is read from the environment and checked at start', () => {
    expect(serverLimitsFromEnv({}).streamStallMs).toBe(60_000);
    expect(serverLimitsFromEnv({ SEMGATE_STREAM_STALL_MS: '0' }).streamStallMs).toBe(0);
    expect(() => serverLimitsFromEnv({ SEMGATE_STREAM_STALL_MS: '5s' })).toThrow(/SEMGATE_STREAM_STALL_MS must be a whole number of milliseconds/);
    // Past 2^31 - 1 ms node's timers fire at once: refused, not a 1 ms limit.
    expect(() => serverLimitsFromEnv({ SEMGATE_STREAM_STALL_MS: '9999999999' })).toThrow(/up to 2147483647/);
    expect(serverLimitsFromEnv({ SEMGATE_STREAM_STALL_MS: '2147483647' }).streamStallMs).toBe(2_147_483_647);
    // The same bound for every duration from the environment: each one ends up in a timer.
    expect(() => serverLimitsFromEnv({ SEMGATE_DRAIN_TIMEOUT_MS: '9999999999' })).toThrow(/SEMGATE_DRAIN_TIMEOUT_MS must be a whole number of milliseconds up to 2147483647/);
  });
});

describe.skipIf(!svc.ok)('a client that stops reading a streamed export', () => {
  for (const kind of ['csv', 'json'] as const) {
    it(`${kind}: is cut after the stall limit; the statement stops, the slot frees, the audit line says aborted`, async () => {
      const id = `stall-${kind}-${Date.now()}`;
      const res = await fetch(`${server.url}/v1/query`, {
        method: 'POST',
        body: JSON.stringify({ dataset: 'items_pg', dimensions: ['id', 'tenant', 'note'], limit: 1_500_000 }),
        headers: { 'content-type': 'application/json', authorization: `Bearer ${KEYS.a}`, 'x-request-id': id, accept: kind === 'csv' ? 'text/csv' : 'application/json' },
      });
      expect(res.status).toBe(200);
      const reader = res.body!.getReader();
      let got = 0;
      while (got < 1_000_000) got += (await reader.read()).value?.byteLength ?? 0; // into the streamed part
      expect(await busy()).toBeGreaterThan(0);
      // The client reads nothing more: socket buffers fill, then a chunk waits.
      const stopped = Date.now();
      expect(await eventually(async () => (await busy()) === 0, 30_000)).toBe(true);
      expect(Date.now() - stopped).toBeGreaterThanOrEqual(STALL_MS);
      let line: Record<string, unknown> | undefined;
      await eventually(async () => {
        await audit.flush();
        line = lines.map((l) => JSON.parse(l) as Record<string, unknown>).find((l) => l.request_id === id);
        return line !== undefined;
      });
      expect(line).toMatchObject({ request_id: id, dataset: 'items_pg', status: 200, outcome: 'aborted' });
      expect(line!.rows).toBeLessThan(1_500_000);
      // What is left in the socket can be read, but the answer never completes.
      const rest = await (async () => {
        try {
          for (;;) {
            const { done, value } = await reader.read();
            if (done) return 'ended';
            got += value.byteLength;
          }
        } catch {
          return 'cut';
        }
      })();
      expect(rest).toBe('cut');
      // The slot and the connection are back: tenant b's query runs.
      const after = await fetch(`${server.url}/v1/query`, {
        method: 'POST', body: JSON.stringify({ dataset: 'items_pg', metrics: ['n'] }),
        headers: { 'content-type': 'application/json', authorization: `Bearer ${KEYS.b}` },
      });
      expect(after.status).toBe(200);
    }, 120_000);
  }

  it('a client that keeps reading is never cut, however long the export takes', async () => {
    const res = await fetch(`${server.url}/v1/query`, {
      method: 'POST',
      body: JSON.stringify({ dataset: 'items_pg', dimensions: ['id', 'tenant', 'note'], limit: 200_000 }),
      headers: { 'content-type': 'application/json', authorization: `Bearer ${KEYS.a}`, accept: 'text/csv' },
    });
    const reader = res.body!.getReader();
    let newlines = 0;
    // Slow but steady: a pause shorter than the limit after every chunk.
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      for (const b of value) if (b === 10) newlines++;
      await new Promise((r) => setTimeout(r, STALL_MS / 10));
    }
    expect(newlines).toBe(200_001);
  }, 180_000);
});
