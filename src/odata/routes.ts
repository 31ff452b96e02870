import { Hono, type Context } from 'hono';
import { GatewayError } from '../errors.ts';
import { guard } from '../web/guard.ts';
import { fromTrustedProxy } from '../web/client-ip.ts';
import type { GatewayEnv } from '../web/env.ts';
import { endTime, respond, setHeader, startTime } from '../web/frame.ts';
import { clientLink, commaSeparated, streamBody, streamDetail } from '../web/stream-body.ts';
import type { Row } from '../sources/types.ts';
import { askedNoCache, detailOf, notePrepared, sendText } from '../web/body.ts';
import { defaultLimit } from '../query/plan.ts';
import { executeCount, executeStreamed, prepareQuery } from '../service/query.ts';
import { ODataSyntaxError, type ODataQueryOptions, type SelectItem } from './ast.ts';
import { JSON_CONTENT_TYPE, METADATA_CONTENT_TYPE, metadataXml, serviceDocument } from './metadata.ts';
import { entityModel, entitySetOf, KEY_PROPERTY, type EntitySet } from './model.ts';
import { queryDefining, queryHash, readToken, signToken, tokenSecret } from './paging.ts';
import { parseQueryOptions } from './parser/index.ts';
import { locateError, translateQuery } from './translate.ts';

const JSON_TYPE_IEEE754 = JSON_CONTENT_TYPE.replace('IEEE754Compatible=false', 'IEEE754Compatible=true');

/**
 * The query options, read the way browsers and HTTP libraries write them (spec): `+` is a
 * space (application/x-www-form-urlencoded, as curl --data-urlencode, URLSearchParams and
 * Python's requests write one) and `%2B` a plus. Invalid percent-encoding is a 400.
 */
export function odataParams(url: string): URLSearchParams {
  const out = new URLSearchParams();
  const q = url.indexOf('?');
  if (q < 0) return out;
  for (const part of url.slice(q + 1).split('&')) {
    if (part === '') continue;
    const eq = part.indexOf('=');
    const plain = part.replace(/\+/g, ' ');
    try {
      out.append(decodeURIComponent(eq < 0 ? plain : plain.slice(0, eq)), decodeURIComponent(eq < 0 ? '' : plain.slice(eq + 1)));
    } catch {
      throw new ODataSyntaxError('query', 0, `The query option '${part.slice(0, 40)}' is not valid percent-encoding.`);
    }
  }
  return out;
}

/** The service root as the client sees it: X-Forwarded-Proto/Host count only from trusted proxies. */
function serviceRoot(c: Context<GatewayEnv>): string {
  const url = new URL(c.req.url);
  let origin = url.origin;
  if (fromTrustedProxy(c, c.get('state').catalog.settings.trustedProxies)) {
    const proto = c.req.header('x-forwarded-proto')?.split(',')[0]?.trim();
    const host = c.req.header('x-forwarded-host')?.split(',')[0]?.trim();
    if (proto && host && /^https?$/.test(proto) && /^[A-Za-z0-9.:[\]-]+$/.test(host)) origin = `${proto}://${host}`;
  }
  return `${origin}/odata/`;
}

function entitySetFor(c: Context<GatewayEnv>, name: string): EntitySet {
  const { catalog } = c.get('state');
  const p = c.get('principal')!;
  const set = entitySetOf(catalog, p, name);
  if (set === 'forbidden') throw new GatewayError('auth.dataset_forbidden', 403, `This key may not read '${name}'.`);
  if (set === 'missing') throw new GatewayError('http.not_found', 404, `There is no entity set '${name.slice(0, 64)}'.`);
  return set;
}

/** Rows per page: the client's Prefer: odata.maxpagesize if smaller than ours. */
function pageSize(c: Context<GatewayEnv>, set: EntitySet): { size: number; applied: boolean } {
  const max = Math.min(c.get('state').catalog.settings.odata.maxPageSize, set.dataset.maxRows);
  const m = /odata\.maxpagesize\s*=\s*"?(\d+)"?/i.exec(c.req.header('prefer') ?? '');
  if (!m) return { size: max, applied: false };
  return { size: Math.max(1, Math.min(max, Number(m[1]))), applied: true };
}

