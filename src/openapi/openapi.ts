import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Handler } from 'hono';
import { semanticQuerySchema } from '../query/parse.ts';
import type { GatewayEnv } from '../web/env.ts';
import { odataPaths, odataResponses } from './odata.ts';
import { COMPONENT_RESPONSES, header, KEY_PARAMS, problem, RATE_HEADERS, ref, successHeaders, type Json } from './parts.ts';

/**
 * The OpenAPI 3.1 document of /openapi.json. The request schema is the very object ajv
 * validates queries with (src/query/schemas/semantic-query.schema.json, via parse.ts), and
 * the response schemas are the JSON files next to this one, so the document cannot drift
 * from what the gateway checks. test/http/openapi.test.ts validates the document and every
 * kind of response the gateway sends against it.
 *
 * The OData paths are in openapi-odata.ts, shared pieces in openapi-parts.ts. Paths of new
 * issues are added to paths() with their issue; the test fails on a served route missing here.
 */

const require = createRequire(import.meta.url);
// The nearest package.json up: src/openapi/ from the sources, dist/server/openapi/ once built.
const pkg = require(findUp('package.json')) as { version: string };

function findUp(name: string): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(dir, name)) && dirname(dir) !== dir) dir = dirname(dir);
  return join(dir, name);
}

/** A draft-07 or 2020-12 schema file as an OpenAPI 3.1 component: its identity keywords go. */
function component(schema: Json): Json {
  const { $schema: _s, $id: _i, $comment: _c, ...rest } = schema;
  return rest;
}

/**
 * A schema file with `$defs` as components: each definition becomes `<name>_<def>` beside
 * it and its `#/$defs/...` references point there (in the document they would resolve
 * against the document's root, where there are no `$defs`).
 */
function components(name: string, schema: Json): Json {
  const { $defs: defs, ...own } = component(schema) as Json & { $defs?: Json };
  const rewrite = (v: unknown): unknown => {
    if (Array.isArray(v)) return v.map(rewrite);
    if (v === null || typeof v !== 'object') return v;
    return Object.fromEntries(Object.entries(v).map(([k, x]) => [k,
      k === '$ref' && typeof x === 'string' && x.startsWith('#/$defs/') ? `#/components/schemas/${name}_${x.slice(8)}` : rewrite(x)]));
  };
  const out: Json = { [name]: rewrite(own) };
  for (const [def, s] of Object.entries(defs ?? {})) out[`${name}_${def}`] = rewrite(s);
  return out;
}

const RESPONSE_SCHEMAS = {
  Problem: 'problem', QueryResponse: 'query-response', DatasetSummary: 'dataset-summary', DatasetList: 'dataset-list',
  DatasetDetail: 'dataset-detail', CompiledSql: 'compiled-sql', Usage: 'usage', AdminUsage: 'admin-usage',
  Health: 'health', Ready: 'ready', PurgeRequest: 'purge-request', PurgeResult: 'purge-result', ReloadResult: 'reload-result',
  ODataError: 'odata-error', ODataServiceDocument: 'odata-service-document', ODataCollection: 'odata-collection',
  KeyFields: 'key-fields', KeyInfo: 'key-info', KeyList: 'key-list', CreatedKey: 'created-key', KeyRequest: 'key-request',
  RotateRequest: 'rotate-request', GuestTokenRequest: 'guest-token-request', GuestToken: 'guest-token',
} as const;

function ok(description: string, schemaName: string, extraContent: Json = {}, extraHeaders: Json = {}, keyed = true): Json {
  return {
    description,
    headers: { ...successHeaders(keyed), ...extraHeaders },
    content: { 'application/json': { schema: ref('schemas', schemaName) }, ...extraContent },
  };
}

/**
 * The statuses every keyed endpoint can answer besides its own (503: a key store or an
 * identity provider that cannot be reached to check the credential).
 */
const keyed = (...more: [string, string][]): Json => Object.fromEntries([
  ['400', 'BadRequest'], ['401', 'Unauthorized'], ['403', 'Forbidden'], ['429', 'TooManyRequests'], ['500', 'InternalError'],
  ['503', 'ServiceUnavailable'], ...more,
].map(([status, name]) => [status, ref('responses', name!)]));

const jsonBody = (schema: string, required = true): Json => ({ required, content: { 'application/json': { schema: ref('schemas', schema) } } });
const KEY_ID_PARAM = { name: 'id', in: 'path', required: true, description: 'A key id (`k_` and 12 hex digits).', schema: { type: 'string' } };

