/**
 * Acceptance point 1 (first half): every case of od-cases.ts, sent to the demo gateway over
 * HTTP, returns exactly the rows of its hand-written SQL run on an independent DuckDB built
 * from the same init.sql; every case of od-errors.ts is refused in OData's error JSON.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TestServer } from '../helpers/http.ts';
import { OK_CASES, type OkCase } from './od-cases.ts';
import { ERROR_CASES } from './od-errors.ts';
import { diffRows, expectODataError, KEYS, odataGet, referenceDb, startDemo, type Row } from './od-helpers.ts';
import { runPool } from '../helpers/pool.ts';

let server: TestServer;
let ref: Awaited<ReturnType<typeof referenceDb>>;

beforeAll(async () => {
  [server, ref] = await Promise.all([startDemo(), referenceDb()]);
});
afterAll(async () => {
  await server?.close();
  ref?.close();
});

/** The one number a SQL query returns. */
async function scalar(sql: string): Promise<number> {
  const [row] = await ref.query(sql);
  return Number(Object.values(row!)[0]);
}

/** Runs one case; returns what is wrong with it, or null. */
async function check(c: OkCase): Promise<string | null> {
  const res = await odataGet(server.url, c.url, c.key === 'globex' ? KEYS.globex : KEYS.acme);
  if (res.status !== 200) return `status ${res.status}: ${res.text.slice(0, 300)}`;
  if (res.headers['odata-version'] !== '4.0') return `OData-Version ${String(res.headers['odata-version'])}`;
  if (c.plain) {
    if (!/^text\/plain/.test(String(res.headers['content-type']))) return `content-type ${String(res.headers['content-type'])}`;
    const want = await scalar(c.sql);
    return res.text === String(want) ? null : `count ${res.text}, expected ${want}`;
  }
  const expected = await ref.query(c.sql);
  const value = res.body.value as Row[];
  const diff = diffRows(value, expected, c.ordered === true);
  if (diff) return diff;
  if (c.count !== undefined) {
    const want = c.count === 'rows' ? expected.length : await scalar(c.count);
    if (res.body['@odata.count'] !== want) return `@odata.count ${res.body['@odata.count']}, expected ${want}`;
  } else if ('@odata.count' in res.body) {
    return '@odata.count without $count=true';
  }
  // Every case here fits one page: a nextLink would mean rows are missing from `value`.
  return '@odata.nextLink' in res.body ? 'unexpected @odata.nextLink' : null;
}

describe('OData $filter/$apply acceptance cases against hand-written SQL', () => {
  it(`has at least 150 result cases and 20 error cases, each URL once`, () => {
    expect(OK_CASES.length).toBeGreaterThanOrEqual(150);
    expect(ERROR_CASES.filter((e) => (e.status ?? 400) === 400).length).toBeGreaterThanOrEqual(20);
    const urls = [...OK_CASES.map((c) => `${c.key ?? ''}${c.url}`), ...ERROR_CASES.map((e) => e.url)];
    expect(urls.length - new Set(urls).size).toBe(0);
  });

  it('every result case returns exactly the rows of its SQL', async () => {
    const problems = (await runPool(OK_CASES, 4, async (c) => {
      const p = await check(c);
      return p && `${c.url}\n    ${p}`;
    })).filter(Boolean);
    expect(problems, problems.join('\n')).toEqual([]);
    // The cases are not all empty or all the same: a gateway that ignored $filter would fail.
    const sizes = new Set(await Promise.all(OK_CASES.filter((c) => !c.plain).map(async (c) => (await ref.query(c.sql)).length)));
    expect(sizes.size).toBeGreaterThan(10);
    expect(sizes.has(0)).toBe(true);
  });

  it('every error case is refused in OData error JSON naming the option and position', async () => {
    const problems = (await runPool(ERROR_CASES, 4, async (e) => {
      const res = await odataGet(server.url, e.url);
      try {
        const err = expectODataError(res, e.status ?? 400);
        expect(err.message).toMatch(e.message);
        if (e.pos !== undefined) expect(err.message).toContain(`(at position ${e.pos})`);
        if (e.target !== undefined) expect(err.target).toBe(e.target);
        expect(res.headers['odata-version']).toBe('4.0');
        expect(res.text).not.toMatch(/select |acme_orders|tenant_id|stack/i); // no SQL, no internals
        return null;
      } catch (x) {
        return `${e.url}\n    ${(x as Error).message.split('\n')[0]}: ${res.text.slice(0, 400)}`;
      }
    })).filter(Boolean);
    expect(problems, problems.join('\n')).toEqual([]);
  });
});
