/**
 * A streamed PostgreSQL export read slowly by its client is not cut by the dataset's
 * `timeout_ms`: the limit is for the database's work on each batch, and the server's
 * statement_timeout (which would count the time the open cursor waits for the client)
 * is off for the stream's transaction.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Gateway, stateFor } from '../../src/service/gateway.ts';
import { startServer, type RunningServer } from '../../src/server.ts';
import { loadCatalog } from '../helpers/catalog.ts';
import { requireServices } from '../helpers/services.ts';
import { KEYS, PG_ROWS, seedPostgres, writeStreamConfig } from './fixture.ts';

const svc = await requireServices('postgres');
const TIMEOUT_MS = 1500;
let server: RunningServer;

beforeAll(async () => {
  if (!svc.ok) return;
  await seedPostgres();
  const dir = writeStreamConfig({ engines: ['postgres'], ttl: 0 });
  const file = path.join(dir, 'catalog.yaml');
  writeFileSync(file, readFileSync(file, 'utf8').replaceAll('timeout_ms: 120000', `timeout_ms: ${TIMEOUT_MS}`));
  const gateway = new Gateway(stateFor(await loadCatalog(dir)), pino({ level: 'silent' }));
  server = await startServer({ configDir: dir, gateway, port: 0, host: '127.0.0.1' });
}, 600_000);

afterAll(async () => {
  await server?.close();
});

describe.skipIf(!svc.ok)('a slow reader of a streamed PostgreSQL export', () => {
  it(`pauses for longer than timeout_ms (${TIMEOUT_MS} ms) and still gets every row`, async () => {
    const limit = PG_ROWS.a - 1; // about 25 MB: far more than socket buffers hold during the pause
    expect(PG_ROWS.a).toBeGreaterThan(limit);
    const res = await fetch(`${server.url}/v1/query`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'text/csv', authorization: `Bearer ${KEYS.a}` },
      body: JSON.stringify({ dataset: 'items_pg', dimensions: ['id', 'tenant', 'note'], limit }),
    });
    expect(res.status).toBe(200);
    const reader = res.body!.getReader();
    const decoder = new TextDecoder();
    let text = '';
    const first = await reader.read();
    text += decoder.decode(first.value, { stream: true });
    // The client stops reading: the socket fills, the cursor waits with its portal open.
    await new Promise((r) => setTimeout(r, TIMEOUT_MS * 3));
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      text += decoder.decode(value, { stream: true });
    }
    const lines = text.trimEnd().split(/\r?\n/);
    expect(lines[0]).toBe('id,tenant,note');
    expect(lines).toHaveLength(limit + 1);
    expect(lines.slice(1).every((l) => l.includes(',a,'))).toBe(true);
  }, 180_000);
});
