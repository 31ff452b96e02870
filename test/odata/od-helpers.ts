/**
 * Shared pieces of the OData acceptance tests: the demo gateway (with a rate limit high
 * enough for thousands of requests), a raw HTTP GET that sends the path byte for byte (so a
 * test decides what is percent-encoded), an independent DuckDB built from the demo's
 * init.sql for the expected results, and a row comparison that ignores order unless told.
 */
import { readFileSync } from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { expect } from 'vitest';
import { mulberry32 } from '../helpers/rng.ts';
import type { LoadOptions } from '../../src/catalog/load.ts';
import { authHeaders, startTestServer, type TestServer } from '../helpers/http.ts';
import { assertConforms } from '../helpers/openapi-conformance.ts';

export const ROOT = path.resolve(import.meta.dirname, '../..');
export const KEYS = { acme: 'sk_demo_acme', globex: 'sk_demo_globex', initech: 'sk_demo_initech', admin: 'sk_demo_admin' } as const;
export const TENANTS = { acme: 'acme_corp', globex: 'globex_inc', initech: 'initech' } as const;

/** The demo config from the repo root, with the fixture's keys (same keys, no practical rate limit). */
export function startDemo(files: LoadOptions['files'] = {}): Promise<TestServer> {
  return startTestServer(ROOT, { files: { apiKeys: 'test/fixtures/odata/api-keys.yaml', ...files } });
}

export interface RawResponse {
  status: number;
  headers: http.IncomingHttpHeaders;
  /** Header names and values as sent, repeats included. */
  rawHeaders: string[];
  text: string;
  // Response shapes vary per test; a loose type keeps the assertions readable.
  body: any;
}

/**
 * GET `pathAndQuery` exactly as given (node only refuses raw spaces and control characters,
 * so quotes, `$`, `+`, `(` and `,` reach the server literally unless the caller encodes them).
 */
export function rawGet(baseUrl: string, pathAndQuery: string, headers: Record<string, string> = {}): Promise<RawResponse> {
  const u = new URL(baseUrl);
  return new Promise((resolve, reject) => {
    const r = http.get({ host: u.hostname, port: u.port, path: pathAndQuery, headers, agent: keepAlive }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        const type = String(res.headers['content-type'] ?? '');
        let body: unknown = text;
        if (type.includes('json') && text !== '') body = JSON.parse(text);
        // Checked against the OpenAPI document like every response of the shared helpers.
        try {
          assertConforms('GET', pathAndQuery, { status: res.statusCode!, header: (n) => headerValue(res.headers[n.toLowerCase()]), text, body });
        } catch (e) {
          reject(e as Error);
          return;
        }
        resolve({ status: res.statusCode!, headers: res.headers, rawHeaders: res.rawHeaders, text, body });
      });
      res.on('error', reject);
    });
    r.on('error', reject);
  });
}
const headerValue = (v: string | string[] | undefined): string | null => (v === undefined ? null : Array.isArray(v) ? v.join(', ') : v);
const keepAlive = new http.Agent({ keepAlive: true, maxSockets: 8 });

/** GET an OData URL as a key (Bearer unless told), encoding nothing but spaces. */
export function odataGet(baseUrl: string, url: string, key: string = KEYS.acme, extra: Record<string, string> = {}): Promise<RawResponse> {
  return rawGet(baseUrl, `/odata/${url.replace(/ /g, '%20')}`, { ...authHeaders(key), ...extra });
}

/** An OData error body: `{"error":{"code","message",...}}`, JSON, with the status asked for. */
export function expectODataError(res: RawResponse, status = 400): { code: string; message: string; target?: string } {
  expect(res.status, res.text).toBe(status);
  expect(String(res.headers['content-type'])).toMatch(/^application\/json/);
  expect(res.body).toEqual({ error: expect.objectContaining({ code: expect.any(String), message: expect.any(String) }) });
  expect(res.body).not.toHaveProperty('value');
  return res.body.error;
}

export type Row = Record<string, unknown>;

/**
 * The reference database: the demo's own init.sql in a DuckDB of this test, plus views of
 * each tenant's rows written here (not taken from the catalog), so expected SQL stays short.
 */
