/**
 * Results over the buffer bound (1 MiB) are written while they are read from the database,
 * on all three engines, as JSON, CSV and OData: the body is complete and valid, `meta` (after
 * `rows`) and the OData next link (after `value`) tell the truth, nothing streamed is cached,
 * and no streamed export ever carries another tenant's row.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pino } from 'pino';
import { loadCatalog } from '../helpers/catalog.ts';
import { requireServices } from '../helpers/services.ts';
import { Gateway, stateFor } from '../../src/service/gateway.ts';
import { startServer, type RunningServer } from '../../src/server.ts';
import { DUCK_ROWS, KEYS, MY_ROWS, PG_ROWS, seedMysql, seedPostgres, writeStreamConfig } from './fixture.ts';

const svc = await requireServices('postgres', 'mysql');

const ENGINES = [
  { dataset: 'items_pg', rows: PG_ROWS },
  { dataset: 'items_my', rows: MY_ROWS },
  { dataset: 'items_duck', rows: DUCK_ROWS },
] as const;

let server: RunningServer;

beforeAll(async () => {
  if (!svc.ok) return;
  await seedPostgres();
  await seedMysql();
  const dir = writeStreamConfig();
  const gateway = new Gateway(stateFor(await loadCatalog(dir)), pino({ level: 'silent' }));
  server = await startServer({ configDir: dir, gateway, port: 0, host: '127.0.0.1' });
}, 600_000);

afterAll(async () => {
  await server?.close();
});

function query(key: string, body: unknown, headers: Record<string, string> = {}, search = ''): Promise<Response> {
  return fetch(`${server.url}/v1/query${search}`, {
    method: 'POST', body: JSON.stringify(body),
    headers: { 'content-type': 'application/json', authorization: `Bearer ${key}`, ...headers },
  });
}

const all = (dataset: string, limit: number, extra: Record<string, unknown> = {}) => ({ dataset, dimensions: ['id', 'tenant', 'note'], limit, ...extra });

interface JsonAnswer { columns: { name: string }[]; rows: [number, string, string][]; meta: { row_count: number; truncated: boolean; cached: boolean; request_id: string } }

describe.skipIf(!svc.ok)('streamed answers', () => {
  for (const { dataset, rows } of ENGINES) {
    describe(dataset, () => {
      it('JSON: a result over the buffer streams whole, meta after rows says how many and that it was cut', async () => {
        const limit = Math.min(100_000, rows.a - 1);
        const res = await query(KEYS.a, all(dataset, limit));
        expect(res.status).toBe(200);
        expect(res.headers.get('x-cache')).toBe('MISS');
        // Not known when the first byte left: not claimed.
        expect(res.headers.get('x-row-count')).toBeNull();
        expect(res.headers.get('x-truncated')).toBeNull();
        const text = await res.text();
        expect(text.indexOf('"meta"')).toBeGreaterThan(text.indexOf('"rows"'));
        const body = JSON.parse(text) as JsonAnswer;
        expect(body.columns.map((c) => c.name)).toEqual(['id', 'tenant', 'note']);
        expect(body.rows).toHaveLength(limit);
        expect(body.meta).toMatchObject({ row_count: limit, truncated: rows.a > limit, cached: false });
        expect(body.rows[0]).toEqual([1, 'a', 'n1']);
        expect(body.rows[limit - 1]).toEqual([limit, 'a', `n${limit}`]);
        expect(body.rows.every((r) => r[1] === 'a' && r[2] === `n${r[0]}`)).toBe(true);
        // Too big to keep: the same query runs again.
        const again = await query(KEYS.a, all(dataset, limit));
        expect(again.headers.get('x-cache')).toBe('MISS');
        await again.body?.cancel();
      });

      it('CSV: every row of the tenant, none of the other, and no truncation claimed up front', async () => {
        const res = await query(KEYS.b, all(dataset, 200_000), { accept: 'text/csv' });
        expect(res.status).toBe(200);
        expect(res.headers.get('content-type')).toMatch(/^text\/csv/);
        expect(res.headers.get('x-truncated')).toBeNull();
        const lines = (await res.text()).split('\r\n');
        expect(lines[0]).toBe('id,tenant,note');
        expect(lines.at(-1)).toBe('');
        const data = lines.slice(1, -1);
        expect(data).toHaveLength(rows.b);
        expect(data.every((l) => /^\d+,b,b-\d+$/.test(l))).toBe(true);
        expect(data[0]).toBe(`${rows.a + 1},b,b-${rows.a + 1}`);
      });

      it('OData: value streams, the next link follows it when the page was cut', async () => {
        const res = await fetch(`${server.url}/odata/${dataset}?$select=id,tenant,note&$count=true`, {
          headers: { authorization: `Bearer ${KEYS.a}`, prefer: 'odata.maxpagesize=45000' },
        });
        expect(res.status).toBe(200);
        expect(res.headers.get('odata-version')).toBe('4.0');
        const text = await res.text();
        const body = JSON.parse(text) as { '@odata.count': number; value: { id: number; tenant: string; note: string }[]; '@odata.nextLink'?: string };
        expect(body['@odata.count']).toBe(rows.a);
        expect(body.value).toHaveLength(45_000);
        expect(body.value.every((e) => e.tenant === 'a' && e.note === `n${e.id}`)).toBe(true);
        expect(text.indexOf('@odata.nextLink')).toBeGreaterThan(text.indexOf('"value"'));
        // The link goes on where the page stopped.
        const next = await fetch(body['@odata.nextLink']!, { headers: { authorization: `Bearer ${KEYS.a}`, prefer: 'odata.maxpagesize=45000' } });
        const page2 = await next.json() as { value: { id: number }[] };
        expect(page2.value[0]!.id).toBe(45_001);
        // The other tenant's whole set in one page: no link, all its rows.
        const b = await fetch(`${server.url}/odata/${dataset}?$select=id,tenant,note`, { headers: { authorization: `Bearer ${KEYS.b}` } });
        const bBody = await b.json() as { value: { tenant: string }[]; '@odata.nextLink'?: string };
        expect(bBody.value).toHaveLength(rows.b);
        expect(bBody.value.every((e) => e.tenant === 'b')).toBe(true);
        expect(bBody['@odata.nextLink']).toBeUndefined();
      });

      it("another tenant's rows cannot be read through a streamed export", async () => {
        // A filter naming the other tenant only narrows the caller's own rows.
        const byFilter = await query(KEYS.a, all(dataset, 200_000, { filters: [{ field: 'tenant', op: 'eq', values: ['b'] }] }), { accept: 'text/csv' });
        expect((await byFilter.text()).split('\r\n').filter(Boolean)).toEqual(['id,tenant,note']);
        const byNote = await query(KEYS.a, all(dataset, 200_000, { filters: [{ field: 'note', op: 'starts_with', values: ['b-'] }] }));
        expect((await byNote.json() as JsonAnswer).rows).toEqual([]);
        // A tenant key may not pick another tenant.
        const header = await query(KEYS.a, all(dataset, 200_000), { accept: 'text/csv', 'x-tenant-id': 'b' });
        expect(header.status).toBe(403);
        expect(header.headers.get('content-type')).toMatch(/problem\+json/);
        const odata = await fetch(`${server.url}/odata/${dataset}?$select=id,note&$filter=${encodeURIComponent("tenant eq 'b' or startswith(note,'b-')")}`, { headers: { authorization: `Bearer ${KEYS.a}` } });
        expect((await odata.json() as { value: unknown[] }).value).toEqual([]);
        // A big streamed export of `a`: not one row of b.
        const csv = await (await query(KEYS.a, all(dataset, 200_000), { accept: 'text/csv' })).text();
        expect(csv).not.toContain(',b,');
        expect(csv).not.toContain('b-');
        expect(csv.split('\r\n').length - 2).toBe(Math.min(rows.a, 200_000));
      }, 120_000);

      it('a small result is still answered whole: row count and truncation up front, and cached', async () => {
        const first = await query(KEYS.a, all(dataset, 10), { accept: 'text/csv' });
        expect(first.headers.get('x-row-count')).toBe('10');
        expect(first.headers.get('x-truncated')).toBe('true');
        expect((await first.text()).split('\r\n')).toHaveLength(12);
        const second = await query(KEYS.a, all(dataset, 10));
        expect(second.headers.get('x-cache')).toBe('HIT');
        expect((await second.json() as JsonAnswer).meta).toMatchObject({ row_count: 10, truncated: true, cached: true });
      });
    });
  }
});
