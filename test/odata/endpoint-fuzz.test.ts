/**
 * Acceptance point 1 (second half): thousands of random and mutated query options
 * ($filter, $select, $orderby, $apply, $top, ...), from a seeded PRNG, sent to the demo
 * gateway: none may give a 5xx, and every answer is either a result or OData's error JSON
 * (never the parser's "internal error" fallback, which means a bug was caught, not avoided).
 * Set OD_SEED to replay another sample; the failing URLs are printed.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { INTERNAL } from '../../src/odata/parser/index.ts';
import { authHeaders, type TestServer } from '../helpers/http.ts';
import { OK_CASES } from './od-cases.ts';
import { ERROR_CASES } from './od-errors.ts';
import { KEYS, prng, rawGet, startDemo } from './od-helpers.ts';
import { runPool } from '../helpers/pool.ts';

const SEED = Number(process.env.OD_SEED ?? 77);
const RANDOM = 1200;
const MUTATED = 2400;

let server: TestServer;
beforeAll(async () => { server = await startDemo(); });
afterAll(async () => { await server?.close(); });

const r = prng(SEED);

/** Pieces of OData syntax, valid and not, that mutations splice in. */
const TOKENS = [
  ' eq ', ' ne ', ' gt ', ' and ', ' or ', 'not ', ' in ', ' has ', ' add ', ' sub ', ' mul ', ' div ', ' mod ', '-', '(', ')', '((', '))', ',', '/', ':', ';', '=', '&', '$',
  "'", "''", "'EU'", "'O''Brien'", 'null', 'true', 'false', '0', '-1', '42', '1.5', '1e308', '9'.repeat(40), '-0.0e-0', 'INF', 'NaN', '2024-02-29', '2024-13-45',
  '2025-01-01T00:00:00Z', '2025-01-01T25:61:61+14:00', '12:00:00', 'duration\'P1D\'', 'binary\'AA==\'', '00000000-0000-0000-0000-000000000000', 'geography\'POINT(1 2)\'',
  'region', 'channel', 'order_id', 'order_date', 'ordered_at', 'is_promo', 'revenue', 'order_count', 'customers', 'avg_discount', '_key', 'order_date_month', 'segment', 'tenant_id',
  'contains(', 'startswith(', 'endswith(', 'tolower(', 'toupper(', 'year(', 'month(', 'day(', 'date(', 'length(', 'substring(', 'cast(', 'isof(', 'now()', 'any(x:x eq 1)', 'all(', '$it', '$root/',
  'groupby((', 'aggregate(', ' with sum as ', ' with countdistinct as ', '$count as n', 'filter(', 'compute(', 'topcount(2,revenue)', 'concat(', 'identity', ' asc', ' desc', '*', '@p', '\u00e9', '\u{1F600}', '\\', '"', '%', '%2', '%ZZ', '%00', '\t', '\n',
];

/** Percent-encodes what a request line cannot carry raw; leaves the rest raw (quotes, parens, commas) as clients do. */
function encode(v: string): string {
  let out = '';
  for (const ch of v) {
    const c = ch.codePointAt(0)!;
    if (ch === '%') out += r.chance(0.15) ? '%' : '%25';
    else if (c >= 0xd800 && c <= 0xdfff) out += '%ED%A0%80'; // a lone surrogate (a cut emoji): invalid UTF-8
    else if (ch === '&' || ch === '#' || ch === '+' || c <= 0x20 || c >= 0x7f) out += encodeURIComponent(ch);
    else out += ch;
  }
  return out;
}

function mutate(s: string): string {
  let t = s;
  for (let k = 1 + r.int(3); k > 0; k--) {
    const i = r.int(t.length + 1);
    switch (r.int(6)) {
      case 0: t = t.slice(0, i) + r.pick(TOKENS) + t.slice(i); break; // insert
      case 1: t = t.slice(0, i) + t.slice(i + 1 + r.int(6)); break; // delete
      case 2: t = t.slice(0, i); break; // truncate
      case 3: t = t.slice(0, i) + t.slice(r.int(t.length + 1)); break; // splice with itself
      case 4: t = t.slice(0, i) + t.slice(i, i + 8).repeat(2 + r.int(30)) + t.slice(i + 8); break; // repeat
      default: t = t.slice(0, i) + String.fromCharCode(32 + r.int(95)) + t.slice(i + 1); // replace a char
    }
  }
  return t;
}

