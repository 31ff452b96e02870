import type { HttpBindings } from '@hono/node-server';
import type { Context, MiddlewareHandler } from 'hono';
import type { Gateway } from '../service/gateway.ts';
import type { GatewayEnv } from './env.ts';
import { observeRequest } from './observe.ts';
import { requestUuid } from './request-uuid.ts';

/**
 * The outermost middleware: request id, the configuration the request keeps, timings,
 * the headers every answer carries, and (after the handler) log, usage, metrics and the
 * audit line, which is durable before the answer leaves (observe.ts).
 *
 * One layer instead of hono's requestId + timing + two of ours, and headers kept in a plain
 * object until the end. A header set on a web Response (`c.header()`, `c.res.headers`)
 * makes @hono/node-server build an undici Headers object and validate and copy it on every
 * answer; here, on node, the headers go straight onto the ServerResponse, which node merges
 * with the Response's own when it writes the head (the Response's own win). In process
 * (tests calling `app.request`) they go onto the Response, with the same precedence.
 */
export function frame(gateway: Gateway): MiddlewareHandler<GatewayEnv> {
  return async (c, next) => {
    const started = performance.now();
    const headers: Record<string, string> = {};
    // A caller's X-Request-Id is kept when it is short and plain; otherwise a UUIDv7.
    let id = c.req.header('x-request-id');
    if (id === undefined || id === '' || id.length > 128 || /[^\w\-=]/.test(id)) id = requestUuid();
    headers['X-Request-Id'] = id;
    c.set('requestId', id);
    c.set('outHeaders', headers);
    c.set('timings', { started, open: {}, done: '' });
    c.set('gateway', gateway);
    const state = gateway.acquire();
    c.set('state', state);
    try {
      await next();
    } finally {
      gateway.release(state);
    }
    if (c.req.method === 'HEAD' && c.res.body !== null) {
      // hono answers HEAD by running GET and dropping its body unread: a streamed body would
      // keep its query's slot, connection and audit line forever. Cancelled here instead,
      // which stops the statement, releases both and settles the line.
      await c.res.body.cancel().catch(() => undefined);
      c.res = new Response(null, c.res);
    }
    const ms = performance.now() - started;
    if (c.get('complete') !== c.res) {
      headers['Server-Timing'] = serverTiming(c.get('timings'), ms);
      applyHeaders(c, headers);
    }
    // Answered only once its audit line is durable (a SIGKILL loses no answered request's line).
    const audited = observeRequest(c, Math.round(ms * 10) / 10);
    if (audited !== null) await audited;
  };
}

/**
 * The answer, with the frame's headers (request id, RateLimit-*, OData-Version, ...) and
 * Server-Timing (its `total` is the time until now) in the Response's own plain header
 * object: @hono/node-server then writes them in one `writeHead` with no web Headers and no
 * `setHeader` calls. The answer's own `headers` win over the frame's.
 */
export function respond(c: Context<GatewayEnv>, body: BodyInit | null, status: number, contentType: string,
  headers?: Readonly<Record<string, string>>): Response {
  const t = c.get('timings');
  const out = c.get('outHeaders');
  const all: Record<string, string> = {};
  for (const name in out) all[name] = out[name]!;
  for (const name in headers) all[name] = headers[name]!;
  all['Content-Type'] = contentType;
  all['Server-Timing'] = serverTiming(t, performance.now() - t.started);
  const res = new Response(body, { status, headers: all });
  c.set('complete', res);
  return res;
}

/** Finished timers, then any still running (a stage that threw: up to now), then total. */
function serverTiming(t: Timings, totalMs: number): string {
  let text = t.done;
  const now = performance.now();
  for (const name in t.open) {
    const from = t.open[name]!;
    if (from >= 0) text += `${name};dur=${(now - from).toFixed(1)},`;
  }
  return `${text}total;dur=${totalMs.toFixed(1)}`;
}

/** Adds headers to whatever answer the request ends with (errors included). */
export function setHeaders(c: Context<GatewayEnv>, values: Record<string, string>): void {
  Object.assign(c.get('outHeaders'), values);
}

export function setHeader(c: Context<GatewayEnv>, name: string, value: string): void {
  c.get('outHeaders')[name] = value;
}

function applyHeaders(c: Context<GatewayEnv>, headers: Record<string, string>): void {
  const outgoing = (c.env as HttpBindings | undefined)?.outgoing;
  if (outgoing && !outgoing.headersSent) {
    for (const name in headers) outgoing.setHeader(name, headers[name]!);
    return;
  }
  const res = c.res.headers;
  for (const name in headers) if (!res.has(name)) res.set(name, headers[name]!);
}

/** Per-request timings for Server-Timing: `auth`, `plan`, `db`, then `total`. */
export interface Timings {
  readonly started: number;
  /** Start times of running timers; -1 once ended. */
  readonly open: Record<string, number>;
  /** Finished entries, each followed by a comma. */
  done: string;
}

export function startTime(c: Context<GatewayEnv>, name: string): void {
  c.get('timings').open[name] = performance.now();
}

export function endTime(c: Context<GatewayEnv>, name: string): void {
  const t = c.get('timings');
  const from = t.open[name];
  if (from === undefined || from < 0) return;
  t.done += `${name};dur=${(performance.now() - from).toFixed(1)},`;
  t.open[name] = -1;
}
