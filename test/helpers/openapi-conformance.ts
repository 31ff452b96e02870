/**
 * Every response a test receives through the shared HTTP helpers (test/helpers/http.ts
 * `request`, test/odata's `rawGet`) is checked against the OpenAPI document the gateway
 * serves (buildOpenApi(), the same object as /openapi.json): the status is declared for the
 * operation, the media type is one it lists, its required headers are there and valid, and
 * the body validates against the response schema. A mismatch fails the test that made the
 * request. ajv compiles each response schema once per process.
 *
 * Paths not in the document answer the NotFound response (OData's error JSON under /odata).
 */
import { Ajv2020, type ValidateFunction } from 'ajv/dist/2020.js';
import addFormats from 'ajv-formats';
import { buildOpenApi } from '../../src/openapi/openapi.ts';

const DOC_ID = 'https://semgate.dev/openapi.json';

// Tests read arbitrary documents; a loose type keeps the walking code readable.
type Doc = any;

let state: { doc: Doc; ajv: Ajv2020; templates: { template: string; re: RegExp; params: number }[] } | undefined;
const compiled = new Map<string, ValidateFunction>();

function init(): NonNullable<typeof state> {
  if (state) return state;
  const doc = buildOpenApi() as Doc;
  const ajv = new Ajv2020({ strict: true, allowUnionTypes: true, allErrors: true });
  addFormats.default(ajv);
  // The document's own members are not JSON Schema: inert keywords, so ajv holds it whole.
  for (const member of Object.keys(doc)) ajv.addKeyword({ keyword: member });
  ajv.addSchema(doc, DOC_ID);
  const templates = Object.keys(doc.paths).map((template) => {
    const params = (template.match(/\{[^}]+\}/g) ?? []).length;
    const source = template.split(/\{[^}]+\}/).map((s) => s.replace(/[.*+?^$()|[\]\\]/g, '\\$&')).join('[^/]+');
    return { template, re: new RegExp(`^${source}$`), params };
  }).sort((a, b) => a.params - b.params); // `/odata/$metadata` before `/odata/{set}`
  state = { doc, ajv, templates };
  return state;
}

const pointer = (...parts: string[]): string => parts.map((p) => `/${p.replace(/~/g, '~0').replace(/\//g, '~1')}`).join('');

/** The document's path template for a request path, or null (an unknown path: NotFound). */
export function templateOf(method: string, path: string): string | null {
  const { doc, templates } = init();
  let pathname = path.split('?')[0]!.split('#')[0]!;
  try {
    pathname = decodeURIComponent(pathname);
  } catch { /* as sent */ }
  for (const t of templates) {
    if (t.re.test(pathname) && doc.paths[t.template][method.toLowerCase()]) return t.template;
  }
  return null;
}

export interface Answer {
  readonly status: number;
  header(name: string): string | null;
  readonly text: string;
  readonly body: unknown;
  /** A streamed body the test reads (or abandons) itself: status, type and headers are checked, not the body. */
  readonly unread?: boolean;
}

function schemaAt(at: string): ValidateFunction {
  let v = compiled.get(at);
  if (!v) {
    v = init().ajv.getSchema(`${DOC_ID}#${at}`);
    if (!v) throw new Error(`OpenAPI conformance: no schema at ${at}`);
    compiled.set(at, v);
  }
  return v;
}

/**
 * What is wrong with one response as the document describes it, or null when it conforms.
 * `path` is the request's path (with or without the query string).
 */
export function nonConformance(method: string, path: string, res: Answer): string | null {
  const { doc } = init();
  const m = method.toLowerCase();
  if (m === 'head' || m === 'options') return null; // not operations of the document
  const template = templateOf(method, path);
  const what = `${method.toUpperCase()} ${path.slice(0, 120)} -> ${res.status}`;
  let at: string;
  let response: Doc;
  if (template === null) {
    const name = path.startsWith('/odata') ? 'ODataNotFound' : 'NotFound';
    if (res.status !== 404) return `${what}: the path is not in the OpenAPI document (only a 404 may answer it)`;
    [at, response] = [pointer('components', 'responses', name), doc.components.responses[name]];
  } else {
    const declared = doc.paths[template][m].responses[String(res.status)];
    if (declared === undefined) return `${what}: status ${res.status} is not declared for ${m.toUpperCase()} ${template}`;
    if (declared.$ref === undefined) [at, response] = [pointer('paths', template, m, 'responses', String(res.status)), declared];
    else {
      const name = String(declared.$ref).replace('#/components/responses/', '');
      [at, response] = [pointer('components', 'responses', name), doc.components.responses[name]];
    }
  }
  const type = res.header('content-type') ?? '';
  const bare = type.split(';')[0]!.trim();
  let media: string | undefined;
  if (response.content === undefined) {
    if (res.text !== '' && !res.unread) return `${what}: the document declares no body, got ${type} ${res.text.slice(0, 80)}`;
  } else {
    media = response.content[type] ? type : bare;
    if (!response.content[media]) return `${what}: content type '${type}' is not one of ${Object.keys(response.content).join(', ')}`;
  }
  for (const [name, h] of Object.entries<Doc>(response.headers ?? {})) {
    const header = h.$ref ? doc.components.headers[String(h.$ref).split('/').pop()!] : h;
    const value = res.header(name);
    if (value === null) {
      if (header.required) return `${what}: required header ${name} is missing`;
      continue;
    }
    const typed = header.schema.type === 'integer' && /^\d+$/.test(value) ? Number(value) : value;
    if (!init().ajv.validate(header.schema, typed)) return `${what}: header ${name}: '${value}' does not match ${JSON.stringify(header.schema)}`;
  }
  if (res.unread) return null;
  if (media !== undefined) {
    const validate = schemaAt(`${at}${pointer('content', media, 'schema')}`);
    const json = bare.endsWith('json');
    let body: unknown = res.body;
    if (json && typeof body === 'string') {
      try {
        body = JSON.parse(body);
      } catch {
        return `${what}: the body is not JSON: ${res.text.slice(0, 120)}`;
      }
    }
    if (!validate(json ? body : res.text)) {
      return `${what}: the body does not match the response schema: ${JSON.stringify(validate.errors?.slice(0, 3))}\n${res.text.slice(0, 300)}`;
    }
  }
  // Errors say their request id in the body too (OData: innererror), the same as the header.
  if (res.status >= 400 && media !== undefined) {
    const body = res.body as Doc;
    const id = bare === 'application/problem+json' ? body?.request_id : body?.error?.innererror?.request_id;
    if (id !== res.header('x-request-id')) return `${what}: the body's request id ${String(id)} is not X-Request-Id ${String(res.header('x-request-id'))}`;
  }
  return null;
}

/** Throws (failing the test) when a response does not conform. */
export function assertConforms(method: string, path: string, res: Answer): void {
  const problem = nonConformance(method, path, res);
  if (problem !== null) throw new Error(`OpenAPI conformance: ${problem}`);
}
