/**
 * /openapi.json: the document validates as OpenAPI 3.1, embeds the very request schema the
 * gateway validates with, and every response the gateway sends (status, content type,
 * required headers, body) conforms to the document's entry for its path, method and status.
 * Two real servers: the demo config (repo root) and a fixture with role restrictions, a
 * rate-limited key, a dead source, a query that times out and one whose SQL fails.
 */
import { copyFileSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { Ajv2020 } from 'ajv/dist/2020.js';
import addFormats from 'ajv-formats';
import { Validator } from '@seriousme/openapi-schema-validator';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApp } from '../../src/http/app.ts';
import { buildOpenApi } from '../../src/http/openapi.ts';
import { semanticQuerySchema } from '../../src/query/parse.ts';
import { startTestServer, type HttpResult, type ReqOptions, type TestServer } from '../helpers/http.ts';

const ROOT = resolve(import.meta.dirname, '../..');
const FIXTURE = resolve(import.meta.dirname, '../fixtures/http-openapi');
const DOC_ID = 'https://semgate.dev/openapi.json';
const DEMO = { acme: 'sk_demo_acme', admin: 'sk_demo_admin' };
const FX = { analyst: 'sgo-analyst', explain: 'sgo-explain', viewer: 'sgo-viewer', expired: 'sgo-expired', admin: 'sgo-admin', limited: 'sgo-limited' };
const ORDERS_QUERY = { dataset: 'orders', dimensions: ['region', 'order_date.quarter'], metrics: ['revenue', 'order_count'], limit: 3 };

// The document as served, and an ajv holding it so `#/components/...` refs resolve inside it.
let doc: any;
const ajv = new Ajv2020({ strict: true, allowUnionTypes: true, allErrors: true });
addFormats.default(ajv);
let demo: TestServer;
let fx: TestServer;
const exercised = new Set<string>();
const statuses = new Set<string>();

const pointer = (...parts: string[]): string => parts.map((p) => `/${p.replace(/~/g, '~0').replace(/\//g, '~1')}`).join('');

/** The response object's JSON pointer in the document, following a `$ref` to components. */
function responsePointer(path: string | null, method: string, status: number): { at: string; response: any } {
  if (path === null) return { at: pointer('components', 'responses', 'NotFound'), response: doc.components.responses.NotFound };
  const op = doc.paths[path]?.[method];
  expect(op, `${method} ${path} is in the document`).toBeDefined();
  const response = op.responses[String(status)];
  expect(response, `${method} ${path} declares ${status}`).toBeDefined();
  if (response.$ref === undefined) return { at: pointer('paths', path, method, 'responses', String(status)), response };
  const name = String(response.$ref).replace('#/components/responses/', '');
  return { at: pointer('components', 'responses', name), response: doc.components.responses[name] };
}

/** Asserts that one real response conforms to the document: status, media type, headers, body. */
function conforms(path: string | null, method: string, res: HttpResult): void {
  const { at, response } = responsePointer(path, method, res.status);
  const media = (res.headers.get('content-type') ?? '').split(';')[0]!.trim();
  expect(Object.keys(response.content ?? {}), `${method} ${path} ${res.status} media types`).toContain(media);
  for (const [name, h] of Object.entries<any>(response.headers ?? {})) {
    const header = h.$ref ? doc.components.headers[String(h.$ref).split('/').pop()!] : h;
    const value = res.headers.get(name);
    if (header.required) expect(value, `${method} ${path} ${res.status} header ${name}`).not.toBeNull();
    const typed = header.schema.type === 'integer' && value !== null && /^\d+$/.test(value) ? Number(value) : value;
    if (value !== null) expect(ajv.validate(header.schema, typed), `${method} ${path} ${res.status} header ${name}: ${value}`).toBe(true);
  }
  const validate = ajv.getSchema(`${DOC_ID}#${at}${pointer('content', media, 'schema')}`)!;
  const ok = validate(media.endsWith('json') ? res.body : res.text);
  expect(ok, `${method} ${path} ${res.status}: ${JSON.stringify(validate.errors)}\n${res.text.slice(0, 400)}`).toBe(true);
  if (res.status >= 400) expect(res.body.request_id).toBe(res.headers.get('x-request-id'));
  if (path !== null) exercised.add(`${method} ${path}`);
  if (path !== null) statuses.add(`${method} ${path} ${res.status}`);
}

