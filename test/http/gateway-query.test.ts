/**
 * POST /v1/query end to end: every answer is checked against hand-written SQL run on an
 * independent connection to the same data, for the caller's tenant. Also: truncation,
 * CSV (RFC 4180) and Server-Timing.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  ENGINES, KEYS, RAW, TRICKY_NOTE, availableEngines, byKey, num, startEngineGateway, type EngineGateway,
} from './gateway-fixture.ts';

const available = await availableEngines();

/** A strict RFC 4180 reader: CRLF records, quoted cells with doubled quotes. */
function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let i = 0;
  while (i < text.length) {
    let cell = '';
    if (text[i] === '"') {
      i++;
      for (;;) {
        if (i >= text.length) throw new Error('unterminated quoted cell');
        if (text[i] === '"' && text[i + 1] === '"') { cell += '"'; i += 2; continue; }
        if (text[i] === '"') { i++; break; }
        cell += text[i++];
      }
    } else {
      while (i < text.length && text[i] !== ',' && text[i] !== '\r') {
        if (text[i] === '"' || text[i] === '\n') throw new Error(`bare ${JSON.stringify(text[i])} at ${i}`);
        cell += text[i++];
      }
    }
    row.push(cell);
    if (text[i] === ',') { i++; continue; }
    if (text.slice(i, i + 2) !== '\r\n') throw new Error(`expected CRLF at ${i}`);
    i += 2;
    rows.push(row);
    row = [];
  }
  return rows;
}