const queryBody = (example: Json): Json => ({
  required: true,
  description: 'A semantic query. Unknown members are refused (400), so typos never pass silently.',
  content: { 'application/json': { schema: ref('schemas', 'SemanticQuery'), examples: { orders: { value: example } } } },
});

/** `?days=N`: a per-day history of the usage (the portal's chart). */
const DAYS_PARAM: Json = {
  name: 'days', in: 'query', required: false, schema: { type: 'integer', minimum: 1, maximum: 31 },
  description: 'Also answer `daily`: the last N days, oldest first (1 to 31).',
};

const html = (description: string): Json => ({
  description, headers: successHeaders(false), content: { 'text/html': { schema: { type: 'string' } } },
});

/** The customer portal (src/portal): its page and hashed assets need no key; the page sends the key to the API only. */
function portalPaths(): Json {
  const page = {
    get: {
      operationId: 'portal', tags: ['portal'], summary: 'The customer portal page', security: [],
      description: 'A web page for key holders: datasets, connection steps, usage and a query builder. It talks only to this API.',
      parameters: [ref('parameters', 'XRequestId')],
      responses: { 200: html('The page (strict Content-Security-Policy, no inline script).'), 500: ref('responses', 'InternalError'), 503: ref('responses', 'ServiceUnavailable') },
    },
  };
  return {
    '/portal': page,
    '/portal/': { get: { ...page.get, operationId: 'portalSlash' } },
    '/portal/assets/{file}': {
      get: {
        operationId: 'portalAsset', tags: ['portal'], summary: 'A hashed asset of the portal (script, style)', security: [],
        parameters: [ref('parameters', 'XRequestId'), { name: 'file', in: 'path', required: true, schema: { type: 'string' } }],
        responses: {
          200: { description: 'The asset, cached for a year (its name changes with its content).', headers: successHeaders(false), content: { 'text/javascript': { schema: { type: 'string' } }, 'text/css': { schema: { type: 'string' } }, 'text/plain': { schema: { type: 'string' } } } },
          404: ref('responses', 'NotFound'), 500: ref('responses', 'InternalError'), 503: ref('responses', 'ServiceUnavailable'),
        },
      },
    },
  };
}

const EXAMPLE_QUERY = {
  dataset: 'orders', dimensions: ['region', 'order_date.month'], metrics: ['revenue', 'order_count'],
  filters: [{ field: 'order_date', op: 'between', values: ['2024-01-01', '2024-06-30'] }],
  order_by: [{ field: 'revenue', direction: 'desc' }], limit: 100,
};

