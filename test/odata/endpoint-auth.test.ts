/**
 * Acceptance point 4, protocol and roles: Basic with any user name and the key as password,
 * the 401 challenge, the service root as Power BI's credential test, exactly one
 * OData-Version on answers and errors, `$metadata` as XML, and a viewer key that sees only
 * what its role allows (the demo does not restrict viewers, so a copy of its catalog in a
 * temp dir marks a dataset and two fields for analysts and admins only).
 */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse, stringify } from 'yaml';
import { authHeaders, startTestServer, type TestServer } from '../helpers/http.ts';
import { expectODataError, KEYS, rawGet, ROOT, startDemo, type RawResponse } from './od-helpers.ts';

let demo: TestServer;
let roles: TestServer;

/** The demo catalog with `countries` and the orders fields `revenue` and `country_code` for analysts and admins only. */
function rolesCatalog(): string {
  const cat = parse(readFileSync(path.join(ROOT, 'catalog.yaml'), 'utf8')) as { datasets: Record<string, any>[] };
  const ds = (name: string): Record<string, any> => cat.datasets.find((d) => d.name === name)!;
  ds('countries').access = { roles: ['analyst', 'admin'] };
  ds('orders').metrics.find((m: { name: string }) => m.name === 'revenue').roles = ['analyst', 'admin'];
  ds('orders').dimensions.find((m: { name: string }) => m.name === 'country_code').roles = ['analyst', 'admin'];
  const file = path.join(mkdtempSync(path.join(tmpdir(), 'semgate-od-roles-')), 'catalog.yaml');
  writeFileSync(file, stringify(cat));
  return file;
}

beforeAll(async () => {
  [demo, roles] = await Promise.all([
    startDemo(),
    startTestServer(ROOT, { files: { apiKeys: 'test/fixtures/odata/api-keys.yaml', catalog: rolesCatalog() } }),
  ]);
});
afterAll(async () => {
  await demo?.close();
  await roles?.close();
});

const get = (s: TestServer, p: string, headers: Record<string, string> = {}): Promise<RawResponse> => rawGet(s.url, p, headers);

/** How many times a header was sent (rawHeaders keeps repeats). */
function times(res: RawResponse, name: string): number {
  return res.rawHeaders.filter((h, i) => i % 2 === 0 && h.toLowerCase() === name.toLowerCase()).length;
}

describe('OData authentication', () => {
  it('Basic with any user name and the key as password, Bearer and X-API-Key all read the same rows', async () => {
    const p = '/odata/orders?$select=region,order_count';
    const bearer = await get(demo, p, authHeaders(KEYS.acme));
    expect(bearer.status).toBe(200);
    expect(bearer.body.value.length).toBeGreaterThan(0);
    for (const headers of [
      authHeaders(KEYS.acme, 'basic', 'powerbi'), authHeaders(KEYS.acme, 'basic', 'someone else'), authHeaders(KEYS.acme, 'basic', ''),
      authHeaders(KEYS.acme, 'x-api-key'),
    ]) {
      const res = await get(demo, p, headers);
      expect(res.status).toBe(200);
      expect(res.body.value).toEqual(bearer.body.value);
    }
    // The user name is not the key: a key given as the user name authenticates nobody.
    const swapped = { Authorization: `Basic ${Buffer.from(`${KEYS.acme}:x`).toString('base64')}` };
    expectODataError(await get(demo, p, swapped), 401);
  });

  it('no key or a wrong key: 401 with a Basic challenge, OData error JSON, no rows', async () => {
    for (const headers of [{}, authHeaders('sk_demo_nobody'), authHeaders('sk_demo_nobody', 'basic')]) {
      for (const p of ['/odata/', '/odata/orders?$select=region', '/odata/$metadata', '/odata/orders/$count']) {
        const res = await get(demo, p, headers);
        expectODataError(res, 401);
        expect(res.headers['www-authenticate']).toContain('Basic realm="semgate"');
        expect(times(res, 'OData-Version')).toBe(1);
      }
    }
  });

  it("GET /odata/ answers 200 for a valid key (Power BI's credential test) and lists the entity sets", async () => {
    for (const auth of ['basic', 'bearer', 'x-api-key'] as const) {
      const res = await get(demo, '/odata/', authHeaders(KEYS.acme, auth));
      expect(res.status).toBe(200);
      expect(res.body['@odata.context']).toBe(`${demo.url}/odata/$metadata`);
      expect(res.body.value.map((s: { name: string }) => s.name).sort()).toEqual(['countries', 'customers', 'orders', 'refunds']);
    }
    const bare = await get(demo, '/odata', authHeaders(KEYS.acme));
    expect([200, 301]).toContain(bare.status);
  });
});

