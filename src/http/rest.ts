import path from 'node:path';
import { Hono } from 'hono';
import { GatewayError, badQuery, forbidden } from '../errors.ts';
import { isJsonObject, notAnObject } from '../query/parse.ts';
import { datasetVisible, findDataset } from '../query/plan.ts';
import { executeStreamed, prepareQuery } from '../service/query.ts';
import type { ResultStream } from '../service/result-stream.ts';
import { guard, requireAdmin } from '../web/guard.ts';
import { endTime, respond, startTime } from '../web/frame.ts';
import { HISTORY_DAYS, type UsageReport } from '../observability/usage.ts';
import type { SharedUsage } from '../observability/shared-usage.ts';
import { datasetDetail, datasetSummary } from './catalog-view.ts';
import { csvBody } from './csv.ts';
import { clientLink, commaSeparated, streamBody, streamDetail, type ClientLink, type StreamDone } from '../web/stream-body.ts';
import { adminKeyRoutes } from './admin-keys.ts';
import type { GatewayEnv } from '../web/env.ts';
import { askedNoCache, detailOf, notePrepared, readJsonBody, sendJson, sendText } from '../web/body.ts';

/** A cache hit hands back the same rows array, so its JSON is kept beside it. */
const rowsJsonCache = new WeakMap<object, string>();
function rowsJson(rows: unknown[]): string {
  let text = rowsJsonCache.get(rows);
  if (text === undefined) {
    text = JSON.stringify(rows);
    rowsJsonCache.set(rows, text);
  }
  return text;
}

/** `?escape_formulas=true|false` overrides the configured default (sources.yaml `csv.escape_formulas`). */
function escapeFormulas(raw: string | undefined, configured: boolean): boolean {
  if (raw === undefined) return configured;
  if (raw === 'true' || raw === '1') return true;
  if (raw === 'false' || raw === '0') return false;
  throw badQuery('invalid', 'escape_formulas is true or false.', { field: 'escape_formulas' });
}

/**
 * The JSON answer of a result too big to hold, written as it is read: `meta` comes after
 * `rows`, so its row_count and truncated are the truth about what was sent.
 */
function jsonBody(result: ResultStream, requestId: string, done: StreamDone,
  link: ClientLink): ReadableStream<Uint8Array> {
  return streamBody(result, {
    open: `{"columns":${JSON.stringify(result.columns)},"rows":[`,
    rows: commaSeparated((row) => JSON.stringify(row)),
    close: (s) => `],"meta":${JSON.stringify({ ...s, cached: result.cached, request_id: requestId })}}`,
  }, done, link);
}

/** `{ dataset?, tenant? }`, each a plain name: it becomes part of a Redis key pattern. */
function parsePurgeFilter(body: unknown): { dataset?: string; tenant?: string } {
  if (!isJsonObject(body)) throw badQuery('invalid', notAnObject(body, 'The purge body', 'dataset and tenant, both optional'));
  const out: { dataset?: string; tenant?: string } = {};
  for (const [k, v] of Object.entries(body)) {
    if ((k !== 'dataset' && k !== 'tenant') || typeof v !== 'string' || !/^[A-Za-z0-9_-]{1,64}$/.test(v)) {
      throw badQuery('invalid', `Unknown or invalid purge field '${k.slice(0, 40)}': use dataset and tenant names.`, { field: k.slice(0, 40) });
    }
    out[k] = v;
  }
  return out;
}

/** `?days=N` (1 to HISTORY_DAYS) asks usage for a per-day history; absent, none. */
function historyDays(raw: string | undefined): number | undefined {
  if (raw === undefined) return undefined;
  if (!/^\d{1,2}$/.test(raw) || Number(raw) < 1 || Number(raw) > HISTORY_DAYS) {
    throw badQuery('invalid', `days must be a whole number from 1 to ${HISTORY_DAYS}.`, { field: 'days' });
  }
  return Number(raw);
}

async function usageOf(usage: SharedUsage, tenant: string, days: number | undefined): Promise<UsageReport> {
  const report = await usage.report(tenant);
  return days === undefined ? report : { ...report, daily: await usage.daily(tenant, days) };
}

