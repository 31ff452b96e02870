/**
 * HEAD on a route whose GET streams: hono runs the GET handler and drops its body unread.
 * The streamed query must still end: its concurrency slot and pool connection are given
 * back, its audit line is written, and the gateway can close (a SIGTERM drain would wait
 * forever for a leaked connection).
 */
import path from 'node:path';
import { tmpdir } from 'node:os';
import { pino } from 'pino';
import { afterAll, describe, expect, it } from 'vitest';
import { createApp } from '../../src/app.ts';
import { AuditLog } from '../../src/audit/index.ts';
import { Gateway, stateFor } from '../../src/service/gateway.ts';
import { loadCatalog } from '../helpers/catalog.ts';
import { DUCK_ROWS, KEYS, writeStreamConfig } from './fixture.ts';

describe('HEAD on a streamed answer', async () => {
  const lines: string[] = [];
  const sink = { name: 'memory', async write(l: readonly string[]) { lines.push(...l); }, async close() {} };
  const logger = pino({ level: 'silent' });
  const gateway = new Gateway(stateFor(await loadCatalog(writeStreamConfig({ engines: ['duckdb'], ttl: 0 }))), logger,
    { audit: new AuditLog(sink, path.join(tmpdir(), `semgate-head-spool-${process.pid}`), logger) });
  await gateway.start();
  const app = createApp(gateway);
  let closed = false;
  afterAll(async () => { if (!closed) await gateway.close(); });

  it('releases the slot and the connection, writes the audit line, and lets the gateway close', async () => {
    const top = DUCK_ROWS.a - 1; // well over the 1 MiB held before streaming starts
    for (let i = 0; i < 3; i++) {
      const res = await app.request(`/odata/items_duck?$select=id,note&$top=${top}`, { method: 'HEAD', headers: { authorization: `Bearer ${KEYS.a}` } });
      expect(res.status).toBe(200);
      expect(res.body).toBeNull();
    }
    expect(gateway.concurrency.tenantStats('duck', 'a')).toEqual({ running: 0, waiting: 0 });
    // An idle gate is dropped: no entry is as good as zero.
    expect(gateway.concurrency.stats()['duck'] ?? { running: 0, waiting: 0 }).toEqual({ running: 0, waiting: 0 });
    // A streamed answer's line is recorded once its stream has settled: wait for the three.
    const headLines = (): string[] => lines.filter((l) => l.includes('"HEAD '));
    for (let i = 0; i < 100 && headLines().length < 3; i++) await new Promise((r) => setTimeout(r, 50));
    await gateway.audit.flush();
    const heads = lines.map((l) => JSON.parse(l) as { action: string; status: number; tenant: string }).filter((e) => e.action.startsWith('HEAD'));
    expect(heads).toHaveLength(3);
    expect(heads.every((e) => e.status === 200 && e.tenant === 'a')).toBe(true);
    // A GET after them streams every row: nothing was left holding the pool.
    const res = await app.request(`/odata/items_duck?$select=id&$top=${top}`, { headers: { authorization: `Bearer ${KEYS.a}` } });
    const body = (await res.json()) as { value: { id: number }[] };
    expect(body.value).toHaveLength(top);
    const closing = gateway.close().then(() => 'closed');
    expect(await Promise.race([closing, new Promise((r) => setTimeout(() => r('stuck'), 20_000))])).toBe('closed');
    closed = true;
  }, 120_000);
});
