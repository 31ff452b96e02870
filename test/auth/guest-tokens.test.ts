/**
 * Guest tokens for embedded dashboards: minted by an admin for one tenant with `filters` and
 * `datasets`, they see only the rows their filters allow, through REST and OData (rows,
 * `$count`, `$apply`), whatever the query asks; their filters can only narrow, are never
 * ignored (a dataset they cannot apply to is refused), and key the caches apart. An expired
 * guest token is a 401.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mintGuestToken } from '../../src/auth/provision.ts';
import { startTestServer, type TestServer } from '../helpers/http.ts';
import { expectedSales, writeAuthConfig, type AuthConfig } from './fixture.ts';

const SECRET = 'guest-secret-for-tests-0123456789abcdef';
const EU = [{ field: 'region', op: 'eq', values: ['EU'] }];
const TOTALS = { dataset: 'sales', metrics: ['n', 'revenue'] };

let cfg: AuthConfig;
let s: TestServer;

beforeAll(async () => {
  cfg = writeAuthConfig({ tag: 'guest', noStore: true, extra: `guest_tokens: { secret: "${SECRET}", ttl: 300 }\n` });
  s = await startTestServer(cfg.dir);
});
afterAll(async () => {
  await s?.close();
});

async function mint(body: Record<string, unknown>): Promise<string> {
  const res = await s.req('POST', '/v1/admin/guest-tokens', { key: cfg.adminKey, body });
  expect(res.status, res.text).toBe(201);
  expect(res.body.id).toMatch(/^g_[0-9a-f]{12}$/);
  expect(Date.parse(res.body.expires_at)).toBeGreaterThan(Date.now());
  return res.body.token;
}

describe('guest tokens', () => {
  it('with filters region = EU see only the EU rows of their tenant, whatever the query asks', async () => {
    const token = await mint({ tenant: 'acme', datasets: ['sales'], filters: EU });
    const eu = expectedSales('acme', 'EU');
    const q = async (body: unknown) => s.req('POST', '/v1/query', { key: token, body });
    const all = await q(TOTALS);
    expect(all.status, all.text).toBe(200);
    expect(all.body.rows[0]).toEqual([eu.n, eu.revenue]);
    const us = await q({ ...TOTALS, filters: [{ field: 'region', op: 'eq', values: ['US'] }] });
    expect(us.body.rows[0]).toEqual([0, null]);
    const widened = await q({ dataset: 'sales', dimensions: ['region'], metrics: ['n'], filters: [{ or: [{ field: 'region', op: 'eq', values: ['US'] }, { not: { field: 'region', op: 'eq', values: ['US'] } }] }] });
    expect(widened.body.rows).toEqual([['EU', eu.n]]);
    const byRegion = await q({ dataset: 'sales', dimensions: ['region'], metrics: ['n'] });
    expect(byRegion.body.rows).toEqual([['EU', eu.n]]);
  });

  it('the same through OData: rows, $filter, $count and $apply', async () => {
    const token = await mint({ tenant: 'acme', filters: EU });
    const get = (path: string) => s.req('GET', path, { key: token, auth: 'basic' });
    const eu = expectedSales('acme', 'EU');
    const rows = await get('/odata/sales?$select=region,n');
    expect(rows.status, rows.text).toBe(200);
    expect(rows.body.value).toEqual([{ region: 'EU', n: eu.n }]);
    expect((await get("/odata/sales?$select=region,n&$filter=region%20eq%20'US'")).body.value).toEqual([]);
    expect(Number((await get('/odata/sales/$count')).text)).toBe(eu.n);
    expect(Number((await get("/odata/sales/$count?$filter=region%20ne%20'EU'")).text)).toBe(0);
    const applied = await get('/odata/sales?$apply=groupby((region),aggregate(n%20with%20sum%20as%20total))');
    expect(applied.body.value).toEqual([{ region: 'EU', total: eu.n }]);
  });

  it('two tokens with different filters never share a cached answer', async () => {
    const eu = await mint({ tenant: 'acme', filters: EU });
    const us = await mint({ tenant: 'acme', filters: [{ field: 'region', op: 'eq', values: ['US'] }] });
    const ask = (token: string) => s.req('POST', '/v1/query', { key: token, body: { dataset: 'sales', metrics: ['n'] } });
    expect((await ask(eu)).body.rows).toEqual([[expectedSales('acme', 'EU').n]]);
    const first = await ask(us);
    expect(first.headers.get('x-cache')).toBe('MISS');
    expect(first.body.rows).toEqual([[expectedSales('acme', 'US').n]]);
    expect((await ask(eu)).headers.get('x-cache')).toBe('HIT');
    // The same meaning for the same filters: one entry, whichever token asks.
    const again = await mint({ tenant: 'acme', filters: EU });
    expect((await ask(again)).headers.get('x-cache')).toBe('HIT');
  });

  it('stays in its tenant and its datasets; a dataset its filters cannot apply to is refused, never unfiltered', async () => {
    const token = await mint({ tenant: 'globex', role: 'analyst', filters: EU });
    const other = await s.req('POST', '/v1/query', { key: token, body: TOTALS, headers: { 'X-Tenant-Id': 'acme' } });
    expect(other.status).toBe(403);
    const visits = await s.req('POST', '/v1/query', { key: token, body: { dataset: 'visits', metrics: ['visits'] } });
    expect(visits.status, visits.text).toBe(403);
    expect(visits.body.detail).toMatch(/filter token\.filters\[0\] cannot apply to dataset 'visits'.*no dimension or metric 'region'/);
    const odata = await s.req('GET', '/odata/visits', { key: token });
    expect(odata.status).toBe(403);
    const limited = await mint({ tenant: 'globex', datasets: ['sales'] });
    expect((await s.req('POST', '/v1/query', { key: limited, body: { dataset: 'visits', metrics: ['visits'] } })).status).toBe(403);
    const ok = await s.req('POST', '/v1/query', { key: limited, body: TOTALS });
    expect(ok.body.rows[0][0]).toBe(expectedSales('globex').n);
  });

  it('refuses bad requests to mint, and non-admins', async () => {
    const bad: Record<string, unknown>[] = [
      {}, { tenant: 'a b' }, { tenant: 'acme', role: 'admin' }, { tenant: 'acme', ttl: 999_999 }, { tenant: 'acme', datasets: ['nope'] },
      { tenant: 'acme', filters: [{ field: 'region', op: 'like', values: ['E'] }] },
      { tenant: 'acme', datasets: ['visits'], role: 'analyst', filters: EU }, { tenant: 'acme', extra: true },
    ];
    for (const body of bad) {
      const res = await s.req('POST', '/v1/admin/guest-tokens', { key: cfg.adminKey, body });
      expect(res.status, JSON.stringify(body)).toBe(400);
    }
    expect((await s.req('POST', '/v1/admin/guest-tokens', { key: cfg.fileKey, body: { tenant: 'acme' } })).status).toBe(403);
  });

  it('an expired guest token is a 401', async () => {
    const { catalog } = s.server.gateway.state;
    const past = new Date(Date.now() - 3600_000);
    const { token } = await mintGuestToken(catalog.guestTokens!, catalog, { tenant: 'acme', ttl: 60 }, past);
    const res = await s.req('POST', '/v1/query', { key: token, body: TOTALS });
    expect(res.status).toBe(401);
    expect(res.body.detail).toMatch(/expired/);
    expect(res.text).not.toContain(token);
    // Signed with another secret: refused too.
    const forged = await mintGuestToken({ ...catalog.guestTokens!, secret: 'another-secret-of-enough-length-0123456789' }, catalog, { tenant: 'acme' });
    expect((await s.req('POST', '/v1/query', { key: forged.token, body: TOTALS })).status).toBe(401);
  });
});
