/**
 * Query strings as clients really write them (spec, end of the OData section), over real
 * HTTP against the demo: `+` is a space and `%2B` a plus; v2-era typed literals (`21L`,
 * `1.5M`, `2.0d`, `datetime'...'`, ...) read as the v4 literal they mean, a 400 where that is
 * ambiguous. And (issue 14 point 2) `$filter` after `$apply` names only what the `$apply`
 * produced, at every depth of the expression: never applied before aggregation.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { authHeaders, type TestServer } from '../helpers/http.ts';
import { parseFilter } from '../../src/odata/parser/index.ts';
import type { Literal } from '../../src/odata/ast.ts';
import { ODataSyntaxError } from '../../src/odata/ast.ts';
import { expectODataError, KEYS, rawGet, startDemo, type RawResponse } from './od-helpers.ts';

let server: TestServer;
beforeAll(async () => {
  server = await startDemo();
});
afterAll(async () => {
  await server?.close();
});

const get = (pathAndQuery: string, key: string = KEYS.acme): Promise<RawResponse> => rawGet(server.url, pathAndQuery, authHeaders(key));

/** The rows of a 200 answer (the context URL names the port, so only `value` is compared). */
async function rows(pathAndQuery: string, key?: string): Promise<unknown[]> {
  const res = await get(pathAndQuery, key);
  expect(res.status, `${pathAndQuery}: ${res.text.slice(0, 300)}`).toBe(200);
  expect(Array.isArray(res.body.value)).toBe(true);
  return res.body.value as unknown[];
}

describe('query strings: + is a space, %2B a plus (issue 14 acceptance)', () => {
  const Q = '/odata/orders?$select=region,revenue,order_count';
  it('$orderby=revenue+desc and $filter=order_count+gt+21L answer exactly as with %20', async () => {
    const plus = await rows(`${Q}&$orderby=revenue+desc&$filter=order_count+gt+21L`);
    const pct = await rows(`${Q}&$orderby=revenue%20desc&$filter=order_count%20gt%2021L`);
    const v4 = await rows(`${Q}&$orderby=revenue%20desc&$filter=order_count%20gt%2021`);
    expect(plus.length).toBeGreaterThan(1);
    expect(plus).toEqual(pct);
    expect(plus).toEqual(v4);
    const revenue = plus.map((r: any) => r.revenue as number);
    expect(revenue).toEqual([...revenue].sort((a, b) => b - a)); // really descending
  });

  it('the query string curl --get --data-urlencode writes (URLSearchParams: spaces as +) is read as meant', async () => {
    const qs = new URLSearchParams({ $select: 'channel,order_count', $filter: "region eq 'EU' and order_count gt 21L", $orderby: 'order_count desc' });
    expect(qs.toString()).toContain('+');
    const a = await rows(`/odata/orders?${qs.toString()}`);
    const b = await rows(`/odata/orders?${qs.toString().replace(/\+/g, '%20')}`);
    expect(a.length).toBeGreaterThan(0);
    expect(a).toEqual(b);
  });

  it('%2B is a plus: a time zone offset, a signed number', async () => {
    const Z = '/odata/orders?$select=order_id,ordered_at&$top=50&$orderby=order_id';
    const offset = await rows(`${Z}&$filter=ordered_at%20lt%202024-01-01T06:00:00%2B02:00`);
    const utc = await rows(`${Z}&$filter=ordered_at%20lt%202024-01-01T04:00:00Z`);
    expect(offset).toEqual(utc);
    const signed = await rows(`${Q}&$filter=order_count%20gt%20%2B21`);
    expect(signed).toEqual(await rows(`${Q}&$filter=order_count%20gt%2021`));
    // A raw + is a space, so this offset is not one: a 400 naming the position, never a guess.
    expectODataError(await get(`${Z}&$filter=ordered_at%20lt%202024-01-01T06:00:00+02:00`));
  });

  it('a name or value that is not valid percent-encoding is a 400', async () => {
    expectODataError(await get(`${Q}&$filter=region%20eq%20%ZZ`));
  });

  it('the nextLink writes spaces as %20 and pluses as %2B, and following it continues the same query', async () => {
    const res = await rawGet(server.url, `/odata/orders?$select=order_id,ordered_at&$orderby=order_id+asc&$filter=ordered_at+lt+2024-03-01T00:00:00%2B00:00`,
      { ...authHeaders(KEYS.acme), Prefer: 'odata.maxpagesize=3' });
    expect(res.status, res.text).toBe(200);
    const next = String(res.body['@odata.nextLink']);
    expect(next).not.toContain('+');
    expect(next).toContain('%2B00%3A00');
    const page2 = await rawGet(server.url, next.slice(next.indexOf('/odata/')), { ...authHeaders(KEYS.acme), Prefer: 'odata.maxpagesize=3' });
    expect(page2.status, page2.text).toBe(200);
    expect(page2.body.value[0].order_id).toBeGreaterThan(res.body.value[2].order_id);
  });
});

