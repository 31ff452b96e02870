import type { Context } from 'hono';
import { matchedRoutes } from 'hono/route';
import type { AuditEvent } from '../audit/index.ts';
import { clientIp } from './client-ip.ts';
import type { GatewayEnv, RequestDetail } from './env.ts';

/** Route -> the audit line's action. */
const ACTIONS: Record<string, string> = {
  'POST /v1/query': 'query', 'POST /v1/query/sql': 'compile', 'GET /v1/datasets': 'datasets.list',
  'GET /v1/datasets/:name': 'datasets.get', 'GET /v1/usage': 'usage', 'GET /v1/admin/usage': 'admin.usage',
  'POST /v1/admin/cache/purge': 'admin.cache.purge', 'POST /v1/admin/reload': 'admin.reload',
  'GET /odata': 'odata.service', 'GET /odata/': 'odata.service', 'GET /odata/$metadata': 'odata.metadata', 'GET /odata/:set': 'odata.query',
  'GET /odata/:set/$count': 'odata.count', 'GET /ready': 'ready', 'GET /openapi.json': 'openapi',
  'POST /v1/admin/keys': 'admin.keys.create', 'GET /v1/admin/keys': 'admin.keys.list', 'POST /v1/admin/keys/:id/rotate': 'admin.keys.rotate',
  'DELETE /v1/admin/keys/:id': 'admin.keys.revoke', 'POST /v1/admin/guest-tokens': 'admin.guest_tokens.create',
};

/** The handler's route pattern (middleware registers as ALL), or null for an unknown path. */
export function handlerRoute(c: Context): string | null {
  const handler = matchedRoutes(c).findLast((r) => r.method !== 'ALL');
  return handler ? handler.path : null;
}

/**
 * After every request (called by the frame): one log line, usage for the tenant, and, when
 * it reached authentication, one audit line, whatever the outcome. Never the key, never a
 * query string.
 *
 * The audit line is durable before the answer is (group commit, src/audit): the promise
 * returned resolves when it is, and the frame hands the answer to the server only then. A
 * streamed body (its `bytes` a promise) cannot wait for a line that needs its size: its
 * end is held instead - the body passes through a stream whose last step writes the line -
 * so a client has the whole answer only once its line is stored.
 */
export function observeRequest(c: Context<GatewayEnv>, ms: number): Promise<void> | null {
  const gateway = c.get('gateway');
  const p = c.get('principal');
  const status = c.res.status;
  const d = c.get('detail') ?? NO_DETAIL;
  const route = handlerRoute(c);
  const method = c.req.method;
  // Usage counts queries (and refusals for rate): not compiles, listings or unknown paths.
  const isQuery = (route === '/v1/query' && method === 'POST') || route === '/odata/:set';
  if (p?.tenant && (isQuery || status === 429)) {
    gateway.usage.record(p.tenant, { ms, status, ...(d.cacheHit !== undefined && { cached: d.cacheHit }) });
  }
  gateway.metrics.observeRequest(route ?? 'unknown', method, status, p?.tenant ?? null, ms / 1000);
  if (d.cacheHit !== undefined && d.dataset) gateway.metrics.cache.inc({ result: d.cacheHit ? 'hit' : 'miss', dataset: d.dataset });
  if (d.compile !== undefined) gateway.metrics.compiles.inc({ result: d.compile });
  if (gateway.logger.isLevelEnabled('info')) {
    gateway.logger.info({
      req_id: c.get('requestId'), key_id: p?.keyId ?? null, tenant: p?.tenant ?? null, method, route, dataset: d.dataset ?? null, status, ms,
    }, 'request');
  }
  if (!c.get('audited')) return null;
  const settings = c.get('state').catalog.settings;
  const event: AuditEvent = {
    ts: isoNow(),
    request_id: c.get('requestId'),
    key_id: p?.keyId ?? null,
    tenant: p?.tenant ?? null,
    role: p?.role ?? null,
    client_ip: clientIp(c, settings.trustedProxies),
    action: ACTIONS[`${method} ${route ?? '(unknown path)'}`] ?? `${method} ${route ?? '(unknown path)'}`,
    dataset: d.dataset ?? null,
    dimensions: d.dimensions ?? [],
    metrics: d.metrics ?? [],
    filter_fields: d.filterFields ?? [],
    ...(settings.audit.includeValues && d.filterValues !== undefined && { filter_values: d.filterValues }),
    status,
    outcome: status === 499 ? 'aborted' : status >= 400 ? 'error' : 'ok',
    rows: d.rows ?? null,
    bytes: null,
    cache_hit: d.cacheHit ?? null,
    duration_ms: ms,
    ...(d.target !== undefined && { target_key_id: d.target }),
  };
  const bytes = d.bytes ?? (Number(c.res.headers.get('content-length')) || null);
  if (!(bytes instanceof Promise)) {
    event.bytes = bytes;
    return gateway.audit.record(event);
  }
  // A streamed body's size, rows and outcome (`aborted` when the client left) are known when
  // its stream ends: the line is recorded then, after the last byte (unlike a whole answer,
  // whose line is durable before it is sent). Holding the body's end for the line changed
  // when a client's disconnect reached the stream, so it is not done.
  void bytes.then((b) => gateway.audit.record({ ...event, bytes: b, rows: d.rows ?? null, outcome: d.outcome ?? event.outcome }),
    () => gateway.audit.record(event));
  return null;
}

const NO_DETAIL: RequestDetail = Object.freeze({});

/** `new Date().toISOString()`, made once per millisecond (a busy gateway asks many times in one). */
let isoMs = -1;
let isoText = '';
function isoNow(): string {
  const now = Date.now();
  if (now !== isoMs) {
    isoMs = now;
    isoText = new Date(now).toISOString();
  }
  return isoText;
}
