/**
 * CSV answers (d3-dsv): RFC 4180 quoting, and formula neutralisation (OWASP CSV injection)
 * when the request asks for it or sources.yaml's `csv.escape_formulas` says so; numbers stay
 * numbers, negative ones included.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pino } from 'pino';
import { loadCatalog } from '../helpers/catalog.ts';
import { Gateway, stateFor } from '../../src/service/gateway.ts';
import { startServer, type RunningServer } from '../../src/server.ts';
import { neutraliseFormula } from '../../src/http/csv.ts';
import { KEYS, writeStreamConfig } from './fixture.ts';

const QUERY = { dataset: 'cells', dimensions: ['id', 'text', 'amount'], limit: 100 };

async function serve(csv?: string): Promise<RunningServer> {
  const dir = writeStreamConfig({ engines: ['duckdb'], ...(csv && { csv }) });
  const gateway = new Gateway(stateFor(await loadCatalog(dir)), pino({ level: 'silent' }));
  return startServer({ configDir: dir, gateway, port: 0, host: '127.0.0.1' });
}

function csv(server: RunningServer, search = '', key: string = KEYS.a, body: unknown = QUERY): Promise<Response> {
  return fetch(`${server.url}/v1/query${search}`, {
    method: 'POST', body: JSON.stringify(body),
    headers: { 'content-type': 'application/json', authorization: `Bearer ${key}`, accept: 'text/csv' },
  });
}

const RAW = [
  'id,text,amount',
  '1,=1+1,-12.5',
  '2,+SUM(A1),3',
  '3,-2,-7',
  '4,@cmd,0',
  '5,\ttab,1',
  '6,"\rcr",2',
  '7,"plain, ""quoted""",4',
  '',
].join('\r\n');

const ESCAPED = [
  'id,text,amount',
  "1,'=1+1,-12.5",
  "2,'+SUM(A1),3",
  "3,'-2,-7",
  "4,'@cmd,0",
  "5,'\ttab,1",
  "6,\"'\rcr\",2",
  '7,"plain, ""quoted""",4',
  '',
].join('\r\n');

describe('CSV', () => {
  let plain: RunningServer;
  let strict: RunningServer;
  beforeAll(async () => {
    plain = await serve();
    strict = await serve('{ escape_formulas: true }');
  });
  afterAll(async () => {
    await plain?.close();
    await strict?.close();
  });

  it('RFC 4180 by default: quotes where needed, cells as they are, only the caller\'s rows', async () => {
    const res = await csv(plain);
    expect(res.status).toBe(200);
    expect(res.headers.get('x-row-count')).toBe('7');
    expect(await res.text()).toBe(RAW);
  });

  it('?escape_formulas=true neutralises formula-like text cells, never a number', async () => {
    const res = await csv(plain, '?escape_formulas=true');
    expect(await res.text()).toBe(ESCAPED);
  });

  it('the configured default applies unless the request says false', async () => {
    expect(await (await csv(strict)).text()).toBe(ESCAPED);
    expect(await (await csv(strict, '?escape_formulas=false')).text()).toBe(RAW);
  });

  it('JSON answers are never changed', async () => {
    const res = await fetch(`${strict.url}/v1/query?escape_formulas=true`, {
      method: 'POST', body: JSON.stringify(QUERY), headers: { 'content-type': 'application/json', authorization: `Bearer ${KEYS.a}` },
    });
    const body = await res.json() as { rows: unknown[][] };
    expect(body.rows[0]).toEqual([1, '=1+1', -12.5]);
  });

  it('a bad escape_formulas is a 400 problem', async () => {
    const res = await csv(plain, '?escape_formulas=maybe');
    expect(res.status).toBe(400);
    expect(res.headers.get('content-type')).toMatch(/problem\+json/);
    expect(await res.json()).toMatchObject({ field: 'escape_formulas' });
  });

  it("another tenant's cell is not reachable through the CSV export", async () => {
    const text = await (await csv(strict, '', KEYS.a, { ...QUERY, filters: [{ field: 'text', op: 'contains', values: ['secret'] }] })).text();
    expect(text).toBe('id,text,amount\r\n');
    const b = await (await csv(strict, '', KEYS.b)).text();
    expect(b).toBe("id,text,amount\r\n8,'=b secret,5\r\n");
  });

  it('neutraliseFormula: text columns only; exact big numbers (strings) of number columns stay as they are', () => {
    expect(neutraliseFormula('-9007199254740993', 'number')).toBe('-9007199254740993');
    expect(neutraliseFormula('-9007199254740993', 'integer')).toBe('-9007199254740993');
    expect(neutraliseFormula(-3, 'number')).toBe(-3);
    expect(neutraliseFormula('-3', 'string')).toBe("'-3");
    expect(neutraliseFormula('a=b', 'string')).toBe('a=b');
    expect(neutraliseFormula(null, 'string')).toBeNull();
  });
});
