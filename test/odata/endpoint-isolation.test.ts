/**
 * Acceptance point 3: tenant isolation through OData on the demo. For a seeded sample of
 * generated queries over all three entity sets (random $select or $apply, random $filter
 * trees with values from every tenant's rows), each tenant's answer equals the SQL over its
 * own rows, the admin's equals the SQL over all rows, the admin acting as a tenant
 * (X-Tenant-Id) equals that tenant, tenants' rows add up to the admin's, and following
 * @odata.nextLink page by page stays within the tenant. Set OD_SEED to replay another sample.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { authHeaders, type TestServer } from '../helpers/http.ts';
import { generateQueries, type GenQuery } from './od-gen.ts';
import { diffRows, KEYS, norm, odataGet, rawGet, referenceDb, startDemo, TENANTS, type Row } from './od-helpers.ts';
import { runPool } from '../helpers/pool.ts';

const SEED = Number(process.env.OD_SEED ?? 5261);
const N = 120;
const TENANT_KEYS = [[TENANTS.acme, KEYS.acme], [TENANTS.globex, KEYS.globex], [TENANTS.initech, KEYS.initech]] as const;

let server: TestServer;
let ref: Awaited<ReturnType<typeof referenceDb>>;
let queries: GenQuery[];
/** Per query: the rows each tenant got, by tenant, and the admin's. */
const seen = new Map<GenQuery, { byTenant: Map<string, Row[]>; admin: Row[] }>();

beforeAll(async () => {
  [server, ref] = await Promise.all([startDemo(), referenceDb()]);
  // Values of every tenant: ids and names spread over the whole tables.
  const orderIds = (await ref.query('SELECT order_id FROM orders WHERE order_id % 997 = 0')).map((r) => Number(r.order_id));
  const customerNames = (await ref.query('SELECT customer_name FROM customers WHERE customer_id % 37 = 0')).map((r) => String(r.customer_name));
  queries = generateQueries(SEED, N, { orderIds, customerNames });
});
afterAll(async () => {
  await server?.close();
  ref?.close();
});

async function value(url: string, headers: Record<string, string>): Promise<Row[] | string> {
  const res = await rawGet(server.url, `/odata/${url.replace(/ /g, '%20')}`, headers);
  return res.status === 200 ? (res.body.value as Row[]) : `status ${res.status}: ${res.text.slice(0, 300)}`;
}

describe(`OData tenant isolation on the demo (seed ${SEED})`, () => {
  it(`${N} generated queries: each tenant gets exactly its own rows, the admin all of them`, async () => {
    expect(new Set(queries.map((q) => q.set))).toEqual(new Set(['orders', 'customers', 'countries']));
    const problems = (await runPool(queries, 4, async (q) => {
      const out: string[] = [];
      const byTenant = new Map<string, Row[]>();
      for (const [tenant, key] of TENANT_KEYS) {
        const got = await value(q.url, authHeaders(key));
        const diff = typeof got === 'string' ? got : diffRows(got, await ref.query(q.sql(tenant)), false);
        if (diff) out.push(`${tenant}: ${diff}`);
        if (typeof got !== 'string') byTenant.set(tenant, got);
        const asTenant = await value(q.url, { ...authHeaders(KEYS.admin), 'X-Tenant-Id': tenant });
        const d2 = typeof asTenant === 'string' || typeof got === 'string' ? String(asTenant) : diffRows(asTenant, got, false);
        if (d2) out.push(`admin as ${tenant}: ${d2}`);
      }
      const admin = await value(q.url, authHeaders(KEYS.admin));
      const d3 = typeof admin === 'string' ? admin : diffRows(admin, await ref.query(q.sql(null)), false);
      if (d3) out.push(`admin: ${d3}`);
      if (typeof admin !== 'string') seen.set(q, { byTenant, admin });
      return out.length ? `${q.url}\n    ${out.join('\n    ')}` : null;
    })).filter(Boolean);
    expect(problems, problems.join('\n')).toEqual([]);
    // The sample is not vacuous: most answers have rows, and tenants' answers differ.
    const tenantSets = queries.filter((q) => q.set !== 'countries');
    const differing = tenantSets.filter((q) => {
      const rows = [...seen.get(q)!.byTenant.values()].map((r) => JSON.stringify(r.map((x) => Object.values(x).map(norm))));
      return new Set(rows).size > 1;
    });
    expect(differing.length).toBeGreaterThan(tenantSets.length / 2);
    const nonEmpty = queries.filter((q) => [...seen.get(q)!.byTenant.values()].some((r) => r.length > 0));
    expect(nonEmpty.length).toBeGreaterThan(N * 0.6);
  });

  it("tenants' rows add up to the admin's (additive metrics, no HAVING)", () => {
    const additive = queries.filter((q) => q.additive && q.set !== 'countries');
    expect(additive.length).toBeGreaterThan(30);
    const problems: string[] = [];
    for (const q of additive) {
      const { byTenant, admin } = seen.get(q)!;
      const merged = new Map<string, Row>();
      for (const rows of byTenant.values()) {
        for (const r of rows) {
          const k = JSON.stringify(q.dims.map((d) => norm(r[d])));
          const m = merged.get(k);
          if (!m) { merged.set(k, Object.fromEntries([...q.dims, ...q.metrics].map((c) => [c, r[c]]))); continue; }
          for (const c of q.metrics) m[c] = r[c] === null ? m[c] : m[c] === null ? r[c] : (norm(m[c]) as number) + (norm(r[c]) as number);
        }
      }
      const clean = admin.map((r) => Object.fromEntries([...q.dims, ...q.metrics].map((c) => [c, r[c]])));
      const d = diffRows([...merged.values()], clean, false);
      if (d) problems.push(`${q.url}: ${d}`);
    }
    expect(problems, problems.join('\n')).toEqual([]);
  });

  it('following @odata.nextLink in small pages never leaves the tenant', async () => {
    // Queries that span at least three pages of 7 rows for acme.
    const paged: GenQuery[] = [];
    for (const q of queries) {
      if (paged.length < 8 && q.set !== 'countries' && (await ref.query(q.sql(TENANTS.acme))).length >= 15) paged.push(q);
    }
    expect(paged.length).toBe(8);
    let pages = 0;
    for (const q of paged) {
      for (const [tenant, key] of TENANT_KEYS) {
        const rows: Row[] = [];
        let res = await odataGet(server.url, q.url, key, { Prefer: 'odata.maxpagesize=7' });
        for (;;) {
          expect(res.status, res.text).toBe(200);
          rows.push(...(res.body.value as Row[]));
          pages++;
          const next = res.body['@odata.nextLink'] as string | undefined;
          if (!next) break;
          res = await rawGet(server.url, next.slice(server.url.length), { ...authHeaders(key, 'basic'), Prefer: 'odata.maxpagesize=7' });
        }
        const d = diffRows(rows, await ref.query(q.sql(tenant)), false);
        expect(d, `${tenant} ${q.url}`).toBeNull();
      }
    }
    expect(pages).toBeGreaterThan(paged.length * 3 * 2.5); // most answers took several pages
  });
});