/** The REST endpoints of the spec: everything under /v1 and /ready needs a key. */
export function restRoutes(): Hono<GatewayEnv> {
  const app = new Hono<GatewayEnv>();
  app.use('/ready', guard());
  app.use('/v1/*', guard());

  app.get('/ready', async (c) => {
    const { registry, catalog } = c.get('state');
    const results = await Promise.all([...catalog.sources.keys()].map(async (name) => {
      try {
        await registry.ping(name);
        return [name, 'ok'] as const;
      } catch {
        return [name, 'down'] as const;
      }
    }));
    const down = results.filter(([, s]) => s === 'down').length;
    // Source names can be tenant ids (database per tenant): only admins see them.
    const audit = c.get('gateway').audit.status();
    const detail = c.get('principal')!.isAdmin ? { sources: Object.fromEntries(results), audit } : {};
    if (down > 0) {
      throw new GatewayError('source.unavailable', 503, `${down} of ${results.length} sources are unreachable.`, {
        headers: { 'Retry-After': '5' }, extensions: detail,
      });
    }
    return sendJson(c, { status: 'ready', ...detail });
  });

  app.get('/v1/datasets', (c) => {
    const p = c.get('principal')!;
    const datasets = [...c.get('state').catalog.datasets.values()].filter((d) => datasetVisible(d, p));
    return sendJson(c, { datasets: datasets.map(datasetSummary) });
  });

  app.get('/v1/datasets/:name', (c) => {
    const p = c.get('principal')!;
    const ds = findDataset(c.get('state').catalog, p, c.req.param('name'));
    return sendJson(c, datasetDetail(c.get('state').catalog, ds, p));
  });

  app.post('/v1/query', async (c) => {
    const gateway = c.get('gateway');
    const body = await readJsonBody(c);
    const detail = detailOf(c);
    const named = (body as { dataset?: unknown } | null)?.dataset;
    if (typeof named === 'string') detail.dataset = named.slice(0, 128);
    startTime(c, 'plan');
    const prepared = prepareQuery(c.get('state').catalog, c.get('principal')!, body);
    endTime(c, 'plan');
    notePrepared(c, prepared);
    startTime(c, 'db');
    const csv = (c.req.header('accept') ?? '').includes('text/csv');
    const escape = csv && escapeFormulas(c.req.query('escape_formulas'), c.get('state').catalog.settings.csv.escapeFormulas);
    const result = await executeStreamed(gateway.cache, c.get('state').registry, prepared, { bypassRead: askedNoCache(c), signal: c.req.raw.signal });
    endTime(c, 'db');
    // Given to the answer itself (not setHeader): an error after this point must not say X-Cache.
    const headers: Record<string, string> = { 'X-Cache': result.cached ? 'HIT' : 'MISS' };
    detail.cacheHit = result.cached;
    // Known before the first byte only for a result held whole (a hit, or within the buffer).
    const known = result.complete ? result.summary() : null;
    if (known) {
      detail.rows = known.row_count;
      headers['X-Row-Count'] = String(known.row_count);
      headers['X-Truncated'] = String(known.truncated);
    }
    if (csv || !known) {
      const done = streamDetail(c);
      if (csv) return respond(c, csvBody(result, escape, done, clientLink(c)), 200, 'text/csv; charset=utf-8', headers);
      return respond(c, jsonBody(result, c.get('requestId'), done, clientLink(c)), 200, 'application/json', { 'X-Cache': headers['X-Cache']! });
    }
    const meta = { ...known, cached: result.cached, request_id: c.get('requestId') };
    // The rows' JSON is written once per cached result, not once per hit.
    const json = `{"columns":${JSON.stringify(result.columns)},"rows":${rowsJson(result.head as unknown[])},"meta":${JSON.stringify(meta)}}`;
    return sendText(c, json, 'application/json', 200, { 'X-Cache': headers['X-Cache']! });
  });

  app.post('/v1/query/sql', async (c) => {
    const p = c.get('principal')!;
    const key = c.get('state').keys.get(p.keyId);
    if (!p.isAdmin && !key?.explain) throw forbidden('explain_forbidden', 'Compiling to SQL needs an admin key or a key with explain: true.');
    const prepared = prepareQuery(c.get('state').catalog, p, await readJsonBody(c));
    const { plan, compiled } = prepared;
    notePrepared(c, prepared);
    return sendJson(c, { source: plan.target.source, dialect: plan.target.type, sql: compiled.sql, parameters: compiled.parameters });
  });

  app.get('/v1/usage', async (c) => {
    const p = c.get('principal')!;
    const days = historyDays(c.req.query('days'));
    if (p.tenant === null) throw badQuery('tenant_required', 'An admin key has no tenant: use /v1/admin/usage, or send X-Tenant-Id.', { field: 'X-Tenant-Id' });
    return sendJson(c, await usageOf(c.get('gateway').usage, p.tenant, days));
  });

  app.post('/v1/admin/cache/purge', async (c) => {
    requireAdmin(c);
    const empty = (await c.req.text()).trim() === '';
    const filter = empty ? {} : parsePurgeFilter(await readJsonBody(c));
    const cache = c.get('gateway').cache;
    if (filter.dataset === undefined) return sendJson(c, { purged: await cache.purge(filter) });
    // A dataset's rows also reached the cached results of every dataset that joins it.
    const { catalog } = c.get('state');
    const readers = [filter.dataset, ...[...catalog.datasets.values()].filter((d) => d.reach.has(filter.dataset!)).map((d) => d.name)];
    const purged = { local: 0, shared: 0 };
    for (const dataset of readers) {
      const n = await cache.purge({ ...filter, dataset });
      purged.local += n.local;
      purged.shared += n.shared;
    }
    return sendJson(c, { purged });
  });

  app.post('/v1/admin/reload', async (c) => {
    requireAdmin(c);
    const r = await c.get('gateway').reload();
    if (!r.ok) {
      throw new GatewayError('catalog.reload_refused', 400,
        `The configuration has ${r.issues.length} error${r.issues.length === 1 ? '' : 's'}; the previous one keeps serving.`, {
          extensions: { errors: r.issues.map((i) => ({ file: path.basename(i.file), line: i.line, column: i.column, field: i.field, message: i.message })) },
        });
    }
    return sendJson(c, { status: 'reloaded', summary: r.summary, kept_sources: r.keptSources });
  });

  app.route('/', adminKeyRoutes()); // under the /v1/* guard above

  app.get('/v1/admin/usage', async (c) => {
    requireAdmin(c);
    const usage = c.get('gateway').usage;
    const days = historyDays(c.req.query('days'));
    return sendJson(c, { tenants: await Promise.all((await usage.tenants(days ?? 1)).map((t) => usageOf(usage, t, days))) });
  });

  return app;
}
