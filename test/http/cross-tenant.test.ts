/**
 * Issue 3's isolation promise, end to end over HTTP: for every dataset of every example
 * catalog, a tenant's key never receives a row of another tenant, whether through
 * /v1/query (JSON or CSV), /v1/datasets, an error body or /v1/usage. Each answer is compared
 * with raw SQL over that tenant's rows only, and the values only another tenant has (computed
 * by raw SQL too) must appear nowhere, not even when asked for by name in a filter.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type HttpResult, type TestServer } from '../helpers/http.ts';
import { requireServices } from '../helpers/services.ts';
import { CATALOGS, unlimitedKeys, type XtCatalog, type XtRuntime, type XtTenant } from './xt-catalogs.ts';
import {
  canon, closeTo, expectSameList, fetchAll, query, QueryLog, rawRows, rawText, type Answer, type Caller, type Field,
} from './xt-oracle.ts';

interface Detail { name: string; dimensions: Field[]; metrics: Field[]; limits: { max_rows: number } }
interface Who extends Caller { t: XtTenant }

const KEY_COLUMNS = '\u0001';

/** `sent`: what the caller itself put in the request, which an error may quote back. */
function expectNoNames(res: HttpResult, others: readonly XtTenant[], what: string, sent?: string): void {
  const text = sent === undefined ? res.text : res.text.replaceAll(sent, '');
  for (const o of others) for (const name of o.names) expect(text, `${what} names ${name}`).not.toContain(name);
}

function expectProblem(res: HttpResult, status: number | number[], others: readonly XtTenant[], what: string, sent?: string): void {
  expect([status].flat(), `${what}: ${res.text.slice(0, 300)}`).toContain(res.status);
  expect(res.headers.get('content-type')).toBe('application/problem+json');
  expect(res.body.status).toBe(res.status);
  expect(res.text).not.toMatch(/\bat .+\.ts:\d+|\bselect\b.+\bfrom\b/i); // no stack, no SQL
  expectNoNames(res, others, what, sent);
}

