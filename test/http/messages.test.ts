/**
 * Messages that tell the caller what to do, through HTTP against the demo: an unknown
 * member lists the valid ones when there are few (and suggests the closest), `value` in a
 * filter points at `values`; an unknown field of a dataset with many fields suggests the
 * closest or says where they are all listed; an Authorization header semgate cannot read
 * says so (never echoing its value); a JSON body that is not an object says what it is
 * and what was expected. Each is a problem+json 4xx that changes nothing.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type HttpResult, type TestServer } from '../helpers/http.ts';

let s: TestServer;
beforeAll(async () => {
  s = await startTestServer('.');
}, 60_000);
afterAll(async () => {
  await s?.close();
});

function problem(res: HttpResult, status: number): { detail: string; field?: string } {
  expect(res.status, res.text).toBe(status);
  expect(res.headers.get('content-type')).toMatch(/^application\/problem\+json/);
  return res.body as { detail: string; field?: string };
}

const query = (body: unknown, key = 'sk_demo_acme'): Promise<HttpResult> => s.req('POST', '/v1/query', { key, body });
const asHeader = (authorization: string): Promise<HttpResult> =>
  s.req('POST', '/v1/query', { body: { dataset: 'orders', metrics: ['revenue'] }, headers: { Authorization: authorization } });

const TOP = 'dataset, dimensions, metrics, filters, having, segments, order_by, limit, offset';

describe('an unknown field', () => {
  it('of the query lists the valid ones (few), with the closest first when there is one', async () => {
    const typo = problem(await query({ dataset: 'orders', metrics: ['revenue'], dimension: ['region'] }), 400);
    expect(typo.detail).toBe(`Unknown field 'dimension' in the query. Did you mean 'dimensions'? The query may have: ${TOP}.`);
    expect(typo.field).toBe('dimension');
    const far = problem(await query({ dataset: 'orders', metrics: ['revenue'], zzz: 1 }), 400);
    expect(far.detail).toBe(`Unknown field 'zzz' in the query. The query may have: ${TOP}.`);
    const sort = problem(await query({ dataset: 'orders', metrics: ['revenue'], order_by: [{ field: 'revenue', dir: 'desc' }] }), 400);
    expect(sort.detail).toMatch(/'order_by\[0\]' may have: field, direction\.$/);
  });

  it("'value' in a filter suggests 'values', a list", async () => {
    const res = problem(await query({ dataset: 'orders', metrics: ['revenue'], filters: [{ field: 'region', op: 'eq', value: 'EU' }] }), 400);
    expect(res.field).toBe('filters[0].value');
    expect(res.detail).toMatch(/^Unknown field 'filters\[0\]\.value' in the query\. Did you mean 'values'\? It is a list, even for one value: "values": \["EU"\]\. A filter may have: field, op, values, /);
  });

  it('of a dataset with few fields lists them; of one with many suggests the closest, or where they are listed', async () => {
    // countries (the demo's reference data) has few fields; orders reaches many through its joins.
    const few = problem(await query({ dataset: 'countries', dimensions: ['regoin'] }), 400);
    expect(few.detail).toBe("Dataset 'countries' has no dimension or metric 'regoin'. Did you mean 'region'? Valid fields: country_code, country_name, region, population, country_count.");
    const none = problem(await query({ dataset: 'countries', dimensions: ['xyzzy'] }), 400);
    expect(none.detail).toBe("Dataset 'countries' has no dimension or metric 'xyzzy'. Valid fields: country_code, country_name, region, population, country_count.");
    const close = problem(await query({ dataset: 'orders', dimensions: ['regoin'] }), 400);
    expect(close.detail).toBe("Dataset 'orders' has no dimension or metric 'regoin'. Did you mean 'region'?");
    const far = problem(await query({ dataset: 'orders', dimensions: ['xyzzy'] }), 400);
    expect(far.detail).toMatch(/^Dataset 'orders' has no dimension or metric 'xyzzy'\. GET \/v1\/datasets\/orders lists all \d+\.$/);
    const listed = await s.req('GET', '/v1/datasets/orders', { key: 'sk_demo_acme' });
    expect(listed.status).toBe(200);
  });
});

describe('an Authorization header semgate cannot read', () => {
  const HOW = 'send `Authorization: Bearer <key>`, or HTTP Basic with the key as the password (any user name), or `X-API-Key: <key>`.';

  it('names a well-known scheme it does not read, and says how to send the key', async () => {
    const res = await asHeader('Token sk_demo_acme');
    expect(problem(res, 401).detail).toBe(`The Authorization header uses the scheme 'Token', which semgate does not read: ${HOW}`);
    expect(res.headers.get('www-authenticate')).toBe('Basic realm="semgate", Bearer');
    expect(problem(await asHeader('Digest username="x"'), 401).detail).toMatch(/scheme 'Digest'/);
  });

  it('never echoes what might be the key: a bare key, or a key where the scheme should be', async () => {
    const bare = problem(await asHeader('sk_demo_acme'), 401).detail;
    expect(bare).toBe(`The Authorization header has no scheme before the key: ${HOW}`);
    const odd = await asHeader('sk_demo_acme sk_demo_acme');
    expect(problem(odd, 401).detail).toBe(`The Authorization header uses a scheme that semgate does not read: ${HOW}`);
    expect(odd.text).not.toContain('sk_demo');
  });

  it('says so when Bearer carries no key or Basic no password', async () => {
    expect(problem(await asHeader('Bearer'), 401).detail).toBe(`The Authorization header says Bearer but carries no key: ${HOW}`);
    expect(problem(await asHeader(`Basic ${Buffer.from('powerbi').toString('base64')}`), 401).detail)
      .toMatch(/^The Authorization header's Basic credentials carry no password: send the key as the password/);
  });

  it('still lets the key in through X-API-Key beside it, and a missing header still asks for a key', async () => {
    const res = await s.req('POST', '/v1/query', { body: { dataset: 'orders', metrics: ['revenue'] }, headers: { Authorization: 'Token x', 'X-API-Key': 'sk_demo_acme' } });
    expect(res.status, res.text).toBe(200);
    expect(problem(await s.req('POST', '/v1/query', { body: { dataset: 'orders', metrics: ['revenue'] } }), 401).detail).toBe('An API key is required.');
  });
});

describe('a JSON body that is not an object', () => {
  const EXPECTED = 'expected a JSON object with "dataset" and "metrics" and/or "dimensions", like {"dataset": "orders", "metrics": ["revenue"]}.';
  it.each([
    ['[{"dataset": "orders"}]', 'a JSON array'],
    ['"orders"', 'a JSON string'],
    ['42', 'a JSON number'],
    ['null', 'JSON null'],
    ['true', 'a JSON boolean'],
  ])('%s says what it is and what was expected', async (body, kind) => {
    expect(problem(await query(body), 400).detail).toBe(`The query is ${kind}: ${EXPECTED}`);
    expect(problem(await s.req('POST', '/v1/query/sql', { key: 'sk_demo_admin', body }), 400).detail).toBe(`The query is ${kind}: ${EXPECTED}`);
  });

  it('on the admin endpoints too: the cache purge', async () => {
    const res = await s.req('POST', '/v1/admin/cache/purge', { key: 'sk_demo_admin', body: '["orders"]' });
    expect(problem(res, 400).detail).toBe('The purge body is a JSON array: expected a JSON object with dataset and tenant, both optional.');
  });
});