function paths(): Json {
  return {
    '/health': {
      get: {
        operationId: 'health', tags: ['meta'], summary: 'Liveness', security: [],
        description: 'Answers while the process runs; needs no key and touches no source.',
        parameters: [ref('parameters', 'XRequestId')],
        responses: { 200: ok('The process is up.', 'Health', {}, {}, false), 500: ref('responses', 'InternalError') },
      },
    },
    '/metrics': {
      get: {
        operationId: 'metrics', tags: ['meta'], summary: 'Prometheus metrics',
        description: 'Prometheus text format. Needs an admin key, or `Authorization: Bearer <token>` with the token the gateway was started with in `SEMGATE_METRICS_TOKEN` (the labels carry tenant ids and source names).',
        parameters: [ref('parameters', 'XRequestId')],
        responses: {
          ...keyed(),
          200: { description: 'Metrics in the Prometheus text exposition format.', headers: successHeaders(), content: { 'text/plain': { schema: { type: 'string' } } } },
        },
      },
    },
    '/ready': {
      get: {
        operationId: 'ready', tags: ['meta'], summary: 'Readiness: every source pinged', parameters: KEY_PARAMS,
        responses: {
          ...keyed(),
          200: ok('Every source answered.', 'Ready'),
          503: problem(503, 'At least one source did not answer (admin keys also get `sources` and `audit`), or the replica is shutting down (SIGTERM: answered to anyone, key or not, so a balancer stops sending).', {
            'Retry-After': header('Seconds to wait before retrying.', { type: 'integer', minimum: 0 }),
          }, { sources: ref('schemas', 'Ready/properties/sources'), audit: ref('schemas', 'Ready/properties/audit') }),
        },
      },
    },
    '/openapi.json': {
      get: {
        operationId: 'openapi', tags: ['meta'], summary: 'This document (OpenAPI 3.1)', parameters: KEY_PARAMS,
        responses: {
          ...keyed(),
          200: {
            description: 'The OpenAPI document.', headers: successHeaders(),
            content: {
              'application/json': {
                schema: {
                  type: 'object', required: ['openapi', 'info', 'paths', 'components'],
                  properties: { openapi: { type: 'string', pattern: '^3\\.1\\.' }, info: { type: 'object' }, paths: { type: 'object' }, components: { type: 'object' } },
                },
              },
            },
          },
        },
      },
    },
    '/v1/datasets': {
      get: {
        operationId: 'listDatasets', tags: ['catalog'], summary: 'The datasets this key may query', parameters: KEY_PARAMS,
        responses: { ...keyed(), 200: ok('Names, labels and descriptions.', 'DatasetList') },
      },
    },
    '/v1/datasets/{name}': {
      get: {
        operationId: 'getDataset', tags: ['catalog'], summary: 'A dataset\'s dimensions, metrics, segments and limits',
        description: 'An unknown dataset is a 400 (like in a query), one the key\'s role may not see a 403.',
        parameters: [{ name: 'name', in: 'path', required: true, schema: { type: 'string' } }, ...KEY_PARAMS],
        responses: { ...keyed(), 200: ok('What the key\'s role may see of the dataset.', 'DatasetDetail') },
      },
    },
    '/v1/query': {
      post: {
        operationId: 'query', tags: ['query'], summary: 'Run a semantic query',
        description: 'Send `Accept: text/csv` for CSV (a header row, RFC 4180, NULL as an empty cell); otherwise JSON. '
          + 'A result over 1 MiB is streamed from the database as it is read: `meta` comes after `rows`, so its `row_count` and `truncated` '
          + 'describe what was sent; `X-Row-Count` and `X-Truncated` are sent only when the whole result was known before the first byte. '
          + 'A streamed answer that breaks off (the database failed after the 200) ends with a reset connection, never a well-formed body.',
        parameters: [...KEY_PARAMS, {
          name: 'escape_formulas', in: 'query', required: false,
          description: 'With text/csv: `true` prefixes text cells starting with `=`, `+`, `-`, `@`, tab or CR with `\'` (spreadsheet formula injection); '
            + 'number columns are never changed. Default: sources.yaml `csv.escape_formulas` (false).',
          schema: { type: 'string', enum: ['true', 'false', '1', '0'] },
        }], requestBody: queryBody(EXAMPLE_QUERY),
        responses: {
          ...keyed(['413', 'PayloadTooLarge'], ['503', 'ServiceUnavailable'], ['504', 'GatewayTimeout']),
          200: ok('The rows.', 'QueryResponse', {
            'text/csv': { schema: { type: 'string', description: 'A header row of column names, then one line per row, CRLF line ends.' } },
          }, {
            'X-Row-Count': header('With text/csv, when the whole result was known before the first byte (a cache hit or a result under 1 MiB): the number of rows. Absent on a streamed CSV.', { type: 'integer', minimum: 0 }, false),
            'X-Truncated': header('With text/csv, when known up front like X-Row-Count: true when more rows exist (meta.truncated). Absent on a streamed CSV.', { type: 'string', enum: ['true', 'false'] }, false),
            'X-Cache': header('HIT when the rows came from the gateway\'s cache (meta.cached), else MISS.', { type: 'string', enum: ['HIT', 'MISS'] }, false),
          }),
        },
      },
    },
    '/v1/query/sql': {
      post: {
        operationId: 'compileQuery', tags: ['query'], summary: 'Compile a semantic query to SQL without running it',
        description: 'For admin keys and keys with `explain: true` in api-keys.yaml; others get 403.',
        parameters: KEY_PARAMS, requestBody: queryBody(EXAMPLE_QUERY),
        responses: { ...keyed(['413', 'PayloadTooLarge']), 200: ok('The SQL and its bound parameters.', 'CompiledSql') },
      },
    },
    '/v1/usage': {
      get: {
        operationId: 'usage', tags: ['usage'], summary: 'The caller\'s tenant\'s usage today',
        description: 'An admin key has no tenant: it gets 400 unless it sends X-Tenant-Id.',
        parameters: [...KEY_PARAMS, DAYS_PARAM], responses: { ...keyed(), 200: ok('Usage of the key\'s tenant.', 'Usage') },
      },
    },
    '/v1/admin/cache/purge': {
      post: {
        operationId: 'purgeCache', tags: ['admin'], summary: 'Drop cached results (admin keys): all, or by dataset and/or tenant',
        parameters: KEY_PARAMS,
        requestBody: { required: false, content: { 'application/json': { schema: { $ref: '#/components/schemas/PurgeRequest' } } } },
        responses: { ...keyed(['413', 'PayloadTooLarge']), 200: ok('How many entries were dropped.', 'PurgeResult') },
      },
    },
    '/v1/admin/reload': {
      post: {
        operationId: 'reload', tags: ['admin'], summary: 'Reload the three YAML files (admin keys; SIGHUP does the same)',
        description: 'A configuration with errors is refused with a 400 whose `errors` list each finding (file, line, column, field, message); the previous configuration keeps serving. Requests in flight finish on the configuration they started with.',
        parameters: KEY_PARAMS,
        responses: { ...keyed(['413', 'PayloadTooLarge']), 200: ok('The new configuration serves.', 'ReloadResult') },
      },
    },
    ...adminKeyPaths(),
    '/v1/admin/usage': {
      get: {
        operationId: 'adminUsage', tags: ['usage'], summary: 'Usage of every tenant (admin keys)',
        parameters: [...KEY_PARAMS, DAYS_PARAM], responses: { ...keyed(), 200: ok('One entry per tenant that sent a query.', 'AdminUsage') },
      },
    },
    ...odataPaths(),
    ...portalPaths(),
  };
}

