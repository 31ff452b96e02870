/**
 * The conformance harness of test/http/openapi.test.ts: holds the served document in an ajv,
 * checks a real response against the document's entry for its path, method and status, and
 * records which operations and statuses the test exercised.
 */
import { Ajv2020 } from 'ajv/dist/2020.js';
import addFormats from 'ajv-formats';
import { expect } from 'vitest';
import type { HttpResult, ReqOptions, TestServer } from '../helpers/http.ts';

export const DOC_ID = 'https://semgate.dev/openapi.json';

// The document as served, and an ajv holding it so `#/components/...` refs resolve inside it.
export let doc: any;
export const ajv = new Ajv2020({ strict: true, allowUnionTypes: true, allErrors: true });
addFormats.default(ajv);
export const exercised = new Set<string>();
export const statuses = new Set<string>();

export const pointer = (...parts: string[]): string => parts.map((p) => `/${p.replace(/~/g, '~0').replace(/\//g, '~1')}`).join('');

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
export function conforms(path: string | null, method: string, res: HttpResult): void {
  const { at, response } = responsePointer(path, method, res.status);
  // A media type is declared bare, or (OData's JSON) exactly as sent, parameters and all.
  const type = res.headers.get('content-type') ?? '';
  const bare = type.split(';')[0]!.trim();
  const media = response.content?.[type] ? type : bare;
  if (response.content === undefined) expect(res.text, `${method} ${path} ${res.status} has no body`).toBe('');
  else expect(Object.keys(response.content), `${method} ${path} ${res.status} media types`).toContain(media);
  for (const [name, h] of Object.entries<any>(response.headers ?? {})) {
    const header = h.$ref ? doc.components.headers[String(h.$ref).split('/').pop()!] : h;
    const value = res.headers.get(name);
    if (header.required) expect(value, `${method} ${path} ${res.status} header ${name}`).not.toBeNull();
    const typed = header.schema.type === 'integer' && value !== null && /^\d+$/.test(value) ? Number(value) : value;
    if (value !== null) expect(ajv.validate(header.schema, typed), `${method} ${path} ${res.status} header ${name}: ${value}`).toBe(true);
  }
  if (response.content !== undefined) {
    const validate = ajv.getSchema(`${DOC_ID}#${at}${pointer('content', media, 'schema')}`)!;
    const ok = validate(bare.endsWith('json') ? res.body : res.text);
    expect(ok, `${method} ${path} ${res.status}: ${JSON.stringify(validate.errors)}\n${res.text.slice(0, 400)}`).toBe(true);
  }
  // Under /odata errors are OData's error JSON, with the request id in innererror.
  if (res.status >= 400) expect(bare === 'application/problem+json' ? res.body.request_id : res.body.error.innererror.request_id).toBe(res.headers.get('x-request-id'));
  if (path !== null) exercised.add(`${method} ${path}`);
  if (path !== null) statuses.add(`${method} ${path} ${res.status}`);
}

/** Sends a request, asserts its status, and checks it against the document. */
export async function call(server: TestServer, method: string, path: string, template: string | null, status: number, opts?: ReqOptions): Promise<HttpResult> {
  const res = await server.req(method.toUpperCase(), path, opts);
  expect(res.status, `${method} ${path}: ${res.text.slice(0, 300)}`).toBe(status);
  conforms(template, method, res);
  return res;
}

/** Fetches /openapi.json and lets ajv resolve pointers into it. */
export async function loadDocument(server: TestServer, key: string): Promise<void> {
  const res = await server.req('GET', '/openapi.json', { key });
  expect(res.status).toBe(200);
  doc = res.body;
  // The document's own members are not JSON Schema: ajv learns them as inert keywords, so it
  // can hold the document whole and resolve pointers into it.
  for (const member of Object.keys(doc)) ajv.addKeyword({ keyword: member });
  ajv.addSchema(doc, DOC_ID);
}
