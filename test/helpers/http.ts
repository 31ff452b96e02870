/**
 * A tiny HTTP client for integration tests: starts the real server (hono on node's http)
 * on a random port over a fixture config, and sends requests with a key in any of the
 * three ways the spec allows.
 */
import { pino } from 'pino';
import type { LoadOptions } from '../../src/catalog/load.ts';
import { loadCatalog } from './catalog.ts';
import { startServer, type RunningServer } from '../../src/server.ts';
import { Gateway, stateFor } from '../../src/service/gateway.ts';
import { assertConforms } from './openapi-conformance.ts';

export type AuthMethod = 'bearer' | 'x-api-key' | 'basic';

export interface ReqOptions {
  key?: string;
  /** How the key is sent; default bearer. */
  auth?: AuthMethod;
  /** User name for Basic (any is accepted); default `powerbi`. */
  user?: string;
  /** An object is sent as JSON; a string is sent as is (for malformed bodies). */
  body?: unknown;
  headers?: Record<string, string>;
  /**
   * Every response is checked against the OpenAPI document (status, content type, headers,
   * body; see openapi-conformance.ts) and a mismatch fails the test. `false` only for a
   * request that is not to the gateway's API as documented, with a comment saying why.
   */
  conformance?: false;
}

export interface HttpResult {
  status: number;
  headers: Headers;
  /** Parsed JSON when the response says json (also problem+json), else the text. */
  // Tests read arbitrary response shapes; a loose type keeps them readable.
  body: any;
  text: string;
}

export interface TestServer {
  readonly url: string;
  readonly server: RunningServer;
  req(method: string, path: string, opts?: ReqOptions): Promise<HttpResult>;
  close(): Promise<void>;
}

export function authHeaders(key: string, auth: AuthMethod = 'bearer', user = 'powerbi'): Record<string, string> {
  if (auth === 'bearer') return { Authorization: `Bearer ${key}` };
  if (auth === 'x-api-key') return { 'X-API-Key': key };
  return { Authorization: `Basic ${Buffer.from(`${user}:${key}`, 'utf8').toString('base64')}` };
}

export async function request(baseUrl: string, method: string, path: string, opts: ReqOptions = {}): Promise<HttpResult> {
  const headers: Record<string, string> = {};
  if (opts.key !== undefined) Object.assign(headers, authHeaders(opts.key, opts.auth, opts.user));
  let body: string | undefined;
  if (opts.body !== undefined) {
    body = typeof opts.body === 'string' ? opts.body : JSON.stringify(opts.body);
    headers['Content-Type'] = 'application/json';
  }
  Object.assign(headers, opts.headers);
  const res = await fetch(`${baseUrl}${path}`, { method, headers, body });
  const text = await res.text();
  const type = res.headers.get('content-type') ?? '';
  const result = { status: res.status, headers: res.headers, text, body: type.includes('json') && text !== '' ? JSON.parse(text) : text };
  if (opts.conformance !== false) assertConforms(method, path, { status: res.status, header: (n) => res.headers.get(n), text, body: result.body });
  return result;
}

/**
 * Loads `configDir` with `env` for its `${VAR}`s (and `files` for shared files), and starts
 * the server on 127.0.0.1, port 0. A config with errors fails loudly with its messages.
 */
export async function startTestServer(configDir: string, opts: Pick<LoadOptions, 'env' | 'files'> = {}): Promise<TestServer> {
  const gateway = new Gateway(stateFor(await loadCatalog(configDir, opts)), pino({ level: 'silent' }));
  const server = await startServer({ configDir, gateway, port: 0, host: '127.0.0.1' });
  return {
    url: server.url,
    server,
    req: (method, path, reqOpts) => request(server.url, method, path, reqOpts),
    close: () => server.close(),
  };
}