/** Keys of the key store and guest tokens (src/http/admin-keys.ts); 409 where the gateway has none configured. */
function adminKeyPaths(): Json {
  const conflict = (d: string): [string, string] => ['409', d];
  return {
    '/v1/admin/keys': {
      post: {
        operationId: 'createKey', tags: ['admin'], summary: 'Create a key in the key store (admin keys)',
        description: 'The plaintext `key` is in this answer only. 409: no `key_store:` is configured, or the tenant differs only by case from an existing one.',
        parameters: KEY_PARAMS, requestBody: jsonBody('KeyRequest'),
        responses: { ...keyed(['413', 'PayloadTooLarge'], conflict('Conflict')), 201: ok('The new key.', 'CreatedKey') },
      },
      get: {
        operationId: 'listKeys', tags: ['admin'], summary: 'The keys, of the file and of the store, without secrets (admin keys)',
        parameters: [
          { name: 'tenant', in: 'query', required: false, schema: { type: 'string', pattern: '^[A-Za-z0-9_-]{1,64}$' } },
          { name: 'source', in: 'query', required: false, schema: { enum: ['store', 'file'] } },
          { name: 'limit', in: 'query', required: false, description: 'Store keys per page (default 100).', schema: { type: 'integer', minimum: 1, maximum: 1000 } },
          { name: 'after', in: 'query', required: false, description: '`next_after` of the previous page.', schema: { type: 'string' } },
          ...KEY_PARAMS,
        ],
        responses: { ...keyed(), 200: ok('A page of keys.', 'KeyList') },
      },
    },
    '/v1/admin/keys/{id}/rotate': {
      post: {
        operationId: 'rotateKey', tags: ['admin'], summary: 'A new key for the same tenant and role; the old one works until the grace period ends',
        description: 'Every replica sees the old key\'s new expiry at once (through Redis; else within cache_ttl). 409: a key of api-keys.yaml, a revoked or expired key, or no key store.',
        parameters: [KEY_ID_PARAM, ...KEY_PARAMS], requestBody: jsonBody('RotateRequest', false),
        responses: { ...keyed(['404', 'NotFound'], ['413', 'PayloadTooLarge'], conflict('Conflict')), 201: ok('The new key.', 'CreatedKey') },
      },
    },
    '/v1/admin/keys/{id}': {
      delete: {
        operationId: 'revokeKey', tags: ['admin'], summary: 'Revoke a store key on every replica',
        description: 'Refused on every replica within a second (with Redis) or cache_ttl. 409: a key of api-keys.yaml (revoke it there), or no key store.',
        parameters: [KEY_ID_PARAM, ...KEY_PARAMS],
        responses: { ...keyed(['404', 'NotFound'], conflict('Conflict')), 200: ok('The revoked key.', 'KeyInfo') },
      },
    },
    '/v1/admin/guest-tokens': {
      post: {
        operationId: 'createGuestToken', tags: ['admin'], summary: 'Mint a short-lived token for one tenant, for embedding (admin keys)',
        description: 'Its `filters` are ANDed into every query made with it (REST and OData) and can only narrow; a dataset a filter cannot apply to is refused. 409: `guest_tokens:` is not configured.',
        parameters: KEY_PARAMS, requestBody: jsonBody('GuestTokenRequest'),
        responses: { ...keyed(['413', 'PayloadTooLarge'], conflict('Conflict')), 201: ok('The token.', 'GuestToken') },
      },
    },
  };
}