describe('OData protocol headers', () => {
  it('OData-Version: 4.0 exactly once on answers and on errors of every kind', async () => {
    const cases: [string, Record<string, string>, number][] = [
      ['/odata/', authHeaders(KEYS.acme), 200],
      ['/odata/$metadata', authHeaders(KEYS.acme), 200],
      ['/odata/orders?$select=region,revenue', authHeaders(KEYS.acme), 200],
      ['/odata/orders/$count', authHeaders(KEYS.acme), 200],
      ['/odata/orders?$filter=length(region)%20eq%202', authHeaders(KEYS.acme), 400],
      ['/odata/orders?$top=-1', authHeaders(KEYS.acme), 400],
      ['/odata/orders', {}, 401],
      ['/odata/nosuch', authHeaders(KEYS.acme), 404],
      ['/odata/orders', { ...authHeaders(KEYS.acme), 'X-Tenant-Id': 'globex_inc' }, 403],
    ];
    for (const [p, headers, status] of cases) {
      const res = await get(demo, p, headers);
      expect(res.status, p).toBe(status);
      expect(times(res, 'OData-Version'), p).toBe(1);
      expect(res.headers['odata-version']).toBe('4.0');
      if (status >= 400) expectODataError(res, status);
    }
  });

  it('$metadata is application/xml, the rest JSON with odata.metadata=minimal, /$count text', async () => {
    const meta = await get(demo, '/odata/$metadata', authHeaders(KEYS.acme));
    expect(meta.headers['content-type']).toMatch(/^application\/xml/);
    expect(meta.text).toMatch(/^<\?xml[^>]*\?>\s*<edmx:Edmx [^>]*Version="4.0"/);
    const rows = await get(demo, '/odata/orders?$select=region', authHeaders(KEYS.acme));
    expect(rows.headers['content-type']).toMatch(/^application\/json;odata\.metadata=minimal/);
    const count = await get(demo, '/odata/orders/$count', authHeaders(KEYS.acme));
    expect(count.headers['content-type']).toMatch(/^text\/plain/);
    expect(count.text).toMatch(/^\d+$/);
  });
});

describe('a viewer key sees only what its role allows', () => {
  const viewer = authHeaders(KEYS.initech);
  const analyst = authHeaders(KEYS.acme);

  it('the service document and $metadata leave out the dataset and the fields', async () => {
    const doc = await get(roles, '/odata/', viewer);
    expect(doc.body.value.map((s: { name: string }) => s.name).sort()).toEqual(['customers', 'orders', 'refunds']);
    const meta = (await get(roles, '/odata/$metadata', viewer)).text;
    // orders' own restricted fields, and the countries dataset (the viewer's customers join it).
    const ordersType = /<EntityType Name="orders">[\s\S]*?<\/EntityType>/.exec(meta)![0];
    expect(ordersType).not.toMatch(/Name="revenue"|Name="country_code"|Name="countries_/);
    expect(meta).not.toMatch(/Name="countries"|Name="countries_/);
    expect(meta).toMatch(/Name="order_count"/);
    const full = (await get(roles, '/odata/$metadata', analyst)).text;
    expect(full).toMatch(/Name="revenue"/); // the analyst sees them: the fixture restricts by role
    expect(full).toMatch(/Name="countries"/);
  });

  it('every way of naming a hidden field or dataset is refused; the rest works', async () => {
    for (const p of [
      '/odata/orders?$select=region,revenue', '/odata/orders?$select=region,order_count&$filter=revenue%20gt%200',
      '/odata/orders?$select=region&$filter=country_code%20eq%20%27DE%27', '/odata/orders?$apply=aggregate(revenue%20with%20sum%20as%20r)',
      '/odata/orders?$apply=groupby((country_code))', '/odata/orders?$apply=groupby((region),aggregate(revenue))&$orderby=revenue',
      '/odata/orders/$count?$filter=revenue%20gt%200',
    ]) {
      const err = expectODataError(await get(roles, p, viewer), 400);
      // Refused as if the field did not exist: the same words as for a name that does not.
      expect(err.message, p).toMatch(/has no property '(revenue|country_code)'/);
      expect((await get(roles, p, analyst)).status, p).toBe(200);
    }
    const countries = await get(roles, '/odata/countries?$select=region', viewer);
    expectODataError(countries, 403);
    expectODataError(await get(roles, '/odata/countries/$count', viewer), 403);
    const rows = await get(roles, '/odata/orders?$top=2', viewer);
    expect(rows.status).toBe(200);
    expect(Object.keys(rows.body.value[0])).not.toContain('revenue');
    expect(Object.keys(rows.body.value[0])).not.toContain('country_code');
    expect(Object.keys(rows.body.value[0])).toContain('order_count');
    const ok = await get(roles, '/odata/orders?$select=region,order_count', viewer);
    expect(ok.status).toBe(200);
    expect(ok.body.value.length).toBeGreaterThan(0);
  });
});