describe('REST query strings follow the same rule (hono reads them as forms do)', () => {
  const restGet = (q: string): Promise<RawResponse> => rawGet(server.url, `/v1/admin/keys?${q}`, authHeaders(KEYS.admin));
  it('+ in a parameter is a space, %2B a plus, %20 a space', async () => {
    const plus = await restGet('my+param=1');
    const pct20 = await restGet('my%20param=1');
    const pct2b = await restGet('my%2Bparam=1');
    for (const r of [plus, pct20, pct2b]) expect(r.status).toBe(400);
    expect(plus.body.detail).toContain("'my param'");
    expect(pct20.body.detail).toContain("'my param'");
    expect(pct2b.body.detail).toContain("'my+param'");
    expect((await restGet('tenant=acme%5Fcorp')).body).toEqual((await restGet('tenant=acme_corp')).body);
  });
});

describe('v2-style typed literals read as the v4 literal they mean', () => {
  const lit = (text: string): Literal => {
    const e = parseFilter(text);
    if (e.kind !== 'literal') throw new Error(`not a literal: ${text}`);
    return e;
  };
  it.each([
    ['21L', 'int', 21], ['-21l', 'int', -21], ['9223372036854775807L', 'int', '9223372036854775807'],
    ['1.5M', 'decimal', 1.5], ['21m', 'decimal', 21], ['2.0d', 'double', 2], ['2.5D', 'double', 2.5], ['1e3d', 'double', 1000],
    ['2.0f', 'double', 2], ['-0.5F', 'double', -0.5],
    ["datetime'2024-01-01T00:00:00'", 'dateTimeOffset', '2024-01-01T00:00:00Z'],
    ["datetime'2024-01-01T12:30'", 'dateTimeOffset', '2024-01-01T12:30:00Z'],
    ["datetime'2024-01-01T12:30:00.250'", 'dateTimeOffset', '2024-01-01T12:30:00.250Z'],
    ["DateTime'2024-01-01T12:30:00%2B01:00'", 'dateTimeOffset', '2024-01-01T12:30:00+01:00'],
    ["datetimeoffset'2024-01-01T12:30:00Z'", 'dateTimeOffset', '2024-01-01T12:30:00Z'],
    ["datetimeoffset'2024-01-01T12:30:00-05:00'", 'dateTimeOffset', '2024-01-01T12:30:00-05:00'],
    ["guid'01234567-89ab-cdef-0123-456789abcdef'", 'guid', '01234567-89ab-cdef-0123-456789abcdef'],
    ["time'PT13H20M'", 'timeOfDay', '13:20:00'], ["time'PT9H5M7.5S'", 'timeOfDay', '09:05:07.5'], ["time'13:20:00'", 'timeOfDay', '13:20:00'],
  ])('%s is a %s literal', (text, type, value) => {
    const l = lit(text);
    expect(l.type).toBe(type);
    expect(l.value).toBe(value);
    expect(l.raw).toBe(text);
    expect(l.legacy).toBeDefined();
  });

  it.each([
    ['21.5L', /ambiguous.*whole number/], ['1e3L', /ambiguous/], ['1e3M', /ambiguous.*exponent/],
    ['9223372036854775808L', /beyond the range of an Int64/],
    ["datetime'2024-01-01'", /malformed datetime/], ["datetime'tomorrow'", /malformed datetime/],
    ["datetimeoffset'2024-01-01T12:00:00'", /needs a time zone/], ["guid'0123'", /malformed GUID/],
    ["time'PT25H'", /ambiguous.*duration, not a time of day/], ["time'P1DT1H'", /ambiguous/], ["time'noon'", /malformed time/],
  ])('%s is a syntax error saying why', (text, why) => {
    let err: unknown;
    try {
      parseFilter(`x eq ${text}`);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ODataSyntaxError);
    expect((err as Error).message).toMatch(why);
  });

  it('a suffix letter that starts a name is not a suffix (21Lx stays an error, x eq 2 and y stays valid)', () => {
    expect(() => parseFilter('x eq 21Lx')).toThrow(ODataSyntaxError);
    expect(parseFilter('x eq 2 and y eq 3').kind).toBe('binary');
  });

  const Q = '/odata/orders?$select=channel,revenue,order_count,units';
  it.each([
    ['order_count gt 21L', 'order_count gt 21'],
    ['revenue gt 1000.5M', 'revenue gt 1000.5'],
    ['revenue lt 2.5e6d', 'revenue lt 2.5e6'],
    ['units ge 10f', 'units ge 10'],
    ["channel in ('web','retail') and order_count ge 1L", "channel in ('web','retail') and order_count ge 1"],
  ])('over HTTP: %s answers as %s', async (v2, v4) => {
    const a = await rows(`${Q}&$filter=${encodeURIComponent(v2)}`);
    expect(a).toEqual(await rows(`${Q}&$filter=${encodeURIComponent(v4)}`));
  });

  it("over HTTP: datetime'...T00:00:00' on a date property is that date; on a timestamp the UTC instant", async () => {
    const D = '/odata/orders?$select=order_date,order_count';
    const v2 = await rows(`${D}&$filter=${encodeURIComponent("order_date ge datetime'2025-06-01T00:00:00' and order_date lt datetime'2025-06-08T00:00'")}`);
    expect(v2.length).toBe(7);
    expect(v2).toEqual(await rows(`${D}&$filter=${encodeURIComponent('order_date ge 2025-06-01 and order_date lt 2025-06-08')}`));
    const T = '/odata/orders?$select=order_id,ordered_at&$orderby=order_id&$top=20';
    const ts = await rows(`${T}&$filter=${encodeURIComponent("ordered_at lt datetime'2024-03-01T06:00:00'")}`);
    expect(ts.length).toBeGreaterThan(0);
    expect(ts).toEqual(await rows(`${T}&$filter=${encodeURIComponent('ordered_at lt 2024-03-01T06:00:00Z')}`));
  });

  it.each([
    ["order_date eq datetime'2025-06-01T10:00:00'", /ambiguous.*not at midnight/],
    ['order_count gt 21.5L', /ambiguous/],
    ["channel eq guid'01234567-89ab-cdef-0123-456789abcdef'", /guid literal/],
    ["order_count gt time'PT30H'", /ambiguous/],
  ])('over HTTP: %s is a 400 that says why', async (filter, why) => {
    const err = expectODataError(await get(`/odata/orders?$select=order_date,channel,order_count&$filter=${encodeURIComponent(filter)}`));
    expect(err.message).toMatch(why);
    expect(err.target).toBe('$filter');
  });

  it('another tenant\'s rows stay out of reach through a v2 literal (globex and acme differ; each sees its own)', async () => {
    const f = `$select=channel,order_count&$filter=${encodeURIComponent('order_count ge 1L')}`;
    const acme = await rows(`/odata/orders?${f}`, KEYS.acme);
    const globex = await rows(`/odata/orders?${f}`, KEYS.globex);
    expect(acme).not.toEqual(globex);
    expect(acme).toEqual(await rows(`/odata/orders?$select=channel,order_count`, KEYS.acme));
  });
});