type Options = [string, string][];

/** The options of the table's requests (decoded), as seeds for mutation. */
function seeds(): { set: string; options: Options }[] {
  return [...OK_CASES.map((c) => c.url), ...ERROR_CASES.map((e) => e.url)].map((url) => {
    const [path, query = ''] = url.split('?');
    const options = query.split('&').filter(Boolean).map((p): [string, string] => {
      const eq = p.indexOf('=');
      const dec = (x: string): string => { try { return decodeURIComponent(x); } catch { return x; } };
      return [dec(eq < 0 ? p : p.slice(0, eq)), dec(eq < 0 ? '' : p.slice(eq + 1))];
    });
    return { set: path!, options };
  });
}

const OPTION_NAMES = ['$filter', '$select', '$orderby', '$apply', '$top', '$skip', '$count', '$skiptoken', 'filter', '$FILTER', '$expand', '$search', '@p', 'x'];

function randomRequest(): string {
  const set = r.pick(['orders', 'orders', 'customers', 'countries', 'orders/$count', 'nosuch', 'orders(1)', '$metadata', '']);
  const opts: Options = Array.from({ length: 1 + r.int(3) }, () => [r.pick(OPTION_NAMES), Array.from({ length: r.int(8) }, () => r.pick(TOKENS)).join('')]);
  return build(set, opts);
}

function mutatedRequest(all: { set: string; options: Options }[]): string {
  const s = r.pick(all);
  const opts: Options = s.options.map(([k, v]) => [r.chance(0.05) ? mutate(k) : k, r.chance(0.7) ? mutate(v) : v]);
  if (r.chance(0.2)) opts.push([r.pick(OPTION_NAMES), mutate(r.pick(r.pick(all).options)?.[1] ?? '')]);
  return build(r.chance(0.9) ? s.set : mutate(s.set), opts);
}

function build(set: string, opts: Options): string {
  // Small pages keep the run fast; a mutated $top is left alone.
  if (!opts.some(([k]) => /top/i.test(k)) && !set.includes('$count')) opts.push(['$top', String(r.int(30))]);
  // A raw backslash in the path is refused before routing (URL parsing), as problem+json: not OData's concern.
  return `/odata/${encode(set).replace(/\\/g, '%5C')}?${opts.map(([k, v]) => `${encode(k)}=${encode(v)}`).join('&')}`;
}

describe(`OData fuzz (seed ${SEED})`, () => {
  it(`${RANDOM} random and ${MUTATED} mutated requests: no 5xx, every answer well-formed`, async () => {
    const all = seeds();
    const requests = [...Array.from({ length: RANDOM }, randomRequest), ...Array.from({ length: MUTATED }, () => mutatedRequest(all))];
    const keys = [KEYS.acme, KEYS.acme, KEYS.acme, KEYS.admin, KEYS.initech];
    const statuses = new Map<number, number>();
    const problems = (await runPool(requests, 4, async (path, i) => {
      const res = await rawGet(server.url, path, authHeaders(keys[i % keys.length]!));
      statuses.set(res.status, (statuses.get(res.status) ?? 0) + 1);
      const bad = res.status >= 500 ? 'a 5xx'
        : res.text.includes(INTERNAL) ? 'the parser caught an internal error'
          : res.headers['odata-version'] !== '4.0' && !res.headers.location ? 'no OData-Version'
            : res.status >= 400 && !(res.body?.error?.code && res.body?.error?.message) ? 'an error without OData error JSON'
              : null;
      return bad && `${bad}: ${res.status} ${path}\n    ${res.text.slice(0, 300)}`;
    })).filter(Boolean);
    expect(problems, problems.slice(0, 20).join('\n')).toEqual([]);
    // The sample reaches past the parser: some requests succeed, most are refused.
    expect(statuses.get(200) ?? 0).toBeGreaterThan(300);
    expect(statuses.get(400) ?? 0).toBeGreaterThan(1000);
  });
});