/** One entity's property: its name, its value's position in a row, and whether it is a number. */
interface EntityProperty {
  readonly name: string;
  readonly index: number;
  readonly numeric: boolean;
}

/**
 * Writes an entity as JSON text, exactly as `JSON.stringify` writes the object with these
 * properties in this order (each value escaped by JSON.stringify), without building the
 * object: a million-row export writes a million of them. The key property (`keyDims`) is
 * the JSON of the row's dimension values; Int64 and Decimal are strings when `ieee`.
 */
export function entityWriter(props: readonly EntityProperty[], keyDims: readonly number[] | null, ieee: boolean): (row: Row) => string {
  const names = props.map((p) => `${JSON.stringify(p.name)}:`);
  const keyName = `${JSON.stringify(KEY_PROPERTY)}:`;
  return (row) => {
    let text = '';
    if (keyDims !== null) text = keyName + JSON.stringify(JSON.stringify(keyDims.map((i) => row[i])));
    for (let i = 0; i < props.length; i++) {
      const p = props[i]!;
      const v = row[p.index];
      if (v === undefined) continue; // as JSON.stringify leaves out an undefined property
      const out = !p.numeric || v === null ? v : ieee ? String(v) : Number(v);
      text += (text === '' ? names[i]! : `,${names[i]!}`) + (typeof out === 'string' ? JSON.stringify(out) : typeof out === 'number' && !Number.isFinite(out) ? 'null' : String(out));
    }
    return `{${text}}`;
  };
}

