/**
 * Acceptance point 2: an OData client that is not ours (URLs built by `odata-query`, read
 * with `@odata2ts/http-client-fetch`, which parses OData error JSON itself) pages through
 * 20,000 rows by following `@odata.nextLink` and gets exactly what `POST /v1/query` returns;
 * skip tokens that were edited, forged, swapped, issued to another tenant or to another
 * query are refused with a 400 in OData's error JSON and no rows.
 *
 * Neither `@odata/client` nor `o.js`/`odata` follows nextLink on its own (checked in their
 * published code), so the loop below is the client's: it only ever requests the URL the
 * server handed out.
 */
import { createHmac } from 'node:crypto';
import { FetchClient, FetchClientError } from '@odata2ts/http-client-fetch';
import odataQuery from 'odata-query';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { authHeaders, type TestServer } from '../helpers/http.ts';
import { expectODataError, KEYS, rawGet, startDemo } from './od-helpers.ts';

// odata-query's types describe its CommonJS build (the function under `.default`); vitest
// loads its ES module build, whose default export is the function itself.
const buildQuery = (typeof odataQuery === 'function' ? odataQuery : odataQuery.default) as typeof odataQuery.default;

let server: TestServer;
beforeAll(async () => { server = await startDemo(); });
afterAll(async () => { await server?.close(); });

interface Page { value: Record<string, unknown>[]; '@odata.nextLink'?: string }

const client = (key: string, headers: Record<string, string> = {}): FetchClient =>
  new FetchClient({ headers: { ...authHeaders(key, 'basic', 'powerbi'), ...headers } });

/** Follows nextLink from `first` until a page has none; the pages' rows and headers. */
async function readAll(c: FetchClient, first: string): Promise<{ rows: Record<string, unknown>[]; sizes: number[]; preference: (string | undefined)[] }> {
  const out = { rows: [] as Record<string, unknown>[], sizes: [] as number[], preference: [] as (string | undefined)[] };
  let url: string | undefined = first;
  while (url) {
    const res: { status: number; data: Page; headers: Record<string, string> } = await c.get<Page>(url);
    expect(res.status).toBe(200);
    out.rows.push(...res.data.value);
    out.sizes.push(res.data.value.length);
    out.preference.push(res.headers['preference-applied']);
    const next: string | undefined = res.data['@odata.nextLink'];
    if (next) expect(next.startsWith(`${server.url}/odata/orders?`)).toBe(true);
    url = next;
    expect(out.sizes.length).toBeLessThan(50); // a link that never ends is a failure, not a hang
  }
  return out;
}

/** The same rows through the REST API, as OData entities. */
async function restRows(key: string, limit: number, filters: unknown[] = []): Promise<Record<string, unknown>[]> {
  const res = await server.req('POST', '/v1/query', {
    key, body: { dataset: 'orders', dimensions: ['order_id'], metrics: ['revenue'], filters, order_by: [{ field: 'order_id' }], limit },
  });
  expect(res.status, res.text).toBe(200);
  const names = (res.body.columns as { name: string }[]).map((c) => c.name);
  expect(names).toEqual(['order_id', 'revenue']);
  return (res.body.rows as unknown[][]).map(([order_id, revenue]) => ({ order_id, revenue }));
}

const QUERY = buildQuery({ select: ['order_id', 'revenue'], orderBy: 'order_id', top: 20000 });
const ordersUrl = (): string => `${server.url}/odata/orders${QUERY}`;

describe('paging with an independent OData client', () => {
  it('follows @odata.nextLink through 4 pages of 5,000 and gets exactly the rows /v1/query returns', async () => {
    const rest = await restRows(KEYS.acme, 20000);
    expect(rest).toHaveLength(20000); // the demo gives acme more than 20,000 orders
    const got = await readAll(client(KEYS.acme), ordersUrl());
    expect(got.sizes).toEqual([5000, 5000, 5000, 5000]);
    expect(got.preference.every((p) => p === undefined)).toBe(true);
    expect(got.rows).toEqual(rest);
  });

  it('with Prefer: odata.maxpagesize=1500: 14 pages, Preference-Applied on each, the same rows', async () => {
    const got = await readAll(client(KEYS.acme, { Prefer: 'odata.maxpagesize=1500' }), ordersUrl());
    expect(got.sizes).toEqual([...Array(13).fill(1500), 500]);
    expect(new Set(got.preference)).toEqual(new Set(['odata.maxpagesize=1500']));
    expect(got.rows).toEqual(await restRows(KEYS.acme, 20000));
  });

  it('a filtered query built by odata-query pages to its end (no $top) and matches /v1/query', async () => {
    const q = buildQuery({ select: ['order_id', 'revenue'], orderBy: 'order_id', filter: { channel: { in: ['web', "O'Brien"] }, order_id: { lt: 40000 } } });
    const got = await readAll(client(KEYS.globex, { Prefer: 'odata.maxpagesize=2000' }), `${server.url}/odata/orders${q}`);
    const rest = await restRows(KEYS.globex, 50000, [{ field: 'channel', op: 'in', values: ['web', "O'Brien"] }, { field: 'order_id', op: 'lt', values: [40000] }]);
    expect(rest.length).toBeGreaterThan(2000);
    expect(got.sizes.length).toBe(Math.ceil(rest.length / 2000));
    expect(got.rows).toEqual(rest);
  });
});