function catalogSuite(cat: XtCatalog): void {
  let rt: XtRuntime;
  let s: TestServer;
  let down: TestServer | undefined;
  const log = new QueryLog();
  const callers: Who[] = cat.tenants.flatMap((t) => t.keys.map((key) => ({ tenant: t.id, key, t })));
  const others = (w: Who): XtTenant[] => cat.tenants.filter((t) => t.id !== w.tenant);
  /** key -> dataset -> what GET /v1/datasets/{name} says the key may use. */
  const visible = new Map<string, Map<string, Detail>>();
  /** key + dataset -> the all-dimensions answer and each dimension's distinct values. */
  const answers = new Map<string, { all: Answer; distinct: Map<string, Set<string | null>> }>();
  const rawDistinctCache = new Map<string, Set<string | null>>();

  let keys: ReturnType<typeof unlimitedKeys> | undefined;

  beforeAll(async () => {
    keys = unlimitedKeys(cat.dir);
    rt = await cat.setup();
    const files = { apiKeys: keys.file };
    s = await startTestServer(cat.dir, { env: rt.env, files });
    if (rt.downEnv) down = await startTestServer(cat.dir, { env: rt.downEnv, files });
  });
  afterAll(async () => {
    await down?.close();
    await s?.close();
    await rt?.close();
    keys?.remove();
  });

  const rawDistinct = async (t: XtTenant, ds: string, d: Field): Promise<Set<string | null>> => {
    const id = `${t.id}/${ds}/${d.name}`;
    let set = rawDistinctCache.get(id);
    if (!set) {
      const spec = cat.datasets[ds]!;
      const rows = await rawRows(rt.raw, `SELECT DISTINCT ${rawText(cat.engine, spec.dims?.[d.name] ?? d.name, d.type)} AS v FROM ${spec.from(t)} x`);
      set = new Set(rows.map(([v]) => canon(v, d.type)));
      rawDistinctCache.set(id, set);
    }
    return set;
  };

  it('/v1/datasets and /v1/datasets/{name} list only what the key may see, naming no other tenant', async () => {
    for (const w of callers) {
      const list = await s.req('GET', '/v1/datasets', { key: w.key });
      expect(list.status).toBe(200);
      expectNoNames(list, others(w), `${w.key} /v1/datasets`);
      const details = new Map<string, Detail>();
      for (const { name } of list.body.datasets as { name: string }[]) {
        expect(Object.keys(cat.datasets), 'every dataset a key sees has a raw oracle').toContain(name);
        const detail = await s.req('GET', `/v1/datasets/${name}`, { key: w.key });
        expect(detail.status).toBe(200);
        expectNoNames(detail, others(w), `${w.key} /v1/datasets/${name}`);
        // A dataset's own fields are checked here against raw SQL over its own table; fields of
        // the datasets it joins, and metrics computed across them, by the join suites (test/joins).
        const spec = cat.datasets[name]!;
        const own = (f: Field & { dataset: string }): boolean => f.dataset === name && !(f.name in (spec.acrossJoins ?? {}));
        for (const m of (detail.body.metrics as (Field & { dataset: string })[]).filter(own)) expect(Object.keys(spec.metrics)).toContain(m.name);
        details.set(name, { ...detail.body, dimensions: detail.body.dimensions.filter(own), metrics: detail.body.metrics.filter(own) } as Detail);
      }
      expect(details.size).toBeGreaterThan(0);
      visible.set(w.key, details);
    }
  });

  it.each(callers.map((w) => [w.key, w] as const))('%s gets exactly its tenant\'s rows, as JSON and CSV, in every dataset', async (_, w) => {
    for (const [ds, detail] of visible.get(w.key)!) {
      const spec = cat.datasets[ds]!;
      const from = spec.from(w.t);
      const expr = (d: Field): string => spec.dims?.[d.name] ?? d.name;
      const pageSize = detail.limits.max_rows;
      const metrics = detail.metrics.map((m) => m.name);
      const metricSql = detail.metrics.map((m, i) => `${spec.metrics[m.name]} AS m${i}`).join(', ');

      // Totals.
      const totals = await fetchAll(s, log, w, { dataset: ds, metrics }, pageSize);
      const [rawTotals] = await rawRows(rt.raw, `SELECT ${metricSql} FROM ${from} x`);
      expect(totals.rows).toHaveLength(1);
      totals.rows[0]!.forEach((v, i) => expect(closeTo(v, rawTotals![i]), `${ds}.${metrics[i]}: ${String(v)} vs raw ${String(rawTotals![i])}`).toBe(true));

      // Each dimension alone: its distinct values.
      const distinct = new Map<string, Set<string | null>>();
      for (const d of detail.dimensions) {
        const got = await fetchAll(s, log, w, { dataset: ds, dimensions: [d.name] }, pageSize);
        const values = got.rows.map(([v]) => canon(v, d.type));
        expect(new Set(values).size, `${ds}.${d.name} has duplicates`).toBe(values.length);
        const want = await rawDistinct(w.t, ds, d);
        expectSameList(values.toSorted(), [...want].toSorted(), `${ds}.${d.name}`);
        distinct.set(d.name, new Set(values));
      }

      // All dimensions and all metrics: every group with every value.
      const dims = detail.dimensions.map((d) => d.name);
      const all = await fetchAll(s, log, w, { dataset: ds, dimensions: dims, metrics }, pageSize);
      const n = dims.length;
      const groupSql = `SELECT ${detail.dimensions.map((d, i) => `${rawText(cat.engine, expr(d), d.type)} AS d${i}`).join(', ')}, ${metricSql}
        FROM ${from} x GROUP BY ${dims.map((_d, i) => i + 1).join(', ')}`;
      const want = new Map((await rawRows(rt.raw, groupSql)).map((r) => [
        detail.dimensions.map((d, i) => canon(r[i], d.type)).join(KEY_COLUMNS), r.slice(n),
      ]));
      expect(all.rows.length, `${ds}: groups`).toBe(want.size);
      const wrong: string[] = [];
      for (const row of all.rows) {
        const key = detail.dimensions.map((d, i) => canon(row[i], d.type)).join(KEY_COLUMNS);
        const raw = want.get(key);
        if (!raw) wrong.push(`group ${key} is not one of ${w.tenant}'s`);
        else row.slice(n).forEach((v, i) => { if (!closeTo(v, raw[i])) wrong.push(`${key} ${metrics[i]}: ${String(v)} vs raw ${String(raw[i])}`); });
      }
      expect(wrong.slice(0, 10), `${ds}: ${wrong.length} wrong cells`).toEqual([]);
      answers.set(`${w.key}/${ds}`, { all, distinct });
    }
  });

  it('no value only another tenant has reaches a key, even when filtered for by name', async () => {
    for (const w of callers) {
      for (const [ds, detail] of visible.get(w.key)!) {
        const spec = cat.datasets[ds]!;
        if (spec.global) continue;
        const { all, distinct } = answers.get(`${w.key}/${ds}`)!;
        for (const b of others(w)) {
          let leaksPossible = 0;
          for (const name of spec.discriminating) {
            const d = detail.dimensions.find((f) => f.name === name);
            if (!d) continue;
            const mine = await rawDistinct(w.t, ds, d);
            const onlyB = [...(await rawDistinct(b, ds, d))].filter((v) => v !== null && !mine.has(v)) as string[];
            leaksPossible += onlyB.length;
            const col = all.columns.indexOf(name);
            const json = new Set(all.rows.map((r) => canon(r[col], d.type)));
            const csv = new Set(all.csv.map((r) => canon(r[col], d.type)));
            const leaked = onlyB.filter((v) => json.has(v) || csv.has(v) || distinct.get(name)!.has(v));
            expect(leaked, `${w.key} got ${b.id}'s ${ds}.${name} values`).toEqual([]);
            // Asking for B's values by name finds nothing.
            const values = onlyB.slice(0, 25).map((v) => (d.type === 'number' || d.type === 'integer' ? Number(v) : v));
            const probe = { dataset: ds, dimensions: [name], filters: [{ field: name, op: 'in', values }] };
            const res = await query(s, log, w, probe);
            expect(res.status, res.text).toBe(200);
            expect(res.body.rows).toEqual([]);
            const csvProbe = await query(s, log, w, probe, true);
            expect(csvProbe.text.trim()).toBe(name);
          }
          // Else this pair could not show a leak, and the test could not fail.
          expect(leaksPossible, `${ds}: ${b.id} has values ${w.tenant} lacks`).toBeGreaterThan(0);
        }
      }
    }
  });

  it('a global dataset (rls: none) gives every tenant the same rows', async () => {
    const globals = Object.entries(cat.datasets).filter(([, d]) => d.global).map(([name]) => name);
    expect(globals.length).toBeGreaterThan(0);
    for (const ds of globals) {
      const seen = callers.filter((w) => visible.get(w.key)!.has(ds));
      expect(seen.length).toBeGreaterThan(1);
      const first = answers.get(`${seen[0]!.key}/${ds}`)!.all;
      expect(first.rows.length).toBeGreaterThan(0);
      for (const w of seen.slice(1)) expect(answers.get(`${w.key}/${ds}`)!.all).toEqual(first);
    }
  });

  it('error bodies (400, 403, 404, 503) name no other tenant, schema or database', async () => {
    for (const w of callers) {
      const o = others(w);
      const mine = visible.get(w.key)!;
      const [ds, detail] = [...mine].find(([name]) => !cat.datasets[name]!.global)!;
      const m = detail.metrics[0]!.name;
      const as = (what: string) => `${w.key}: ${what}`;
      expectProblem(await query(s, log, w, { dataset: ds, dimensions: ['no_such_field'] }), 400, o, as('unknown field'));
      expectProblem(await query(s, log, w, '{"dataset":'), 400, o, as('malformed JSON'));
      expectProblem(await query(s, log, w, { dataset: ds, metrics: [m], limit: detail.limits.max_rows + 1 }), 400, o, as('limit'));
      for (const b of o) {
        expectProblem(await query(s, log, w, { dataset: b.id, metrics: [m] }), 400, o, as(`dataset named ${b.id}`), b.id);
        for (const path of ['/v1/datasets', '/v1/usage']) {
          expectProblem(await s.req('GET', path, { key: w.key, headers: { 'X-Tenant-Id': b.id } }), 403, o, as(`X-Tenant-Id ${b.id} on ${path}`), b.id);
        }
        const acting = await s.req('POST', '/v1/query', { key: w.key, body: { dataset: ds, metrics: [m] }, headers: { 'X-Tenant-Id': b.id } });
        expectProblem(acting, 403, o, as(`X-Tenant-Id ${b.id} on /v1/query`), b.id);
        for (const name of b.names) {
          expectProblem(await s.req('GET', `/v1/datasets/${name}`, { key: w.key }), [400, 404], o, as(`/v1/datasets/${name}`), name);
          expectProblem(await s.req('GET', `/v1/${name}`, { key: w.key }), 404, o, as(`/v1/${name}`), name);
        }
      }
      // Datasets and metrics of the catalog this key's role may not use.
      for (const [name, spec] of Object.entries(cat.datasets)) {
        if (!mine.has(name)) {
          expectProblem(await query(s, log, w, { dataset: name, metrics: Object.keys(spec.metrics).slice(0, 1) }), 403, o, as(`hidden dataset ${name}`));
          expectProblem(await s.req('GET', `/v1/datasets/${name}`, { key: w.key }), 403, o, as(`hidden dataset ${name}`));
          continue;
        }
        const shown = new Set(mine.get(name)!.metrics.map((f) => f.name));
        for (const hidden of Object.keys(spec.metrics).filter((x) => !shown.has(x))) {
          expectProblem(await query(s, log, w, { dataset: name, metrics: [hidden] }), 403, o, as(`hidden metric ${name}.${hidden}`));
        }
      }
      if (down) {
        for (const name of mine.keys()) {
          const res = await down.req('POST', '/v1/query', { key: w.key, body: { dataset: name, metrics: [mine.get(name)!.metrics[0]!.name] } });
          expectProblem(res, 503, o, as(`${name} with its database down`));
          expect(res.headers.get('retry-after')).toMatch(/^\d+$/);
        }
      }
    }
  });

  it('/v1/usage reports each tenant\'s own queries, not another\'s', async () => {
    const report = async (t: XtTenant): Promise<HttpResult> => {
      const res = await s.req('GET', '/v1/usage', { key: t.keys[0]! });
      expect(res.status).toBe(200);
      expect(res.body.tenant).toBe(t.id);
      expectNoNames(res, cat.tenants.filter((o) => o !== t), `${t.id} /v1/usage`);
      return res;
    };
    for (const t of cat.tenants) {
      const { body } = await report(t);
      expect(body.queries_today, t.id).toBe(log.ok.get(t.id) ?? 0);
      expect(body.errors, t.id).toBe(log.failed.get(t.id) ?? 0);
    }
    // A different number of queries per tenant: each report grows by its own number.
    const before = new Map(await Promise.all(cat.tenants.map(async (t) => [t.id, (await report(t)).body.queries_today as number] as const)));
    for (const [i, t] of cat.tenants.entries()) {
      const who = callers.find((w) => w.t === t)!;
      const [ds, detail] = [...visible.get(who.key)!][0]!;
      for (let k = 0; k <= i * 2; k++) expect((await query(s, log, who, { dataset: ds, metrics: [detail.metrics[0]!.name] })).status).toBe(200);
    }
    for (const [i, t] of cat.tenants.entries()) expect((await report(t)).body.queries_today - before.get(t.id)!, t.id).toBe(i * 2 + 1);
  });
}

for (const [label, cat] of Object.entries(CATALOGS)) {
  const up = cat.services.length > 0 ? await requireServices(...cat.services) : { ok: true };
  describe.skipIf(!up.ok)(`cross-tenant over HTTP: ${label}`, () => catalogSuite(cat));
}