export function odataRoutes(): Hono<GatewayEnv> {
  const app = new Hono<GatewayEnv>();
  const keyParam = (c: Context<GatewayEnv>): string | null => c.get('state').catalog.settings.odata.apiKeyParam;
  // Every OData answer, errors included, carries exactly one OData-Version ('/odata/*'
  // matches '/odata' too); errors become OData's error JSON in the app's onError.
  app.use('/odata/*', async (c, next) => {
    setHeader(c, 'OData-Version', '4.0');
    await next();
  });
  app.use('/odata/*', guard(keyParam));
  // The service document at the root with and without its slash: clients type both, and a
  // redirect loses the credentials of some of them.
  const service = (c: Context<GatewayEnv>): Response => {
    const model = entityModel(c.get('state').catalog, c.get('principal')!);
    return sendText(c, JSON.stringify(serviceDocument(model, serviceRoot(c))), JSON_CONTENT_TYPE);
  };
  app.get('/odata', service);
  app.get('/odata/', service);

  app.get('/odata/$metadata', (c) => {
    const model = entityModel(c.get('state').catalog, c.get('principal')!);
    return sendText(c, metadataXml(model), `${METADATA_CONTENT_TYPE};charset=utf-8`);
  });

  /** The request's query value, prepared on the one road every front door takes. */
  const prepare = (c: Context<GatewayEnv>, set: EntitySet, options: ODataQueryOptions, page: { limit: number; offset: number }) => {
    const { query, columns, origins } = translateQuery(set, options, page);
    try {
      return { prepared: prepareQuery(c.get('state').catalog, c.get('principal')!, query), columns };
    } catch (err) {
      throw locateError(err, origins);
    }
  };

  app.get('/odata/:set/$count', async (c) => {
    const set = entitySetFor(c, c.req.param('set'));
    const options = parseQueryOptions(odataParams(c.req.url));
    const { prepared } = prepare(c, set, options, { limit: defaultLimit(set.dataset), offset: 0 });
    notePrepared(c, prepared);
    const n = await executeCount(c.get('gateway').cache, c.get('state').registry, prepared.plan);
    return sendText(c, String(n), 'text/plain;charset=utf-8');
  });

  app.get('/odata/:set', async (c) => {
    const { catalog, registry } = c.get('state');
    const p = c.get('principal')!;
    const set = entitySetFor(c, c.req.param('set'));
    const detail = detailOf(c);
    detail.dataset = set.name;
    const params = odataParams(c.req.url);
    const options = parseQueryOptions(params);
    const secret = tokenSecret(catalog);
    const binding = { q: queryHash(set.name, params, keyParam(c)), t: p.tenant ?? '*' };
    const sent = options.skiptoken === null ? 0 : readToken(secret, options.skiptoken, binding);
    const { size, applied } = pageSize(c, set);
    const remaining = options.top === null ? Infinity : Math.max(0, options.top - sent);
    const limit = Math.min(size, remaining);

    startTime(c, 'plan');
    const { prepared, columns } = prepare(c, set, options, { limit: Math.max(1, limit), offset: (options.skip ?? 0) + sent });
    const { plan } = prepared;
    endTime(c, 'plan');
    notePrepared(c, prepared);
    startTime(c, 'db');
    // The count first: it is known up front, and no cursor is held open while it runs.
    const count = options.count ? await executeCount(c.get('gateway').cache, registry, plan) : null;
    const result = limit === 0 ? null : await executeStreamed(c.get('gateway').cache, registry, prepared, { bypassRead: askedNoCache(c), signal: c.req.raw.signal });
    endTime(c, 'db');
    detail.cacheHit = result?.cached ?? false;

    const withKey = !options.apply && (options.select === null || options.select.some((s: SelectItem) => s.kind === 'star' || (s.kind === 'property' && s.path[0] === KEY_PROPERTY)));
    // The key is every grouped dimension's value, selected or not: it identifies the row.
    const dims = plan.dimensions.map((_, i) => i);
    // OData JSON: Int64 and Decimal are numbers unless the client asked for IEEE754Compatible
    // (then strings, exact). The executors give exact strings only beyond 2^53.
    const ieee = /IEEE754Compatible=true/i.test(c.req.header('accept') ?? '') || /IEEE754Compatible=true/i.test(c.req.query('$format') ?? '');
    // Rows come in the plan's order (dimensions first), whatever order $select named them in.
    const outputs = [...plan.dimensions, ...plan.metrics];
    const index = columns.map((col) => outputs.findIndex((f) => f.alias === col.output));
    const numeric = index.map((i) => outputs[i]!.type === 'number' || outputs[i]!.type === 'integer');
    const entity = entityWriter(columns.map((col, i) => ({ name: col.name, index: index[i]!, numeric: numeric[i]! })), withKey ? dims : null, ieee);
    const root = serviceRoot(c);
    const selected = options.select || options.apply ? `(${[...(withKey ? [KEY_PROPERTY] : []), ...columns.map((x) => x.name)].join(',')})` : '';
    const context = `${root}$metadata#${set.name}${selected}`;
    /** The next page's link, when rows are left that $top still wants. */
    const nextLink = (s: { row_count: number; truncated: boolean }): string | null => {
      if (!s.truncated || sent + s.row_count >= (options.top ?? Infinity)) return null;
      const next = new URLSearchParams(queryDefining(params, keyParam(c)));
      next.set('$skiptoken', signToken(secret, { o: sent + s.row_count, ...binding }));
      return `${root}${encodeURIComponent(set.name)}?${next.toString().replace(/\+/g, '%20')}`;
    };
    const contentType = ieee ? JSON_TYPE_IEEE754 : JSON_CONTENT_TYPE;
    const headers = applied ? { 'Preference-Applied': `odata.maxpagesize=${size}` } : undefined;

    // One writer for a streamed and a held answer: the same bytes either way.
    const open = `{"@odata.context":${JSON.stringify(context)}${count === null ? '' : `,"@odata.count":${count}`},"value":[`;
    const close = (s: { row_count: number; truncated: boolean }): string => {
      const link = nextLink(s);
      return link === null ? ']}' : `],"@odata.nextLink":${JSON.stringify(link)}}`;
    };

    if (result !== null && !result.complete) {
      // Too big to hold: `value` streams from the database cursor; the next link, known only
      // at the end, follows it (OData JSON allows control information after the collection).
      const done = streamDetail(c);
      const body = streamBody(result, {
        open,
        rows: commaSeparated(entity),
        close,
      }, done, clientLink(c));
      return respond(c, body, 200, contentType, headers);
    }

    const rows = result?.head ?? [];
    detail.rows = rows.length;
    return sendText(c, `${open}${rows.map(entity).join(',')}${close(result?.summary() ?? { row_count: 0, truncated: false })}`, contentType, 200, headers);
  });

  // Anything else under /odata (key lookups like orders('x'), other methods) is an OData 404.
  app.all('/odata/*', (c) => {
    throw new GatewayError('http.not_found', 404, `semgate's OData service has no resource ${c.req.method} ${c.req.path.slice(0, 80)}.`);
  });

  return app;
}