describe('$filter after $apply names only what the $apply produced, at every depth (issue 14 point 2)', () => {
  const A = '/odata/orders?$apply=' + encodeURIComponent('groupby((region),aggregate(revenue with sum as total))');
  it.each([
    ["channel eq 'web'"],
    ["not(channel eq 'web')"],
    ["not (not (channel eq 'web'))"],
    ["region eq 'EU' or channel eq 'web'"],
    ["total gt 1 and (region eq 'EU' or not(channel eq 'web'))"],
    ["region eq 'EU' and (total gt 1 or (total lt 5 and (region ne 'NA' or channel in ('web'))))"],
    ["not(startswith(channel,'w'))"],
    ["(total gt 1 or tolower(channel) eq 'web') and region ne 'NA'"],
    ['revenue gt 1 or total gt 1'],
    ["not(region eq 'EU' and order_count gt 3)"],
  ])('%s: 400 naming the property', async (filter) => {
    const err = expectODataError(await get(`${A}&$filter=${encodeURIComponent(filter)}`));
    expect(err.target).toBe('$filter');
    const name = /channel/.test(filter) ? 'channel' : /order_count/.test(filter) ? 'order_count' : 'revenue';
    expect(err.message).toContain(`'${name}'`);
    expect(err.message).toContain(`position ${filter.indexOf(name)}`);
    expect(err.message).toMatch(/not one of them|produces/);
  });

  it.each([
    'filter(revenue gt 100000)',
    "filter(region eq 'EU' and not(order_count gt 1))",
    "filter(not(region eq 'EU' or (channel eq 'web' and units ge 2)))",
  ])('$apply=%s/groupby(...): a metric before aggregation is a 400 naming it, never a filter on the groups', async (step) => {
    const url = '/odata/orders?$apply=' + encodeURIComponent(`${step}/groupby((region),aggregate(revenue with sum as total))`);
    const err = expectODataError(await get(url));
    const name = ['revenue', 'order_count', 'units'].find((m) => step.includes(m))!;
    expect(err.message).toContain(`metric '${name}'`);
    expect(err.message).toContain(`position ${step.indexOf(name)}`);
    expect(err.target).toBe('$apply');
  });

  it('an unknown property after $apply is its own error', async () => {
    const err = expectODataError(await get(`${A}&$filter=${encodeURIComponent("not(nosuch eq 'x')")}`));
    expect(err.message).toContain("'nosuch'");
  });

  it('what the $apply produced is accepted at every depth, and means the filter after aggregation', async () => {
    const all = (await rows(A)) as { region: string; total: number }[];
    const filter = "not(region eq 'EU') and (total gt 0 or not(region ne 'NA'))";
    const got = (await rows(`${A}&$filter=${encodeURIComponent(filter)}`)) as typeof all;
    expect(got.map((r) => r.region).sort()).toEqual(all.filter((r) => r.region !== 'EU').map((r) => r.region).sort());
    // A threshold between two group totals: only a filter applied after aggregation splits them so.
    const totals = all.map((r) => r.total).sort((a, b) => a - b);
    const mid = (totals[0]! + totals[1]!) / 2;
    const high = (await rows(`${A}&$filter=${encodeURIComponent(`not(total lt ${mid})`)}`)) as typeof all;
    expect(high.length).toBe(all.length - 1);
  });
});
