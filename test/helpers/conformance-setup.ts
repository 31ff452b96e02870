/**
 * vitest setup (vitest.config.ts `setupFiles`): every gateway response a test receives is
 * checked against the OpenAPI document, also where a test does not use the shared helpers:
 *
 * - `createApp(gateway).request(...)` (in-process, no socket): src/app.ts is wrapped so
 *   every app's `request` checks what it answers;
 * - `fetch` to a gateway: a response with `X-Request-Id` (every gateway answer has one; a
 *   JWKS or other mock server's does not) is checked.
 *
 * test/helpers/http.ts `request` and test/odata's `rawGet` check their own (node:http too).
 * A mismatch rejects the call with the reason, failing the test. What is not seen here:
 * requests a browser makes (the portal's Chromium tests).
 */
import { vi } from 'vitest';
import { assertConforms } from './openapi-conformance.ts';

async function check(method: string, url: string, res: Response, streamed = false): Promise<void> {
  const u = new URL(url, 'http://in-process');
  if (streamed) {
    // Reading a clone would pull the whole stream (a tee reads for both): a test that stops
    // reading, or disconnects, would no longer be doing so. The head is checked.
    assertConforms(methodOf(undefined, { method }), u.pathname + u.search, { status: res.status, header: (n) => res.headers.get(n), text: '', body: undefined, unread: true });
    return;
  }
  const text = await res.clone().text();
  const type = res.headers.get('content-type') ?? '';
  let body: unknown = text;
  if (/json/.test(type) && text !== '') {
    try {
      body = JSON.parse(text);
    } catch { /* the check reports a body that is not JSON */ }
  }
  assertConforms(method, u.pathname + u.search, { status: res.status, header: (n) => res.headers.get(n), text, body });
}

const methodOf = (input: unknown, init?: { method?: string }): string =>
  init?.method ?? (input instanceof Request ? input.method : 'GET');
const urlOf = (input: unknown): string => (typeof input === 'string' ? input : input instanceof URL ? input.href : (input as Request).url);

vi.mock('../../src/app.ts', async (importOriginal) => {
  const mod = await importOriginal<typeof import('../../src/app.ts')>();
  return {
    ...mod,
    createApp: (...args: Parameters<typeof mod.createApp>) => {
      const app = mod.createApp(...args);
      const request = app.request.bind(app);
      app.request = (async (input: Parameters<typeof request>[0], init?: Parameters<typeof request>[1], ...rest: unknown[]) => {
        const res = await (request as (...a: unknown[]) => Response | Promise<Response>)(input, init, ...rest);
        await check(methodOf(input, init as { method?: string }), urlOf(input), res);
        return res;
      }) as typeof app.request;
      return app;
    },
  };
});

const realFetch = globalThis.fetch;
globalThis.fetch = (async (input: Parameters<typeof fetch>[0], init?: Parameters<typeof fetch>[1]) => {
  const res = await realFetch(input, init);
  // A body sent without Content-Length over a socket is streamed (chunked): see check().
  if (res.headers.get('x-request-id') !== null) await check(methodOf(input, init), urlOf(input), res, res.body !== null && res.headers.get('content-length') === null);
  return res;
}) as typeof fetch;
