/**
 * The isolation suite through OData (issue 5): the same seeded engines and layouts as
 * suite.ts, but every query is an HTTP request to the real server. For each layout, N
 * generated requests ($select or $apply, $filter trees with literals from every tenant,
 * $orderby, $top/$skip, small Prefer: odata.maxpagesize so nextLinks are followed) run as
 * each tenant's key. Checks: every id, amount and tenant id in a result is the caller's;
 * each tenant's totals for the same filter equal raw SQL over its own rows (every few
 * requests) and add up to raw SQL over all tenants (every request); the admin acting as a
 * tenant gets exactly that tenant's rows; the admin without a tenant gets the sum (shared
 * table) or an OData 400 (schemas, databases); a skip token works for the tenant it was
 * issued to and is a 400 for anyone else.
 */
import { runPool } from '../helpers/pool.ts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { authHeaders, startTestServer, type TestServer } from '../helpers/http.ts';
import type { Engine } from '../helpers/seed.ts';
import { IsolationViolation, rangesOf, sumTotals, type Ranges } from './checks.ts';
import { ADMIN_KEY, FIXTURE_DIR, KEYS, setupEngine, TENANTS, type EngineEnv, type Layout } from './engines.ts';
import { Rng } from './generator.ts';
import { generateCase, queryString, totalsParams, type Check, type ODataCase } from './odata-gen.ts';
import { RawOracle, toCents, type Totals } from './oracle.ts';
import { LAYOUT_DATASETS } from './suite.ts';

export const CASES_PER_LAYOUT = Math.max(100, Number(process.env['SEMGATE_ODATA_ISOLATION_CASES'] ?? 100));
const BASE_SEED = Number(process.env['SEMGATE_ODATA_ISOLATION_SEED'] ?? 5005);
const CONCURRENCY = 4;
/** Every n-th request compares each tenant's totals with raw SQL over its own rows. */
const RAW_PER_TENANT_EVERY = 3;
/** Every n-th request also runs as the admin with X-Tenant-Id (tenants in turn). */
const ADMIN_AS_TENANT_EVERY = 3;
const ADMIN = authHeaders(ADMIN_KEY);
/** The operators and functions every layout's sample must have tried. */
const EXPECTED_OPS = ['eq', 'ne', 'gt', 'ge', 'lt', 'le', 'in', 'eq null', 'ne null', 'contains', 'startswith', 'endswith',
  'tolower', 'toupper', 'year', 'month', 'day', 'date', 'and', 'or', 'not', 'boolean'];

type Row = Record<string, unknown>;
interface Response { status: number; body: any; type: string }
interface Paged { pages: Row[][]; rows: Row[]; links: string[]; count: number | null }
interface Stats {
  cases: number; requests: number; nonEmpty: Record<string, number>; witnessRows: number; foreign: number;
  paged: number; tokenChecks: number; applyCases: number; ops: Set<string>;
}

const within = (v: number, [lo, hi]: readonly [number, number]): boolean => v >= lo - 1e-6 && v <= hi + 1e-6;

function seedFor(engine: Engine, layout: Layout): number {
  return (BASE_SEED ^ [...`odata/${engine}/${layout}`].reduce((h, c) => Math.imul(h, 31) + c.charCodeAt(0), 7)) >>> 0;
}

/** Every value with a check must come from `r`'s rows; returns how many rows had a witness. */
function checkRows(rows: readonly Row[], checks: Readonly<Record<string, Check>>, r: Ranges, say: (m: string) => never): number {
  let witnessed = 0;
  const names = Object.keys(checks);
  const countCol = names.find((n) => checks[n] === 'count');
  rows.forEach((row, i) => {
    const at = `row ${i} ${JSON.stringify(row)}`;
    let seen = false;
    for (const name of names) {
      if (!(name in row)) continue;
      const raw = row[name];
      if (raw === null || raw === undefined) continue;
      const v = Number(raw);
      const n = countCol !== undefined && row[countCol] !== null && row[countCol] !== undefined ? Number(row[countCol]) : null;
      switch (checks[name]) {
        case 'id': if (!within(v, r.id)) say(`${name} ${v} is not one of the caller's order ids (${at})`); seen = true; break;
        case 'amount': if (!within(v, r.amount)) say(`${name} ${v} is not within the caller's amounts (${at})`); seen = true; break;
        case 'tenant': seen = true; break; // compared with the tenant by the caller
        case 'tenants': if (v !== (n === null ? v : n > 0 ? 1 : 0) || v > 1) say(`${name} ${v} tenants in a group (${at})`); seen = true; break;
        case 'count': if (v > r.rows) say(`${name} ${v} > the caller's ${r.rows} rows (${at})`); break;
        case 'revenue': if (n !== null && !within(v, [n * r.amount[0], n * r.amount[1]])) say(`${name} ${v} of ${n} rows is outside what the caller's amounts allow (${at})`); break;
        default: break;
      }
    }
    if (seen) witnessed++;
  });
  return witnessed;
}

