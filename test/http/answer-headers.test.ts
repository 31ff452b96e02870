/**
 * The headers every answer carries (X-Request-Id, Server-Timing, and after authentication
 * RateLimit-*; X-Cache on queries; OData-Version under /odata), on every kind of answer:
 * JSON, CSV, problem+json, OData JSON and OData errors, 401 and 429. The frame adds them
 * in two ways, so both are checked: served by node (onto the ServerResponse, or inside the
 * Response for answers made by `respond`) and in process (`app.request`, onto the Response).
 * Each header must appear exactly once (a duplicate shows as a comma-joined value), and a
 * tenant's answer never carries another tenant's numbers.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApp } from '../../src/app.ts';
import { startServer, type RunningServer } from '../../src/server.ts';
import { gatewayFor, writeTinyConfig } from '../helpers/gateway-fixture.ts';

const config = writeTinyConfig((k) => `api_keys:
  - { key: "${k.a}", tenant: a, role: analyst, rate_limit: "1000/minute" }
  - { key: "${k.b}", tenant: b, role: analyst, rate_limit: "3/minute" }
`, ['a', 'b']);

interface Case {
  name: string;
  path: string;
  method?: 'GET' | 'POST';
  body?: unknown;
  key?: 'a' | 'b';
  headers?: Record<string, string>;
  status: number;
  /** Reached authentication: RateLimit-* expected. */
  limited: boolean;
  odata?: boolean;
  cache?: boolean;
  type: RegExp;
}

const QUERY = { dataset: 'sales', metrics: ['revenue', 'n'] };
const CASES: Case[] = [
  { name: 'health', path: '/health', status: 200, limited: false, type: /^application\/json/ },
  { name: 'unknown path, no key', path: '/nowhere', status: 404, limited: false, type: /^application\/problem\+json/ },
  { name: 'no key', path: '/v1/datasets', status: 401, limited: false, type: /^application\/problem\+json/ },
  { name: 'datasets', path: '/v1/datasets', key: 'a', status: 200, limited: true, type: /^application\/json/ },
  { name: 'query', path: '/v1/query', method: 'POST', body: QUERY, key: 'a', status: 200, limited: true, cache: true, type: /^application\/json/ },
  { name: 'query again (hit)', path: '/v1/query', method: 'POST', body: QUERY, key: 'a', status: 200, limited: true, cache: true, type: /^application\/json/ },
  { name: 'query as CSV', path: '/v1/query', method: 'POST', body: QUERY, key: 'a', headers: { accept: 'text/csv' }, status: 200, limited: true, cache: true, type: /^text\/csv/ },
  { name: 'bad query', path: '/v1/query', method: 'POST', body: { dataset: 'sales', metrics: ['nope'] }, key: 'a', status: 400, limited: true, type: /^application\/problem\+json/ },
  { name: 'unknown /v1 path', path: '/v1/nowhere', key: 'a', status: 404, limited: true, type: /^application\/problem\+json/ },
  { name: 'OData service', path: '/odata/', key: 'a', status: 200, limited: true, odata: true, type: /^application\/json/ },
  { name: 'OData $metadata', path: '/odata/$metadata', key: 'a', status: 200, limited: true, odata: true, type: /^application\/xml/ },
  { name: 'OData rows', path: '/odata/sales?$top=2', key: 'a', status: 200, limited: true, odata: true, type: /^application\/json/ },
  { name: 'OData error', path: '/odata/sales?$filter=nope eq 1', key: 'a', status: 400, limited: true, odata: true, type: /^application\/json/ },
  { name: 'OData 401', path: '/odata/sales', status: 401, limited: false, odata: true, type: /^application\/json/ },
];

type Send = (c: Case) => Promise<Response>;

function check(c: Case, res: Response): void {
  const h = res.headers;
  expect(res.status, c.name).toBe(c.status);
  expect(h.get('content-type'), c.name).toMatch(c.type);
  expect(h.get('x-request-id'), c.name).toMatch(/^[0-9a-f-]{36}$/);
  const timing = h.get('server-timing') ?? '';
  expect(timing.split(',').filter((m) => m.startsWith('total;')), `${c.name}: ${timing}`).toHaveLength(1);
  if (c.limited) {
    expect(h.get('ratelimit-limit'), c.name).toBe('1000');
    expect(h.get('ratelimit-remaining'), c.name).toMatch(/^\d+$/);
    expect(h.get('ratelimit-reset'), c.name).toMatch(/^\d+$/);
  } else {
    expect(h.get('ratelimit-limit'), c.name).toBeNull();
  }
  // Authentication ran (and timed), also when it refused: its timer is closed either way.
  if (c.limited || c.status === 401) expect(timing, c.name).toMatch(/(^|,)auth;dur=\d/);
  else expect(timing, c.name).not.toMatch(/auth;/);
  expect(h.get('odata-version'), c.name).toBe(c.odata ? '4.0' : null);
  if (c.cache) expect(h.get('x-cache'), c.name).toMatch(/^(HIT|MISS)$/);
  else expect(h.get('x-cache'), c.name).toBeNull();
}

async function exercise(send: Send): Promise<void> {
  let remaining = Infinity;
  for (const c of CASES) {
    const res = await send(c);
    check(c, res);
    await res.text();
    if (c.limited) {
      // One point per request: the count goes down by exactly one, so no answer consumed twice.
      const r = Number(res.headers.get('ratelimit-remaining'));
      if (remaining !== Infinity) expect(r, c.name).toBe(remaining - 1);
      remaining = r;
    }
  }
  // Tenant b's tighter limit: its answers carry its own numbers, and the 429 its own headers.
  const b = (): Promise<Response> => send({ ...CASES[3]!, key: 'b' });
  const seen: string[] = [];
  for (let i = 0; i < 4; i++) {
    const res = await b();
    await res.text();
    seen.push(`${res.status} ${res.headers.get('ratelimit-limit')} ${res.headers.get('ratelimit-remaining')}`);
    if (res.status === 429) {
      expect(res.headers.get('retry-after')).toMatch(/^\d+$/);
      expect(res.headers.get('server-timing')).toMatch(/^auth;dur=[\d.]+,total;dur=[\d.]+$/);
      expect(res.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/);
    }
  }
  expect(seen).toEqual(['200 3 2', '200 3 1', '200 3 0', '429 3 0']);
}

function init(c: Case, keys: Record<string, string>): RequestInit {
  const headers: Record<string, string> = { ...c.headers };
  if (c.key) headers.authorization = `Bearer ${keys[c.key]}`;
  if (c.body !== undefined) headers['content-type'] = 'application/json';
  return { method: c.method ?? 'GET', headers, ...(c.body !== undefined && { body: JSON.stringify(c.body) }) };
}

// Each describe has its own Gateway, so its own in-memory limits.
describe('answer headers, served by node', () => {
  let server: RunningServer;
  beforeAll(async () => {
    server = await startServer({ configDir: config.dir, port: 0, host: '127.0.0.1', gateway: await gatewayFor(config.dir) });
  });
  afterAll(async () => server?.close());

  it('every answer carries each of its headers exactly once', async () => {
    await exercise((c) => fetch(`${server.url}${c.path.replace(/ /g, '%20')}`, init(c, config.keys)));
  });
});

describe('answer headers, in process (app.request)', () => {
  it('every answer carries each of its headers exactly once', async () => {
    const app = createApp(await gatewayFor(config.dir));
    await exercise(async (c) => app.request(c.path.replace(/ /g, '%20'), init(c, config.keys)));
  });
});