export async function referenceDb(): Promise<{ query(sql: string): Promise<Row[]>; close(): void }> {
  const instance = await DuckDBInstance.create(':memory:');
  const con = await instance.connect();
  await con.run(readFileSync(path.join(ROOT, 'examples/demo/init.sql'), 'utf8'));
  for (const [short, tenant] of Object.entries(TENANTS)) {
    await con.run(`CREATE VIEW ${short}_orders AS SELECT * FROM orders WHERE tenant_id = '${tenant}'`);
    // Customers with their joined countries' fields, named as OData names them (`countries_region`).
    await con.run(`CREATE VIEW ${short}_customers AS SELECT c.customer_id, c.tenant_id, c.customer_name, c.segment,
      c.signup_date, co.country_name AS countries_country_name, co.region AS countries_region
      FROM customers c LEFT JOIN countries co USING (country_code) WHERE c.tenant_id = '${tenant}'`);
    await con.run(`CREATE VIEW ${short}_refunds AS SELECT * FROM refunds WHERE tenant_id = '${tenant}'`);
  }
  return {
    query: async (sql) => (await con.runAndReadAll(sql)).getRowObjectsJson() as Row[],
    close: () => { con.closeSync(); instance.closeSync(); },
  };
}

const NUMERIC = /^-?\d+(\.\d+)?(e[+-]?\d+)?$/i;
const TIMESTAMP = /^\d{4}-\d\d-\d\d[ T]\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:?\d\d)?$/;

/** One value in a form both sides agree on: numbers as numbers, timestamps as UTC ISO. */
export function norm(v: unknown): unknown {
  if (typeof v === 'bigint') return Number(v);
  if (typeof v === 'string' && NUMERIC.test(v)) return Number(v);
  if (typeof v === 'string' && TIMESTAMP.test(v)) {
    const iso = v.replace(' ', 'T');
    return new Date(/Z|[+-]\d\d:?\d\d$/.test(iso) ? iso : `${iso}Z`).toISOString();
  }
  return v;
}

function sameValue(a: unknown, b: unknown): boolean {
  const x = norm(a);
  const y = norm(b);
  if (typeof x === 'number' && typeof y === 'number') {
    return x === y || Math.abs(x - y) <= 1e-9 * Math.max(Math.abs(x), Math.abs(y));
  }
  return x === y;
}

const rowKey = (r: Row, cols: readonly string[]): string => JSON.stringify(cols.map((c) => {
  const v = norm(r[c]);
  return typeof v === 'number' ? Number(v.toPrecision(9)) : v; // tolerant sort key; sameValue decides
}));

/**
 * Whether OData's `value` equals the expected rows: same columns (`_key` aside), same rows,
 * in the same order when `ordered`, else as multisets. Returns a description of the first
 * difference, or null.
 */
export function diffRows(actual: readonly Row[], expected: readonly Row[], ordered: boolean): string | null {
  if (actual.length !== expected.length) return `${actual.length} rows, expected ${expected.length}: got ${JSON.stringify(actual.slice(0, 3))} expected ${JSON.stringify(expected.slice(0, 3))}`;
  if (expected.length === 0) return null;
  const cols = Object.keys(expected[0]!);
  for (const r of actual) {
    const have = Object.keys(r).filter((k) => k !== '_key').sort();
    if (JSON.stringify(have) !== JSON.stringify([...cols].sort())) return `columns ${have.join(',')}, expected ${cols.join(',')}`;
  }
  const sort = (rows: readonly Row[]): Row[] => (ordered ? [...rows] : [...rows].sort((a, b) => (rowKey(a, cols) < rowKey(b, cols) ? -1 : rowKey(a, cols) > rowKey(b, cols) ? 1 : 0)));
  const [a, e] = [sort(actual), sort(expected)];
  for (let i = 0; i < a.length; i++) {
    for (const c of cols) {
      if (!sameValue(a[i]![c], e[i]![c])) return `row ${i} ${c}: got ${JSON.stringify(a[i])} expected ${JSON.stringify(e[i])}`;
    }
  }
  return null;
}

/** A seeded PRNG (mulberry32): the same sequence on every run, so a failure reproduces. */
export function prng(seed: number): { next(): number; int(n: number): number; pick<T>(xs: readonly T[]): T; chance(p: number): boolean } {
  const next = mulberry32(seed);
  const int = (n: number): number => Math.floor(next() * n);
  return { next, int, pick: (xs) => xs[int(xs.length)]!, chance: (p) => next() < p };
}