/** Sends a request, asserts its status, and checks it against the document. */
async function call(server: TestServer, method: string, path: string, template: string | null, status: number, opts?: ReqOptions): Promise<HttpResult> {
  const res = await server.req(method.toUpperCase(), path, opts);
  expect(res.status, `${method} ${path}: ${res.text.slice(0, 300)}`).toBe(status);
  conforms(template, method, res);
  return res;
}

beforeAll(async () => {
  [demo, fx] = await Promise.all([startTestServer(ROOT), startTestServer(FIXTURE)]);
  const res = await demo.req('GET', '/openapi.json', { key: DEMO.acme });
  expect(res.status).toBe(200);
  doc = res.body;
  // The document's own members are not JSON Schema: ajv learns them as inert keywords, so it
  // can hold the document whole and resolve pointers into it.
  for (const member of Object.keys(doc)) ajv.addKeyword({ keyword: member });
  ajv.addSchema(doc, DOC_ID);
});

afterAll(async () => {
  await Promise.all([demo?.close(), fx?.close()]);
});

describe('the document', () => {
  it('is valid OpenAPI 3.1, and the validator does refuse a broken one', async () => {
    const validator = new Validator();
    const result = await validator.validate(doc);
    expect(result, JSON.stringify(result.errors)).toEqual({ valid: true });
    expect(validator.version).toBe('3.1');
    const broken = structuredClone(doc);
    delete broken.paths['/v1/query'].post.responses['200'].description;
    expect((await new Validator().validate(broken)).valid).toBe(false);
  });

  it('is what buildOpenApi makes, and every component schema compiles as JSON Schema 2020-12', () => {
    expect(doc).toEqual(buildOpenApi());
    for (const name of Object.keys(doc.components.schemas)) {
      expect(ajv.getSchema(`${DOC_ID}#${pointer('components', 'schemas', name)}`), name).toBeTypeOf('function');
    }
  });

  it('embeds the request schema the gateway validates with, not a copy', () => {
    const { $schema: _s, $id: _i, ...rest } = semanticQuerySchema;
    expect(doc.components.schemas.SemanticQuery).toEqual(rest);
    for (const path of ['/v1/query', '/v1/query/sql']) {
      const body = doc.paths[path].post.requestBody;
      expect(body.required).toBe(true);
      expect(body.content['application/json'].schema).toEqual({ $ref: '#/components/schemas/SemanticQuery' });
    }
  });

  it('declares the three ways to send a key, globally, and none for /health', () => {
    const schemes = doc.components.securitySchemes;
    expect(schemes.bearerAuth).toMatchObject({ type: 'http', scheme: 'bearer' });
    expect(schemes.apiKeyHeader).toMatchObject({ type: 'apiKey', in: 'header', name: 'X-API-Key' });
    expect(schemes.basicAuth).toMatchObject({ type: 'http', scheme: 'basic' });
    expect(doc.security).toEqual([{ bearerAuth: [] }, { apiKeyHeader: [] }, { basicAuth: [] }]);
    expect(doc.paths['/health'].get.security).toEqual([]);
    expect(doc.paths['/metrics'].get.security).toEqual([]);
  });
});