for (const engine of ENGINES) {
  describe.skipIf(!available[engine])(`${engine}: POST /v1/query`, () => {
    let g: EngineGateway;
    beforeAll(async () => {
      g = await startEngineGateway(engine, 'query');
    });
    afterAll(async () => {
      await g?.close();
    });

    async function rows(key: string, body: Record<string, unknown>, headers: Record<string, string> = {}): Promise<unknown[][]> {
      const res = await g.req('POST', '/v1/query', { key, body, headers });
      expect(res.status, res.text).toBe(200);
      expect(res.body.meta.row_count).toBe(res.body.rows.length);
      return res.body.rows as unknown[][];
    }
    const answer = async (sql: string): Promise<unknown[][]> => (await g.answer(sql)).map((r) => Object.values(r));

    it('groups by region for each tenant exactly as raw SQL does, NULLs last', async () => {
      for (const [key, tenant] of [[KEYS.acme, 'tenant_acme'], [KEYS.globex, 'tenant_globex'], [KEYS.viewer, 'tenant_initech']]) {
        const got = await rows(key!, { dataset: 'orders', dimensions: ['region'], metrics: ['revenue', 'order_count', 'units'] });
        const raw = await answer(`SELECT region, SUM(amount) AS a, COUNT(*) AS b, SUM(quantity) AS c FROM ${g.table} WHERE tenant_id = '${tenant}' GROUP BY region`);
        expect(raw.length).toBeGreaterThan(1);
        expect(byKey(got)).toEqual(byKey(raw));
        const regions = got.map((r) => r[0]);
        expect(regions.at(-1)).toBeNull();
        expect(regions.slice(0, -1)).toEqual([...regions.slice(0, -1)].sort());
      }
    });

    it('truncates dates to months and ISO weeks as raw SQL does', async () => {
      const range = { field: 'order_date', op: 'between', values: ['2024-03-01', '2024-08-31'] };
      for (const grain of ['month', 'week'] as const) {
        const got = await rows(KEYS.globex, {
          dataset: 'orders', dimensions: [`order_date.${grain}`], metrics: ['order_count', 'revenue'], filters: [range],
        });
        const raw = await answer(`SELECT ${RAW[engine][grain]('order_date')} AS p, COUNT(*) AS a, SUM(amount) AS b FROM ${g.table}
          WHERE tenant_id = 'tenant_globex' AND order_date BETWEEN '2024-03-01' AND '2024-08-31' GROUP BY 1`);
        expect(raw.length).toBeGreaterThan(3);
        expect(byKey(got)).toEqual(byKey(raw));
        expect(got.map((r) => r[0])).toEqual(raw.map((r) => r[0]).sort());
      }
    });

    it('reads a `sql:` dataset, scoped to the tenant', async () => {
      const got = await rows(KEYS.acme, { dataset: 'completed_orders', dimensions: ['channel'], metrics: ['order_count', 'revenue'] });
      const raw = await answer(`SELECT channel, COUNT(*) AS a, SUM(amount) AS b FROM ${g.table}
        WHERE tenant_id = 'tenant_acme' AND status = 'completed' GROUP BY channel`);
      expect(byKey(got)).toEqual(byKey(raw));
    });

    it('gives every key and the admin the same global dataset', async () => {
      const body = { dataset: 'channels', dimensions: ['channel', 'label'], metrics: ['channel_count'] };
      const admin = await rows(KEYS.admin, body);
      expect(admin).toEqual([['partner', 'Partner', 1], ['store', 'Retail', 1], ['web', 'Online, direct', 1]]);
      for (const key of [KEYS.acme, KEYS.viewer, KEYS.globex]) expect(await rows(key, body)).toEqual(admin);
      expect(await rows(KEYS.admin, body, { 'X-Tenant-Id': 'tenant_globex' })).toEqual(admin);
    });

    it('applies segments, WHERE filters and metric filters (HAVING) as raw SQL does', async () => {
      const where = `tenant_id = 'tenant_acme' AND quantity >= 5 AND region IN ('EU', 'US', 'APAC')`;
      const all = await answer(`SELECT status, COUNT(*) AS a, SUM(quantity) AS b FROM ${g.table} WHERE ${where} GROUP BY status`);
      const threshold = Math.min(...all.map((r) => num(r[2]))) + 1; // so HAVING drops a group
      const got = await rows(KEYS.acme, {
        dataset: 'orders', dimensions: ['status'], metrics: ['order_count', 'units'], segments: ['bulk'],
        filters: [{ field: 'region', op: 'in', values: ['EU', 'US', 'APAC'] }, { field: 'units', op: 'gte', values: [threshold] }],
      });
      const raw = await answer(`SELECT status, COUNT(*) AS a, SUM(quantity) AS b FROM ${g.table} WHERE ${where} GROUP BY status HAVING SUM(quantity) >= ${threshold}`);
      expect(got.length).toBeGreaterThan(0);
      expect(got.length).toBeLessThan(all.length);
      expect(byKey(got)).toEqual(byKey(raw));

      const both = await rows(KEYS.globex, { dataset: 'orders', dimensions: ['region'], metrics: ['order_count', 'revenue'], segments: ['promo', 'bulk'] });
      const rawBoth = await answer(`SELECT region, COUNT(*) AS a, SUM(amount) AS b FROM ${g.table}
        WHERE tenant_id = 'tenant_globex' AND is_promo = TRUE AND quantity >= 5 GROUP BY region`);
      expect(rawBoth.length).toBeGreaterThan(0);
      expect(byKey(both)).toEqual(byKey(rawBoth));
    });

    it('computes a derived metric, and orders by a metric descending', async () => {
      const got = await rows(KEYS.globex, {
        dataset: 'orders', dimensions: ['status'], metrics: ['avg_order_value', 'max_amount'], order_by: [{ field: 'avg_order_value', direction: 'desc' }],
      });
      const raw = byKey(await answer(`SELECT status, SUM(amount) / COUNT(*) AS a, MAX(amount) AS b FROM ${g.table} WHERE tenant_id = 'tenant_globex' GROUP BY status`));
      expect(got.length).toBe(raw.size);
      for (const r of got) {
        const [avg, max] = raw.get(JSON.stringify([r[0]]))!;
        expect(num(r[1])).toBeCloseTo(avg!, 6);
        expect(num(r[2])).toBe(max);
      }
      expect(got.map((r) => num(r[1]))).toEqual(got.map((r) => num(r[1])).sort((a, b) => b - a));
    });

    it("caps at the dataset's max_rows and says so in meta.truncated", async () => {
      const months = await answer(`SELECT ${RAW[engine].month('order_date')} AS d, COUNT(*) AS a FROM ${g.table} WHERE tenant_id = 'tenant_acme' GROUP BY 1`);
      expect(months.length).toBeGreaterThan(5);
      const res = await g.req('POST', '/v1/query', { key: KEYS.acme, body: { dataset: 'orders_small', dimensions: ['order_date.month'], metrics: ['order_count'] } });
      expect(res.body.meta).toMatchObject({ row_count: 5, truncated: true });
      const first = [...months].sort((a, b) => String(a[0]).localeCompare(String(b[0]))).slice(0, 5);
      expect(byKey(res.body.rows)).toEqual(byKey(first));

      const three = await g.req('POST', '/v1/query', { key: KEYS.acme, body: { dataset: 'orders_small', dimensions: ['order_date.month'], metrics: ['order_count'], limit: 3, offset: 1 } });
      expect(three.body.meta).toMatchObject({ row_count: 3, truncated: true });
      expect(byKey(three.body.rows)).toEqual(byKey(first.slice(1, 4)));

      // Exactly five regions (four and NULL): not truncated.
      const regions = await g.req('POST', '/v1/query', { key: KEYS.acme, body: { dataset: 'orders_small', dimensions: ['region'], limit: 5 } });
      expect(regions.body.meta).toMatchObject({ row_count: 5, truncated: false });
    });

    it('answers CSV with a header row and RFC 4180 quoting, the same cells as JSON', async () => {
      const body = { dataset: 'orders', dimensions: ['note', 'region'], metrics: ['order_count', 'revenue'] };
      const json = await rows(KEYS.acme, body);
      const res = await g.req('POST', '/v1/query', { key: KEYS.acme, body, headers: { Accept: 'text/csv' } });
      expect(res.status).toBe(200);
      expect(res.headers.get('content-type')).toMatch(/^text\/csv/);
      expect(res.headers.get('x-row-count')).toBe(String(json.length));
      expect(res.headers.get('x-truncated')).toBe('false');
      expect(res.text).toContain(`"${TRICKY_NOTE.replace(/"/g, '""')}"`);
      const csv = parseCsv(res.text);
      expect(csv[0]).toEqual(['note', 'region', 'order_count', 'revenue']);
      expect(csv.slice(1)).toEqual(json.map((r) => r.map((c) => (c === null ? '' : String(c)))));
      expect(json.some((r) => r[0] === TRICKY_NOTE) && json.some((r) => r[1] === null)).toBe(true);

      const channels = await g.req('POST', '/v1/query', {
        key: KEYS.viewer, body: { dataset: 'channels', dimensions: ['label'] }, headers: { Accept: 'application/json;q=0.5, text/csv' },
      });
      expect(channels.text).toBe('label\r\n"Online, direct"\r\nPartner\r\nRetail\r\n');
      // Errors stay problem+json whatever the Accept header asks for.
      const bad = await g.req('POST', '/v1/query', { key: KEYS.acme, body: { dataset: 'orders', dimensions: ['regoin'] }, headers: { Accept: 'text/csv' } });
      expect(bad.status).toBe(400);
      expect(bad.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    });

    it('reports auth, plan, db and total in Server-Timing', async () => {
      const res = await g.req('POST', '/v1/query', { key: KEYS.acme, body: { dataset: 'orders', metrics: ['order_count'] } });
      const metrics = (res.headers.get('server-timing') ?? '').split(',').map((m) => m.trim().split(';'));
      expect(metrics.map((m) => m[0]).sort()).toEqual(['auth', 'db', 'plan', 'total']);
      for (const m of metrics) expect(m.find((p) => p.startsWith('dur='))).toMatch(/^dur=\d+(\.\d+)?$/);
    });
  });
}
