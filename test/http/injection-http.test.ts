/**
 * Hostile input over the wire: every payload of the corpus in every position of a request
 * (each JSON field of a query, the key and tenant headers, X-Request-Id, Accept,
 * Cache-Control, Content-Type, the path, the query string) and raw bodies no JSON encoder
 * would write. Each answer is a 4xx problem+json without SQL or a stack, or a 200 that holds
 * no more than the key's tenant has (raw per-region sums); never a 5xx. Afterwards the
 * server is healthy, every tenant's rows are intact and Object.prototype is untouched.
 */
import { existsSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { request, startTestServer, type TestServer } from '../helpers/http.ts';
import type { RawSql } from '../helpers/seed.ts';
import { POSITIONS, type Position } from '../security/positions.ts';
import { KEYS, availableEngines, startEngineGateway, type EngineGateway } from './gateway-fixture.ts';
import { DEMO, unlimitedKeys } from './xt-catalogs.ts';
import { BOUNDED_METRICS, pct, verdict, wire, type Bounds, type WireRequest, type WireResult } from './xt-http.ts';
import { runPool } from '../helpers/pool.ts';
import { parseCsv } from './xt-oracle.ts';
import { RAW_BODIES, VALUE_PAYLOADS } from './xt-payloads.ts';

const BASE = { dataset: 'orders', dimensions: ['region'], metrics: ['revenue'] };
const text = (v: unknown): string => (typeof v === 'string' ? v : JSON.stringify(v) ?? String(v));
/** Every string a payload holds, keys included: what an error may quote back. */
function echoes(v: unknown): string[] {
  if (typeof v === 'string') return [v, JSON.stringify(v).slice(1, -1)];
  if (Array.isArray(v)) return [text(v), ...v.flatMap(echoes)];
  if (v !== null && typeof v === 'object') return [text(v), ...Object.entries(v).flatMap(([k, x]) => [k, ...echoes(x)])];
  return [text(v)];
}
const printable = (s: string): boolean => /^[\x21-\x7e]*$/.test(s);

interface Target {
  readonly url: string;
  readonly port: number;
  readonly key: string;
  readonly adminKey: string;
  readonly tenant: string;
  readonly others: readonly string[];
  readonly bounds: Bounds;
}

async function boundsOf(rows: Record<string, unknown>[]): Promise<Bounds> {
  const byRegion = new Map<string | null, Record<string, number>>();
  const total: Record<string, number> = { revenue: 0, order_count: 0, units: 0 };
  for (const r of rows) {
    const sums = { revenue: Number(r['revenue']), order_count: Number(r['order_count']), units: Number(r['units']) };
    byRegion.set((r['region'] as string | null) ?? null, sums);
    for (const m of BOUNDED_METRICS) total[m]! += sums[m];
  }
  return { byRegion, total };
}
const BOUNDS_SQL = 'SELECT region, SUM(amount) AS revenue, COUNT(*) AS order_count, SUM(quantity) AS units FROM';

async function asWire(url: string, method: string, path: string, key: string, body: string): Promise<WireResult> {
  const r = await request(url, method, path, { key, body });
  return { status: r.status, headers: new Map([...r.headers.entries()]), text: r.text, body: r.body };
}

/** Sends every payload in the positions, collecting what went wrong. */
async function attack(t: Target, positions: readonly Position[]): Promise<{ failures: string[]; requests: number }> {
  const failures: string[] = [];
  const jobs = positions.flatMap((pos) => VALUE_PAYLOADS.map((p) => ({ pos, p })));
  await runPool(jobs, 8, async ({ pos, p }) => {
    const res = await asWire(t.url, 'POST', '/v1/query', t.key, JSON.stringify(pos.body('orders', p.value)));
    const why = verdict(res, { others: t.others, echo: echoes(p.value), bounds: t.bounds });
    if (why) failures.push(`${pos.name} <- ${p.label}: ${why}`);
  });
  return { failures, requests: jobs.length };
}

/** Header, path and query-string positions: the request, and what else its answer must be. */
interface WirePosition { name: string; req(s: string, t: Target): WireRequest; check?(res: WireResult, s: string, t: Target): string | null }

const json = (t: Target, extra: [string, string][] = []): WireRequest => ({
  method: 'POST', path: '/v1/query', body: Buffer.from(JSON.stringify(BASE)),
  headers: [['Authorization', `Bearer ${t.key}`], ['Content-Type', 'application/json'], ...extra],
});
const statusIn = (...ok: number[]) => (res: WireResult): string | null => (ok.includes(res.status) ? null : `status ${res.status}, wanted ${ok.join('/')}`);
let baseline: unknown[][] = [];
/** A header that must not change the answer: a 200 is the baseline, as JSON or CSV. */
const sameAnswer = (res: WireResult): string | null => {
  if (res.status !== 200) return null;
  const rows = typeof res.body === 'object'
    ? res.body.rows as unknown[][]
    : parseCsv(res.text).slice(1).map((r) => r.map((c, i) => (typeof baseline[0]![i] === 'number' ? Number(c) : c)));
  return JSON.stringify(rows) === JSON.stringify(baseline) ? null : `a different answer: ${JSON.stringify(rows).slice(0, 200)}`;
};

const WIRE_POSITIONS: WirePosition[] = [
  { name: 'Authorization: Bearer <p>', req: (s, t) => ({ ...json(t), headers: [['Authorization', `Bearer ${s}`]] }), check: statusIn(400, 401) },
  { name: 'Authorization: <p>', req: (s, t) => ({ ...json(t), headers: [['Authorization', s]] }), check: statusIn(400, 401) },
  { name: 'Authorization: Basic user:<p>', req: (s, t) => ({ ...json(t), headers: [['Authorization', `Basic ${Buffer.from(`u:${s}`).toString('base64')}`]] }), check: statusIn(401) },
  { name: 'X-API-Key: <p>', req: (s, t) => ({ ...json(t), headers: [['X-API-Key', s]] }), check: statusIn(400, 401) },
  { name: 'X-Tenant-Id: <p> (tenant key)', req: (s, t) => json(t, [['X-Tenant-Id', s]]), check: statusIn(400, 403) },
  {
    name: 'X-Tenant-Id: <p> (admin key)',
    req: (s, t) => ({ ...json(t), headers: [['Authorization', `Bearer ${t.adminKey}`], ['X-Tenant-Id', s]] }),
    // An admin acting as a tenant that does not exist finds no rows.
    check: (res, s, t) => (res.status === 200 && res.body.rows.length > 0 && !t.others.includes(s) ? `${res.body.rows.length} rows for a tenant that does not exist` : statusIn(200, 400)(res)),
  },
  {
    name: 'X-Request-Id: <p>',
    req: (s, t) => json(t, [['X-Request-Id', s]]),
    check: (res, s) => {
      const id = res.headers.get('x-request-id') ?? '';
      if (!/^[\w\-=]{1,128}$/.test(id)) return `X-Request-Id answered as ${JSON.stringify(id)}`;
      if (!printable(s) && id === s) return 'a hostile X-Request-Id echoed verbatim';
      return sameAnswer(res);
    },
  },
  { name: 'Accept: <p>', req: (s, t) => json(t, [['Accept', s]]), check: sameAnswer },
  { name: 'Cache-Control: <p>', req: (s, t) => json(t, [['Cache-Control', s]]), check: sameAnswer },
  { name: 'Content-Type: <p>', req: (s, t) => ({ ...json(t), headers: [['Authorization', `Bearer ${t.key}`], ['Content-Type', s]] }), check: sameAnswer },
  { name: 'GET /v1/datasets/<p>', req: (s, t) => ({ method: 'GET', path: `/v1/datasets/${pct(s)}`, headers: [['Authorization', `Bearer ${t.key}`]] }) },
  { name: 'GET /v1/datasets/<p> unencoded', req: (s, t) => ({ method: 'GET', path: `/v1/datasets/${s}`, headers: [['Authorization', `Bearer ${t.key}`]] }) },
  { name: 'POST /v1/query?<p>=<p>', req: (s, t) => ({ ...json(t), path: `/v1/query?dataset=${pct(s)}&${pct(s)}=1` }), check: sameAnswer },
  {
    name: 'GET /v1/usage?tenant=<p>',
    req: (s, t) => ({ method: 'GET', path: `/v1/usage?tenant=${pct(s)}&${pct(s)}`, headers: [['Authorization', `Bearer ${t.key}`]] }),
    check: (res, _s, t) => (res.status === 200 && res.body.tenant !== t.tenant ? `usage of ${String(res.body.tenant)}` : statusIn(200)(res)),
  },
];

async function attackWire(t: Target): Promise<{ failures: string[]; requests: number }> {
  const failures: string[] = [];
  const jobs = WIRE_POSITIONS.flatMap((pos) => VALUE_PAYLOADS.map((p) => ({ pos, p })));
  await runPool(jobs, 8, async ({ pos, p }) => {
    const s = text(p.value);
    try {
      const res = await wire(t.port, pos.req(s, t));
      // What Node's HTTP parser refuses (bare CR or NUL in a header, headers over 16 KiB)
      // is answered by the server's clientError handler: problem+json like every error.
      // Node refuses a request line or headers it finds too large with a 431 (problem+json),
      // whatever the position expects otherwise; only a large payload may get one.
      const oversize = res.status === 431 && Buffer.byteLength(s) > 4 * 1024;
      const why = verdict(res, { others: t.others, echo: echoes(p.value), bounds: t.bounds }) ?? (oversize ? null : pos.check?.(res, s, t)) ?? null;
      if (why) failures.push(`${pos.name} <- ${p.label}: ${why}`);
    } catch (e) {
      failures.push(`${pos.name} <- ${p.label}: ${(e as Error).message}`);
    }
  });
  return { failures, requests: jobs.length };
}

const report = (failures: string[]): string => `${failures.length} failures:\n${failures.slice(0, 25).join('\n')}`;

describe('hostile requests against the DuckDB demo', () => {
  let s: TestServer;
  let raw: RawSql & { close(): Promise<void> };
  let t: Target;
  let keys: ReturnType<typeof unlimitedKeys> | undefined;
  let sent = 0;

  beforeAll(async () => {
    keys = unlimitedKeys('.');
    const rt = await DEMO.setup();
    raw = rt.raw;
    s = await startTestServer('.', { env: {}, files: { apiKeys: keys.file } });
    const bounds = await boundsOf(await raw.query(`${BOUNDS_SQL} orders WHERE tenant_id = 'acme_corp' GROUP BY region`));
    t = { url: s.url, port: s.server.port, key: 'sk_demo_acme', adminKey: 'sk_demo_admin', tenant: 'acme_corp', others: ['globex_inc', 'initech'], bounds };
    const base = await s.req('POST', '/v1/query', { key: t.key, body: BASE });
    baseline = base.body.rows;
    expect(baseline.length).toBeGreaterThan(1);
  });
  afterAll(async () => {
    await s?.close();
    await raw?.close();
    keys?.remove();
    console.info(`injection-http (demo): ${sent} hostile requests`);
  });

  it('the corpus holds at least 200 distinct payloads', () => {
    const labels = new Set([...VALUE_PAYLOADS.map((p) => p.label), ...RAW_BODIES.map((b) => `raw: ${b.label}`)]);
    expect(labels.size).toBe(VALUE_PAYLOADS.length + RAW_BODIES.length);
    expect(labels.size).toBeGreaterThanOrEqual(200);
  });

  it('the verdict catches a leak: every tenant\'s rows exceed this tenant\'s sums', async () => {
    const all = await wire(t.port, { ...json(t), headers: [['Authorization', `Bearer ${t.adminKey}`]] });
    expect(all.status).toBe(200);
    expect(verdict(all, { others: t.others, echo: [], bounds: t.bounds })).toMatch(/exceeds/);
    expect(verdict(await wire(t.port, json(t)), { others: t.others, echo: [], bounds: t.bounds })).toBeNull();
  });

  it('every payload in every field of the query body', async () => {
    const { failures, requests } = await attack(t, POSITIONS);
    sent += requests;
    expect(failures, report(failures)).toEqual([]);
  });

  it('every payload in the headers, the path and the query string', async () => {
    const { failures, requests } = await attackWire(t);
    sent += requests;
    expect(failures, report(failures)).toEqual([]);
  });

  it('raw bodies: bytes, nesting, sizes and literals JSON does not allow', async () => {
    const failures: string[] = [];
    const status = new Map<string, number>();
    await runPool(RAW_BODIES, 4, async (body) => {
      const res = await wire(t.port, { ...json(t), body: body.bytes, chunked: body.chunked });
      status.set(body.label, res.status);
      const why = verdict(res, { others: t.others, echo: [body.bytes.toString('utf8').slice(0, 200)], bounds: t.bounds });
      if (why) failures.push(`${body.label}: ${why}`);
    });
    sent += RAW_BODIES.length;
    expect(failures, report(failures)).toEqual([]);
    // The limit is 1 MiB inclusive, however the body arrives.
    for (const ok of ['the legitimate query', '1 MiB - 1 byte', 'exactly 1 MiB', 'small body, chunked']) expect(status.get(ok), ok).toBe(200);
    for (const big of ['1 MiB + 1 byte', '1 MiB + 1 byte, chunked']) expect(status.get(big), big).toBe(413);
    for (const proto of ['__proto__ isAdmin', '__proto__ isAdmin with a valid query', 'constructor.prototype', 'escaped __proto__ key']) {
      expect(status.get(proto), proto).toBe(400);
    }
  });

  it('afterwards: healthy, every tenant\'s rows intact, nothing written, no prototype polluted', async () => {
    expect((await s.req('GET', '/health')).status).toBe(200);
    expect(({} as Record<string, unknown>)['isAdmin']).toBeUndefined();
    expect(({} as Record<string, unknown>)['polluted']).toBeUndefined();
    const all = await s.req('POST', '/v1/query', { key: 'sk_demo_admin', body: { dataset: 'orders', metrics: ['order_count', 'revenue'] }, headers: { 'Cache-Control': 'no-cache' } });
    const [row] = await raw.query('SELECT COUNT(*) AS n, SUM(amount) AS r FROM orders');
    expect(all.body.rows).toEqual([[Number(row!['n']), Number(row!['r'])]]);
    const mine = await s.req('POST', '/v1/query', { key: t.key, body: BASE, headers: { 'Cache-Control': 'no-cache' } });
    expect(mine.body.rows).toEqual(baseline);
    for (const file of ['/tmp/sgxt.db', '/tmp/sgxt.csv', '/tmp/sgxt']) expect(existsSync(file), file).toBe(false);
  });
});

const engines = await availableEngines();
describe.skipIf(!engines.postgres)('hostile values against PostgreSQL', () => {
  let g: EngineGateway;
  let t: Target;
  let before: number;
  beforeAll(async () => {
    g = await startEngineGateway('postgres', 'xtinj');
    const bounds = await boundsOf(await g.answer(`${BOUNDS_SQL} ${g.table} WHERE tenant_id = 'tenant_acme' GROUP BY region`));
    t = { url: g.url, port: g.server.port, key: KEYS.acme, adminKey: KEYS.admin, tenant: 'tenant_acme', others: ['tenant_globex', 'tenant_initech'], bounds };
    before = Number((await g.answer(`SELECT COUNT(*) AS n FROM ${g.table}`))[0]!['n']);
  });
  afterAll(async () => {
    await g?.close();
  });

  it('every payload in every filter value position', async () => {
    const { failures, requests } = await attack(t, POSITIONS.filter((p) => p.name.startsWith('filters[].values[]')));
    expect(requests).toBeGreaterThan(4000);
    expect(failures, report(failures)).toEqual([]);
    expect((await g.req('GET', '/health')).status).toBe(200);
    expect(Number((await g.answer(`SELECT COUNT(*) AS n FROM ${g.table}`))[0]!['n'])).toBe(before);
  });
});