describe('every response conforms to the document', () => {
  it('meta endpoints: /health, /ready, /openapi.json', async () => {
    const metrics = await call(demo, 'get', '/metrics', '/metrics', 200);
    expect(metrics.text).toContain('semgate_http_requests_total');
    const health = await call(demo, 'get', '/health', '/health', 200, { headers: { 'X-Request-Id': 'my-trace_01=' } });
    expect(health.headers.get('x-request-id')).toBe('my-trace_01=');
    await call(demo, 'get', '/ready', '/ready', 200, { key: DEMO.acme });
    const ready = await call(demo, 'get', '/ready', '/ready', 200, { key: DEMO.admin });
    expect(ready.body.sources).toEqual({ demo: 'ok' });
    await call(demo, 'get', '/ready', '/ready', 401);
    await call(fx, 'get', '/ready', '/ready', 503, { key: FX.analyst });
    const down = await call(fx, 'get', '/ready', '/ready', 503, { key: FX.admin });
    expect(down.body.sources).toEqual({ demo: 'ok', down: 'down' });
    await call(demo, 'get', '/openapi.json', '/openapi.json', 200, { key: DEMO.acme, auth: 'basic' });
    await call(demo, 'get', '/openapi.json', '/openapi.json', 401);
    await call(demo, 'get', '/openapi.json', '/openapi.json', 401, { key: 'sk_not_a_key' });
  });

  it('catalog endpoints, with the key sent each of the three ways', async () => {
    for (const auth of ['bearer', 'x-api-key', 'basic'] as const) {
      await call(demo, 'get', '/v1/datasets', '/v1/datasets', 200, { key: DEMO.acme, auth });
    }
    await call(demo, 'get', '/v1/datasets', '/v1/datasets', 401, { key: FX.expired });
    await call(fx, 'get', '/v1/datasets', '/v1/datasets', 401, { key: FX.expired });
    await call(demo, 'get', '/v1/datasets', '/v1/datasets', 403, { key: DEMO.acme, headers: { 'X-Tenant-Id': 'globex_inc' } });
    await call(demo, 'get', '/v1/datasets', '/v1/datasets', 400, { key: DEMO.admin, headers: { 'X-Tenant-Id': 'not a tenant' } });
    const viewerList = await call(fx, 'get', '/v1/datasets', '/v1/datasets', 200, { key: FX.viewer });
    expect(viewerList.body.datasets.map((d: { name: string }) => d.name)).not.toContain('customers');

    await call(demo, 'get', '/v1/datasets/orders', '/v1/datasets/{name}', 200, { key: DEMO.acme });
    await call(demo, 'get', '/v1/datasets/ordrs', '/v1/datasets/{name}', 400, { key: DEMO.acme });
    await call(demo, 'get', '/v1/datasets/orders', '/v1/datasets/{name}', 401);
    await call(fx, 'get', '/v1/datasets/customers', '/v1/datasets/{name}', 403, { key: FX.viewer });
    const detail = await call(fx, 'get', '/v1/datasets/orders', '/v1/datasets/{name}', 200, { key: FX.viewer });
    expect(detail.body.dimensions.map((d: { name: string }) => d.name)).not.toContain('channel');
  });

  it('POST /v1/query: JSON, CSV and every error it can answer', async () => {
    const json = await call(demo, 'post', '/v1/query', '/v1/query', 200, { key: DEMO.acme, body: ORDERS_QUERY });
    expect(json.body.meta).toMatchObject({ row_count: 3, truncated: true });
    const csv = await call(demo, 'post', '/v1/query', '/v1/query', 200, {
      key: DEMO.acme, body: { ...ORDERS_QUERY, limit: 100 }, headers: { Accept: 'text/csv' },
    });
    expect(csv.text.split('\r\n')[0]).toBe('region,order_date.quarter,revenue,order_count');
    const q = (body: unknown, status: number, opts: ReqOptions = {}) => call(demo, 'post', '/v1/query', '/v1/query', status, { key: DEMO.acme, body, ...opts });
    expect((await q({ dataset: 'orders', dimensions: ['regoin'] }, 400)).body.field).toBe('dimensions[0]');
    expect((await q({ dataset: 'orders', dimension: ['region'] }, 400)).body.field).toBe('dimension');
    expect((await q('{"dataset": "orders",', 400)).body.type).toBe('https://semgate.dev/errors/malformed-json');
    await q('', 400);
    await q({ dataset: 'orders', metrics: ['revenue'], filters: [{ field: 'region', op: 'like', values: ['E'] }] }, 400);
    await q({ dataset: 'orders', metrics: ['revenue'], limit: 60000 }, 400);
    await q(ORDERS_QUERY, 401, { key: 'sk_not_a_key', auth: 'x-api-key' });
    await q(`{"dataset":"orders","pad":"${'x'.repeat(1024 * 1024)}"}`, 413);
    await call(fx, 'post', '/v1/query', '/v1/query', 403, { key: FX.viewer, body: { dataset: 'customers', metrics: ['customer_count'] } });
    const field = await call(fx, 'post', '/v1/query', '/v1/query', 403, { key: FX.viewer, body: { dataset: 'orders', dimensions: ['channel'] } });
    expect(field.body.field).toBe('dimensions[0]');
    await call(fx, 'post', '/v1/query', '/v1/query', 503, { key: FX.analyst, body: { dataset: 'offline', dimensions: ['name'] } });
    await call(fx, 'post', '/v1/query', '/v1/query', 504, { key: FX.analyst, body: { dataset: 'slow', metrics: ['total'] } });
    const failed = await call(fx, 'post', '/v1/query', '/v1/query', 500, { key: FX.analyst, body: { dataset: 'broken', dimensions: ['name'] } });
    expect(failed.text).not.toMatch(/no_such_table|SELECT/i);
  });

  it('POST /v1/query/sql: admin and explain keys only', async () => {
    const sql = await call(demo, 'post', '/v1/query/sql', '/v1/query/sql', 200, {
      key: DEMO.admin, body: ORDERS_QUERY, headers: { 'X-Tenant-Id': 'acme_corp' },
    });
    expect(sql.body.parameters[0]).toBe('acme_corp');
    await call(fx, 'post', '/v1/query/sql', '/v1/query/sql', 200, { key: FX.explain, body: { dataset: 'orders', metrics: ['revenue'] } });
    await call(demo, 'post', '/v1/query/sql', '/v1/query/sql', 403, { key: DEMO.acme, body: ORDERS_QUERY });
    await call(demo, 'post', '/v1/query/sql', '/v1/query/sql', 400, { key: DEMO.admin, body: '[1,' });
    await call(demo, 'post', '/v1/query/sql', '/v1/query/sql', 401, { body: ORDERS_QUERY });
    await call(demo, 'post', '/v1/query/sql', '/v1/query/sql', 413, { key: DEMO.admin, body: ' '.repeat(1024 * 1024 + 1) });
  });

  it('usage endpoints', async () => {
    const usage = await call(demo, 'get', '/v1/usage', '/v1/usage', 200, { key: DEMO.acme });
    expect(usage.body).toMatchObject({ tenant: 'acme_corp' });
    expect(usage.body.queries_today).toBeGreaterThan(0);
    await call(demo, 'get', '/v1/usage', '/v1/usage', 400, { key: DEMO.admin });
    await call(demo, 'get', '/v1/usage', '/v1/usage', 200, { key: DEMO.admin, headers: { 'X-Tenant-Id': 'acme_corp' } });
    await call(demo, 'get', '/v1/usage', '/v1/usage', 401);
    const all = await call(demo, 'get', '/v1/admin/usage', '/v1/admin/usage', 200, { key: DEMO.admin });
    expect(all.body.tenants.map((t: { tenant: string }) => t.tenant)).toContain('acme_corp');
    await call(demo, 'get', '/v1/admin/usage', '/v1/admin/usage', 403, { key: DEMO.acme });
    await call(demo, 'get', '/v1/admin/usage', '/v1/admin/usage', 401, { key: FX.expired });
  });

  it('cache purge: admin only, with an optional filter', async () => {
    const purge = '/v1/admin/cache/purge';
    const all = await call(demo, 'post', purge, purge, 200, { key: DEMO.admin });
    expect(all.body.purged).toMatchObject({ shared: 0 });
    await call(demo, 'post', purge, purge, 200, { key: DEMO.admin, body: { dataset: 'orders', tenant: 'acme_corp' } });
    await call(demo, 'post', purge, purge, 400, { key: DEMO.admin, body: { datasets: 'orders' } });
    await call(demo, 'post', purge, purge, 403, { key: DEMO.acme });
    await call(demo, 'post', purge, purge, 401);
    await call(demo, 'post', purge, purge, 413, { key: DEMO.admin, body: ' '.repeat(1024 * 1024 + 1) });
  });

  it('reload: admin only; the demo files reload as they are', async () => {
    const reload = '/v1/admin/reload';
    const ok = await call(demo, 'post', reload, reload, 200, { key: DEMO.admin });
    expect(ok.body.kept_sources).toEqual(['demo']);
    await call(demo, 'post', reload, reload, 403, { key: DEMO.acme });
    await call(demo, 'post', reload, reload, 401);
    await call(demo, 'post', reload, reload, 413, { key: DEMO.admin, body: ' '.repeat(1024 * 1024 + 1) });
    // A copy of the demo whose catalog then breaks: the reload is refused with its findings.
    const dir = mkdtempSync(join(tmpdir(), 'semgate-openapi-reload-'));
    for (const f of ['catalog.yaml', 'api-keys.yaml']) copyFileSync(join(ROOT, f), join(dir, f));
    writeFileSync(join(dir, 'sources.yaml'), readFileSync(join(ROOT, 'sources.yaml'), 'utf8').replace('examples/demo/init.sql', join(ROOT, 'examples/demo/init.sql')));
    const copy = await startTestServer(dir);
    try {
      writeFileSync(join(dir, 'catalog.yaml'), readFileSync(join(dir, 'catalog.yaml'), 'utf8').replace('source: demo', 'source: demoo'));
      const refused = await call(copy, 'post', reload, reload, 400, { key: DEMO.admin });
      expect(refused.body.errors[0]).toMatchObject({ file: 'catalog.yaml', field: 'datasets[0].source' });
    } finally {
      await copy.close();
    }
  });

  it('a key over its rate limit gets 429 with Retry-After and RateLimit-*', async () => {
    const limited = { key: FX.limited };
    await call(fx, 'get', '/v1/datasets', '/v1/datasets', 200, limited);
    await call(fx, 'get', '/v1/datasets', '/v1/datasets', 200, limited);
    const refused = await call(fx, 'get', '/v1/datasets', '/v1/datasets', 429, limited);
    expect(Number(refused.headers.get('retry-after'))).toBeGreaterThan(0);
    // The key stays spent for the minute: every keyed endpoint refuses it.
    for (const [method, path, template] of [
      ['get', '/ready', '/ready'], ['get', '/openapi.json', '/openapi.json'], ['get', '/v1/datasets/orders', '/v1/datasets/{name}'],
      ['post', '/v1/query', '/v1/query'], ['post', '/v1/query/sql', '/v1/query/sql'], ['get', '/v1/usage', '/v1/usage'],
      ['get', '/v1/admin/usage', '/v1/admin/usage'], ['post', '/v1/admin/cache/purge', '/v1/admin/cache/purge'],
      ['post', '/v1/admin/reload', '/v1/admin/reload'],
    ] as const) {
      await call(fx, method, path, template, 429, { ...limited, ...(method === 'post' && { body: { dataset: 'orders', metrics: ['revenue'] } }) });
    }
  });

  it('X-Tenant-Id: 403 from a non-admin key, 400 when an admin sends a bad one, on every keyed endpoint', async () => {
    for (const [path, template] of [
      ['/ready', '/ready'], ['/openapi.json', '/openapi.json'], ['/v1/datasets', '/v1/datasets'],
      ['/v1/usage', '/v1/usage'], ['/v1/admin/usage', '/v1/admin/usage'],
    ] as const) {
      const refused = await call(demo, 'get', path, template, 403, { key: DEMO.acme, headers: { 'X-Tenant-Id': 'globex_inc' } });
      expect(refused.body.field).toBe('X-Tenant-Id');
      await call(demo, 'get', path, template, 400, { key: DEMO.admin, headers: { 'X-Tenant-Id': 'not a tenant' } });
    }
  });

  it('unknown paths and methods answer 404 problem+json', async () => {
    await call(demo, 'get', '/nope', null, 404);
    await call(demo, 'get', '/v1/nope', null, 404, { key: DEMO.acme });
    await call(demo, 'delete', '/v1/datasets', null, 404, { key: DEMO.acme });
  });

  it('documents every route the app serves', () => {
    // Routes of issues in progress, to be documented by them; a new route must land here or in the document.
    const pending: string[] = [];
    const routes = createApp(demo.server.gateway).routes
      .filter((r) => r.method !== 'ALL')
      .map((r) => `${r.method.toLowerCase()} ${r.path.replace(/:(\w+)/g, '{$1}')}`);
    const documented = Object.entries<any>(doc.paths).flatMap(([path, item]) => Object.keys(item).map((m) => `${m} ${path}`));
    expect([...new Set(routes)].filter((r) => !pending.includes(r)).sort()).toEqual(documented.sort());
  });

  it('exercised every operation of the document', () => {
    const operations = Object.entries<any>(doc.paths).flatMap(([path, item]) => Object.keys(item).map((m) => `${m} ${path}`));
    expect([...exercised].sort()).toEqual(operations.sort());
    const declared = Object.entries<any>(doc.paths).flatMap(([path, item]) => Object.entries<any>(item).flatMap(([m, op]) => Object.keys(op.responses).map((st) => `${m} ${path} ${st}`)));
    // Only the 500s of endpoints that cannot fail short of a bug stay unprovoked.
    expect(declared.filter((d) => !statuses.has(d)).every((d) => d.endsWith(' 500'))).toBe(true);
    expect(statuses).toContain('post /v1/query 500');
  });
});
