/**
 * The response-conformance check every shared HTTP helper runs (test/helpers/openapi-conformance.ts)
 * really checks: a response that breaks the document in any of the ways it looks at is
 * reported, and real answers of the demo pass. And /openapi.json passes an external
 * validator (@seriousme/openapi-schema-validator) as served over HTTP.
 */
import { createServer } from 'node:http';
import { resolve } from 'node:path';
import { Validator } from '@seriousme/openapi-schema-validator';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { nonConformance, templateOf, type Answer } from '../helpers/openapi-conformance.ts';
import { startTestServer, type TestServer } from '../helpers/http.ts';

const ROOT = resolve(import.meta.dirname, '../..');
let demo: TestServer;
beforeAll(async () => {
  demo = await startTestServer(ROOT);
});
afterAll(async () => {
  await demo?.close();
});

const answer = (status: number, headers: Record<string, string>, body: unknown): Answer => {
  const text = typeof body === 'string' ? body : JSON.stringify(body);
  return { status, header: (n) => headers[n.toLowerCase()] ?? null, text, body };
};

describe('the conformance check', () => {
  it('maps request paths to the document\'s templates', () => {
    expect(templateOf('GET', '/odata/$metadata')).toBe('/odata/$metadata');
    expect(templateOf('GET', '/odata/%24metadata')).toBe('/odata/$metadata');
    expect(templateOf('GET', '/odata/orders?$top=1')).toBe('/odata/{set}');
    expect(templateOf('GET', '/odata/orders/$count')).toBe('/odata/{set}/$count');
    expect(templateOf('GET', '/odata')).toBe('/odata');
    expect(templateOf('POST', '/v1/query')).toBe('/v1/query');
    expect(templateOf('GET', '/v1/query')).toBeNull();
    expect(templateOf('GET', '/v1/datasets/orders')).toBe('/v1/datasets/{name}');
  });

  it('reports an undeclared status, a wrong media type, a missing header, a body off its schema, a request id mismatch', () => {
    const ok = { 'content-type': 'application/json', 'x-request-id': 'r1', 'server-timing': 'total;dur=1' };
    expect(nonConformance('GET', '/health', answer(200, ok, { status: 'ok' }))).toBeNull();
    expect(nonConformance('GET', '/health', answer(418, ok, { status: 'ok' }))).toMatch(/status 418 is not declared/);
    expect(nonConformance('GET', '/health', answer(200, { ...ok, 'content-type': 'text/html' }, '<p>'))).toMatch(/content type/);
    expect(nonConformance('GET', '/health', answer(200, { 'content-type': 'application/json' }, { status: 'ok' }))).toMatch(/X-Request-Id/i);
    expect(nonConformance('GET', '/health', answer(200, ok, { status: 42 }))).toMatch(/does not match the response schema/);
    const problem = { 'content-type': 'application/problem+json', 'x-request-id': 'r1' };
    const body = { type: 'https://semgate.dev/errors/not-found', title: 'Not found', status: 404, detail: 'x', request_id: 'r2' };
    expect(nonConformance('GET', '/nowhere', answer(404, problem, body))).toMatch(/request id/);
    expect(nonConformance('GET', '/nowhere', answer(404, problem, { ...body, request_id: 'r1' }))).toBeNull();
    expect(nonConformance('GET', '/nowhere', answer(200, ok, {}))).toMatch(/not in the OpenAPI document/);
  });

  it('passes real answers of the demo (the helper checks them as it makes the requests)', async () => {
    for (const [path, key] of [['/health', undefined], ['/v1/datasets', 'sk_demo_acme'], ['/odata', 'sk_demo_acme'], ['/odata/', 'sk_demo_acme'], ['/nope', 'sk_demo_acme'], ['/odata/orders/nope', 'sk_demo_acme']] as const) {
      const res = await demo.req('GET', path, key ? { key } : {});
      expect(res.status).toBeLessThan(500);
    }
  });

  it('GET /odata is documented as served: 200 with the service document, no redirect', async () => {
    const res = await demo.req('GET', '/odata', { key: 'sk_demo_acme' });
    expect(res.status).toBe(200);
    expect(res.body.value.map((s: { name: string }) => s.name)).toContain('orders');
    const doc = (await demo.req('GET', '/openapi.json', { key: 'sk_demo_acme' })).body;
    expect(Object.keys(doc.paths['/odata'].get.responses)).toContain('200');
    expect(Object.keys(doc.paths['/odata'].get.responses).filter((s) => s.startsWith('3'))).toEqual([]);
  });
});

describe('the suite-wide check (vitest setupFiles: test/helpers/conformance-setup.ts)', () => {
  it('is active: fetch of an answer that breaks the document fails, one that keeps it passes', async () => {
    const fake = createServer((req, res) => {
      res.writeHead(200, { 'content-type': 'application/json', 'x-request-id': 'r1' });
      res.end('{}');
    });
    await new Promise<void>((r) => fake.listen(0, '127.0.0.1', r));
    const port = (fake.address() as { port: number }).port;
    try {
      await expect(fetch(`http://127.0.0.1:${port}/nowhere`)).rejects.toThrow(/OpenAPI conformance: .*not in the OpenAPI document/);
      await expect(fetch(`http://127.0.0.1:${port}/health`)).rejects.toThrow(/OpenAPI conformance: .*(Server-Timing|schema)/i);
    } finally {
      fake.close();
    }
    expect((await fetch(`${demo.url}/health`)).status).toBe(200);
  });

  it('is active for in-process requests: createApp(gateway).request is checked', async () => {
    const { createApp } = await import('../../src/app.ts');
    const app = createApp(demo.server.gateway);
    expect((await app.request('/health')).status).toBe(200);
    expect((await app.request('/v1/datasets', { headers: { Authorization: 'Bearer sk_demo_acme' } })).status).toBe(200);
  });
});

describe('/openapi.json, as served, passes an external validator', () => {
  it('@seriousme/openapi-schema-validator: valid OpenAPI 3.1', async () => {
    const res = await demo.req('GET', '/openapi.json', { key: 'sk_demo_acme' });
    const validator = new Validator();
    const result = await validator.validate(res.body);
    expect(result, JSON.stringify(result.errors)).toEqual({ valid: true });
    expect(validator.version).toBe('3.1');
  });
});