export function buildOpenApi(): Json {
  const schemas: Json = components('SemanticQuery', semanticQuerySchema);
  for (const [name, file] of Object.entries(RESPONSE_SCHEMAS)) schemas[name] = component(require(`./schemas/${file}.schema.json`) as Json);
  return {
    openapi: '3.1.0',
    info: {
      title: 'semgate',
      version: pkg.version,
      summary: 'Multi-tenant semantic-layer query gateway',
      description: 'Every endpoint but /health needs an API key, sent in one of three ways (security schemes below). '
        + 'Every error is application/problem+json (RFC 9457), except under /odata/ where errors are OData\'s error JSON '
        + '(components/schemas/ODataError) with the same statuses and headers; any path not listed answers 404 (components/responses/NotFound). '
        + 'Every response carries X-Request-Id (a valid one sent by the caller is kept), and every /odata response OData-Version: 4.0.\n\n'
        + 'When sources.yaml sets `odata.api_key_param`, /odata paths also take the key as that query parameter '
        + '(an apiKey security scheme `in: query` whose name each deployment chooses, so it is not listed below; '
        + 'Power BI\'s "Web API" credential). It is never echoed in `@odata.nextLink`.',
      license: { name: 'Apache-2.0', identifier: 'Apache-2.0' },
    },
    tags: [
      { name: 'meta', description: 'Health, readiness and this document' },
      { name: 'catalog', description: 'What may be queried' },
      { name: 'query', description: 'Semantic queries' },
      { name: 'usage', description: 'Per-tenant usage' },
      { name: 'admin', description: 'Operations for admin keys' },
      { name: 'odata', description: 'OData v4 for Power BI, Excel and Tableau (read-only)' },
      { name: 'portal', description: 'The customer portal web page' },
    ],
    security: [{ bearerAuth: [] }, { apiKeyHeader: [] }, { basicAuth: [] }],
    paths: paths(),
    components: {
      schemas,
      responses: { ...COMPONENT_RESPONSES, ...odataResponses() },
      headers: {
        XRequestId: header('The request id: the caller\'s X-Request-Id when it is at most 128 of [A-Za-z0-9_=-], else a new UUIDv7.', { type: 'string', minLength: 1 }),
        ServerTiming: header('Where the time went: auth, plan, db, total (ms).', { type: 'string' }),
        ServerTimingOptional: header('Where the time went, when the request got that far.', { type: 'string' }, false),
        ODataVersion: header('On every /odata response, errors included.', { type: 'string', const: '4.0' }),
        ...RATE_HEADERS,
      },
      parameters: {
        XRequestId: {
          name: 'X-Request-Id', in: 'header', required: false, schema: { type: 'string', maxLength: 128, pattern: '^[A-Za-z0-9_=-]+$' },
          description: 'Your id for the request, echoed back and logged; anything else is replaced by a UUIDv7.',
        },
        XTenantId: {
          name: 'X-Tenant-Id', in: 'header', required: false, schema: { type: 'string', pattern: '^[A-Za-z0-9_-]{1,64}$' },
          description: 'Admin keys only: act as this tenant. Any other key sending it gets 403.',
        },
      },
      securitySchemes: {
        bearerAuth: { type: 'http', scheme: 'bearer', description: '`Authorization: Bearer <key>`' },
        apiKeyHeader: { type: 'apiKey', in: 'header', name: 'X-API-Key', description: '`X-API-Key: <key>`' },
        basicAuth: {
          type: 'http', scheme: 'basic',
          description: 'HTTP Basic with any user name and the key as the password: how Power BI, Excel and Tableau send a secret.',
        },
      },
    },
  };
}

/** GET /openapi.json: the document is built once, when the app is created, and served as is. */
export function openApiHandler(): Handler<GatewayEnv> {
  const body = JSON.stringify(buildOpenApi());
  return (c) => c.body(body, 200, { 'Content-Type': 'application/json' });
}