class Runner {
  readonly #env: EngineEnv;
  readonly #server: TestServer;
  readonly #ranges: Map<string, Ranges>;
  #stats!: Stats;

  constructor(env: EngineEnv, server: TestServer) {
    this.#env = env;
    this.#server = server;
    this.#ranges = new Map(TENANTS.map((t) => [t, rangesOf(env.rows, t)]));
  }

  async #get(url: string, headers: Record<string, string>): Promise<Response> {
    this.#stats.requests++;
    const res = await fetch(url.startsWith('http') ? url : `${this.#server.url}${url}`, { headers });
    const text = await res.text();
    let body: unknown = text;
    try { body = JSON.parse(text); } catch { /* left as text: the status check names it */ }
    return { status: res.status, body, type: res.headers.get('content-type') ?? '' };
  }

  /** All pages of one request, following @odata.nextLink. */
  async #paged(path: string, headers: Record<string, string>, pageSize: number, say: (m: string) => never): Promise<Paged> {
    const out: Paged = { pages: [], rows: [], links: [], count: null };
    let url = path;
    for (;;) {
      if (out.pages.length > 30) say('more than 30 pages');
      const res = await this.#get(url, { ...headers, Prefer: `odata.maxpagesize=${pageSize}` });
      if (res.status !== 200) say(`${url} gave ${res.status}: ${JSON.stringify(res.body).slice(0, 400)}`);
      const value = res.body.value as Row[];
      if (out.pages.length === 0) out.count = res.body['@odata.count'] ?? null;
      out.pages.push(value);
      out.rows.push(...value);
      const next = res.body['@odata.nextLink'] as string | undefined;
      if (!next) return out;
      if (value.length !== pageSize) say(`a page of ${value.length} rows (page size ${pageSize}) has a nextLink`);
      out.links.push(next);
      url = next;
    }
  }

  /** The one-row totals for the case's dimension filter. */
  async #totals(c: ODataCase, viaApply: boolean, headers: Record<string, string>, say: (m: string) => never): Promise<Totals & { lo: number | null; hi: number | null }> {
    const res = await this.#get(`/odata/${c.set}?${queryString(totalsParams(c, viaApply))}`, headers);
    if (res.status !== 200 || res.body.value?.length !== 1) say(`totals gave ${res.status}: ${JSON.stringify(res.body).slice(0, 400)}`);
    const row = res.body.value[0] as Row;
    const [n, s, lo, hi] = viaApply ? ['orders_n', 'revenue_s', 'lo', 'hi'] : ['orders', 'revenue', 'min_id', 'max_id'];
    return { orders: Number(row[n!]), cents: toCents(row[s!]), lo: row[lo!] as number | null, hi: row[hi!] as number | null };
  }

  #expectError(res: Response, code: string, what: string, say: (m: string) => never): void {
    const e = res.body?.error;
    if (res.status !== 400 || !res.type.startsWith('application/json') || typeof e?.message !== 'string' || e.code !== code || 'value' in res.body) {
      say(`${what}: expected an OData 400 '${code}', got ${res.status} ${JSON.stringify(res.body).slice(0, 300)}`);
    }
  }

  async runLayout(layout: Layout, n: number, seed: number): Promise<Stats> {
    this.#stats = { cases: 0, requests: 0, nonEmpty: Object.fromEntries(TENANTS.map((t) => [t, 0])), witnessRows: 0, foreign: 0, paged: 0, tokenChecks: 0, applyCases: 0, ops: new Set() };
    const rng = new Rng(seed);
    const cases = Array.from({ length: n }, () => generateCase(rng, LAYOUT_DATASETS[layout], this.#env.rows));
    await runPool(cases, CONCURRENCY, async (c, i) => {
      const say = (m: string): never => {
        throw new IsolationViolation(`${this.#env.engine}/${layout} seed=${seed} case #${i}: ${m}\nrequest: /odata/${c.set}?${c.params.map(([k, v]) => `${k}=${v}`).join('&')} (maxpagesize ${c.pageSize})`);
      };
      try {
        await this.#runOne(layout, c, i, say);
      } catch (err) {
        if (err instanceof IsolationViolation) throw err;
        say(`unexpected ${String(err)}`);
      }
    });
    return this.#stats;
  }

  async #runOne(layout: Layout, c: ODataCase, i: number, say: (m: string) => never): Promise<void> {
    const stats = this.#stats;
    const path = `/odata/${c.set}?${queryString(c.params)}`;
    const top = Number(c.params.find(([k]) => k === '$top')?.[1] ?? Infinity);
    const plain = !c.params.some(([k]) => k === '$top' || k === '$skip');
    const sql = c.where?.sql(this.#env.engine);
    const oracle = new RawOracle(this.#env.tables, new Map(), new Map(sql ? [['w', sql]] : []));
    const segments = sql ? ['w'] : [];
    const viaApply = i % 2 === 0;
    const asTenant = i % ADMIN_AS_TENANT_EVERY === 0 ? TENANTS[(i / ADMIN_AS_TENANT_EVERY) % TENANTS.length]! : null;
    // The result cache is shared: half the time the admin asks first, so each side is once the fresh answer.
    const adminFirst = Math.floor(i / ADMIN_AS_TENANT_EVERY) % 2 === 0;
    const asAdmin = async (): Promise<Row[]> => (await this.#paged(path, { ...ADMIN, 'X-Tenant-Id': asTenant! }, c.pageSize, say)).rows;
    let adminRows = asTenant && adminFirst ? await asAdmin() : null;

    const got = new Map<string, Paged>();
    const tenantTotals: Totals[] = [];
    for (const t of TENANTS) {
      const headers = authHeaders(KEYS[t]!);
      const r = this.#ranges.get(t)!;
      const res = await this.#paged(path, headers, c.pageSize, say);
      stats.witnessRows += checkRows(res.rows, c.checks, r, say);
      for (const row of res.rows) if ('tenant_id' in row && row['tenant_id'] !== t) say(`tenant_id ${String(row['tenant_id'])} in ${t}'s result`);
      if (res.rows.length > top) say(`${res.rows.length} rows over all pages for $top=${top}`);
      if (plain && res.count !== null && res.count !== res.rows.length) say(`@odata.count ${res.count} but ${res.rows.length} rows over all pages`);
      if (res.rows.length > 0) stats.nonEmpty[t]!++;
      got.set(t, res);

      const tot = await this.#totals(c, viaApply, headers, say);
      if (tot.orders > 0 && !(within(Number(tot.lo), r.id) && within(Number(tot.hi), r.id))) say(`${t}'s totals have ids ${tot.lo}..${tot.hi}`);
      if (i % RAW_PER_TENANT_EVERY === 0) {
        const raw = await oracle.totals(layout, t, [], segments);
        if (raw.orders !== tot.orders || raw.cents !== tot.cents) say(`${t}'s totals ${JSON.stringify(tot)} differ from raw SQL over its own rows ${JSON.stringify(raw)}`);
      }
      tenantTotals.push(tot);
    }
    if (asTenant) {
      adminRows ??= await asAdmin();
      if (JSON.stringify(adminRows) !== JSON.stringify(got.get(asTenant)!.rows)) say(`the admin as ${asTenant} got other rows than ${asTenant}'s key`);
    }

    const sum = sumTotals(tenantTotals);
    const raw = await oracle.totalsAll(layout, TENANTS, [], segments);
    if (raw.orders !== sum.orders || raw.cents !== sum.cents) say(`tenants' totals ${JSON.stringify(sum)} differ from raw SQL over all tenants ${JSON.stringify(raw)}`);
    // `{tenant_id}` in a shared table's sql reads one tenant at a time: no "all tenants" there.
    if (layout === 'shared' && !this.#env.catalog.datasets.get(c.set)!.sqlUsesTenantId) {
      const admin = await this.#totals(c, !viaApply, ADMIN, say);
      if (admin.orders !== sum.orders || admin.cents !== sum.cents) say(`tenants' totals ${JSON.stringify(sum)} do not add up to the admin's ${JSON.stringify(admin)}`);
    } else {
      this.#expectError(await this.#get(path, ADMIN), 'tenant-required', 'the admin without a tenant', say);
    }

    // A skip token: its tenant may use it again (the same page); any other caller gets a 400.
    const owner = TENANTS.find((t) => got.get(t)!.links.length > 0);
    if (owner) {
      const link = got.get(owner)!.links[0]!;
      const prefer = { Prefer: `odata.maxpagesize=${c.pageSize}` };
      const again = await this.#get(link, { ...authHeaders(KEYS[owner]!), ...prefer });
      if (again.status !== 200 || JSON.stringify(again.body.value) !== JSON.stringify(got.get(owner)!.pages[1])) say(`${owner}'s own skip token gave another page: ${again.status}`);
      for (const t of TENANTS.filter((x) => x !== owner)) {
        this.#expectError(await this.#get(link, { ...authHeaders(KEYS[t]!), ...prefer }), 'invalid-skiptoken', `${owner}'s skip token with ${t}'s key`, say);
      }
      const other = TENANTS.find((x) => x !== owner)!;
      this.#expectError(await this.#get(link, { ...ADMIN, 'X-Tenant-Id': other, ...prefer }), 'invalid-skiptoken', `${owner}'s skip token as the admin acting as ${other}`, say);
      this.#expectError(await this.#get(link, { ...ADMIN, ...prefer }), 'invalid-skiptoken', `${owner}'s skip token as the admin without a tenant`, say);
      stats.tokenChecks++;
    }
    if ([...got.values()].some((p) => p.pages.length > 1)) stats.paged++;
    if (c.from.length > 0) stats.foreign++; // a literal of some tenant: another tenant's for two callers of three
    if (c.usesApply) stats.applyCases++;
    for (const op of c.ops) stats.ops.add(op);
    stats.cases++;
  }
}

/** Declares the OData suite of one engine; `available` is false when its service is down. */
export function odataIsolationSuite(engine: Engine, available: boolean): void {
  describe.skipIf(!available)(`tenant isolation through OData on ${engine}`, () => {
    let env: EngineEnv;
    let server: TestServer;
    let runner: Runner;
    beforeAll(async () => {
      env = await setupEngine(engine);
      server = await startTestServer(FIXTURE_DIR, { env: { ...env.loadEnv }, files: { sources: `sources.${engine}.yaml` } });
      runner = new Runner(env, server);
    });
    afterAll(async () => {
      await server?.close();
      await env?.close();
    });

    for (const layout of ['shared', 'schema', 'database'] as const) {
      it(`${layout}: ${CASES_PER_LAYOUT} generated OData requests stay within the caller's tenant, and totals add up`, async () => {
        const started = Date.now();
        const stats = await runner.runLayout(layout, CASES_PER_LAYOUT, seedFor(engine, layout));
        if (process.env['SEMGATE_ODATA_ISOLATION_VERBOSE']) {
          console.log(`${engine}/${layout}: ${stats.cases} cases, ${stats.requests} HTTP requests, ${Date.now() - started} ms, ${JSON.stringify({ ...stats, ops: [...stats.ops].sort() })}`);
        }
        expect(stats.cases).toBe(CASES_PER_LAYOUT);
        // The run must be able to fail: most answers have rows, most carry a tenant witness,
        // every operator was tried, literals came from several tenants, pages and tokens were used.
        for (const t of TENANTS) expect(stats.nonEmpty[t]).toBeGreaterThan(CASES_PER_LAYOUT / 2);
        expect(stats.witnessRows).toBeGreaterThan(CASES_PER_LAYOUT * 3);
        expect([...stats.ops].filter((op) => EXPECTED_OPS.includes(op)).sort()).toEqual([...EXPECTED_OPS].sort());
        expect(stats.foreign).toBeGreaterThan(CASES_PER_LAYOUT / 2);
        expect(stats.applyCases).toBeGreaterThan(CASES_PER_LAYOUT / 4);
        expect(stats.paged).toBeGreaterThan(CASES_PER_LAYOUT / 4);
        expect(stats.tokenChecks).toBeGreaterThan(CASES_PER_LAYOUT / 5);
      });
    }
  });
}