describe('skip tokens', () => {
  /** The first page's next link for a query as a key: its URL and token parts. */
  async function firstLink(key: string, query: string): Promise<{ url: string; payload: string; mac: string }> {
    const res = await client(key, { Prefer: 'odata.maxpagesize=100' }).get<Page>(`${server.url}/odata/orders${query}`);
    const url = res.data['@odata.nextLink']!;
    const [payload, mac] = new URL(url).searchParams.get('$skiptoken')!.split('.');
    return { url, payload: payload!, mac: mac! };
  }
  // Edits work on the link's text: URLSearchParams would re-encode spaces as '+', which
  // OData reads as a plus sign (so the request would fail for another reason).
  const withToken = (u: string, token: string): string => u.replace(/([?&]%24skiptoken=)[^&]*/, `$1${encodeURIComponent(token)}`);
  const flip = (s: string, i: number): string => s.slice(0, i) + (s[i] === 'A' ? 'B' : 'A') + s.slice(i + 1);

  /** The client sees an error with OData's message; the raw response has no rows. */
  async function refused(key: string, url: string): Promise<void> {
    const err = await client(key).get(url).then(() => null, (e: unknown) => e);
    expect(err, url).toBeInstanceOf(FetchClientError);
    expect((err as FetchClientError).status).toBe(400);
    expect((err as FetchClientError).message).toMatch(/\$skiptoken is not valid/);
    const raw = await rawGet(server.url, url.slice(server.url.length), authHeaders(key));
    expect(expectODataError(raw, 400).target).toBe('$skiptoken');
  }

  it('the untouched token works (so the refusals below are about the edits)', async () => {
    const { url } = await firstLink(KEYS.acme, QUERY);
    const res = await client(KEYS.acme, { Prefer: 'odata.maxpagesize=100' }).get<Page>(url);
    expect(res.data.value).toHaveLength(100);
    expect(res.data.value[0]!.order_id).toEqual((await restRows(KEYS.acme, 101))[100]!.order_id);
  });

  it('refuses a flipped character in the payload or the MAC, and a re-encoded payload', async () => {
    const { url, payload, mac } = await firstLink(KEYS.acme, QUERY);
    for (const i of [0, Math.floor(payload.length / 2), payload.length - 1]) await refused(KEYS.acme, withToken(url, `${flip(payload, i)}.${mac}`));
    for (const i of [0, Math.floor(mac.length / 2), mac.length - 2]) await refused(KEYS.acme, withToken(url, `${payload}.${flip(mac, i)}`));
    const body = JSON.parse(Buffer.from(payload, 'base64url').toString()) as { o: number; q: string; t: string };
    for (const edit of [{ o: 0 }, { o: body.o + 1 }, { t: 'globex_inc' }, { t: '*' }]) {
      await refused(KEYS.acme, withToken(url, `${Buffer.from(JSON.stringify({ ...body, ...edit })).toString('base64url')}.${mac}`));
    }
    await refused(KEYS.acme, withToken(url, payload)); // no MAC
    await refused(KEYS.acme, withToken(url, `${payload}.${mac}.${mac}`));
  });

  it('refuses a token signed with another secret and a payload swapped between two queries', async () => {
    const a = await firstLink(KEYS.acme, QUERY);
    const forged = `${a.payload}.${createHmac('sha256', 'not-the-secret').update(a.payload).digest('base64url')}`;
    await refused(KEYS.acme, withToken(a.url, forged));
    const b = await firstLink(KEYS.acme, buildQuery({ select: ['order_id', 'revenue'], orderBy: 'order_id', filter: { region: 'EU' } }));
    await refused(KEYS.acme, withToken(a.url, `${b.payload}.${a.mac}`));
    await refused(KEYS.acme, withToken(a.url, `${b.payload}.${b.mac}`)); // a valid token, of another query
    await refused(KEYS.acme, withToken(b.url, `${a.payload}.${a.mac}`));
  });

  it("refuses acme's token for globex, for the admin, and with a changed $filter or $top", async () => {
    const { url, payload, mac } = await firstLink(KEYS.acme, `${QUERY}&$filter=region eq 'EU'`);
    const token = `${payload}.${mac}`;
    expect(url).toContain('%24skiptoken=');
    await refused(KEYS.globex, url);
    await refused(KEYS.admin, url);
    expect(url).toContain('%27EU%27');
    await refused(KEYS.acme, url.replace('%27EU%27', '%27NA%27'));
    await refused(KEYS.acme, url.replace('%27EU%27', '%27EU%27%20and%20true'));
    expect(url).toContain('%24top=20000');
    await refused(KEYS.acme, url.replace('%24top=20000', '%24top=20001'));
    // An admin acting as acme (X-Tenant-Id) may read acme's rows anyway: the token is bound
    // to the tenant, so it works there, while the same admin across tenants was refused above.
    const asAcme = await rawGet(server.url, url.slice(server.url.length), { ...authHeaders(KEYS.admin), 'X-Tenant-Id': 'acme_corp' });
    expect(asAcme.status).toBe(200);
    const own = await rawGet(server.url, url.slice(server.url.length), authHeaders(KEYS.acme));
    expect(asAcme.body.value).toEqual(own.body.value);
    expect(own.body.value.length).toBeGreaterThan(0);
    expect(decodeURIComponent(url)).toContain(token);
  });
});
