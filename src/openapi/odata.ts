import { JSON_CONTENT_TYPE as ODATA_JSON } from '../odata/metadata.ts';
import { COMPONENT_RESPONSES, header, KEY_PARAMS, ref, successHeaders, type Json } from './parts.ts';

/**
 * The OData endpoint (src/odata/routes.ts) in /openapi.json. Its bodies are OData's, not
 * semgate's: the service document, CSDL XML, entity collections (whose properties depend on
 * the entity set, so the schema is generic: $metadata has the types), plain-text counts.
 */

/**
 * The OData endpoint's errors: the statuses and headers of the REST ones, but OData's error
 * JSON instead of problem+json (what Power BI and Excel show), and OData-Version on all.
 */
const ODATA_VERSION = { 'OData-Version': ref('headers', 'ODataVersion') };
const ODATA_RESPONSES: [string, string][] = [
  ['BadRequest', 'A query option that does not parse, is not supported ($expand, $search, ...) or names an unknown property (also a property the key\'s role may not see), a $top or $skip that is not a whole number, a $skiptoken not issued for this query and tenant, or an admin\'s X-Tenant-Id that is not a tenant id. `target` names the option or header. A $filter is never silently dropped.'],
  ['Unauthorized', 'No key, an unknown, disabled or expired key.'],
  ['Forbidden', 'The key\'s role may not read that dataset, or a non-admin key sent X-Tenant-Id.'],
  ['NotFound', 'No entity set of that name (an unknown dataset).'],
  ['TooManyRequests', 'The key or tenant is over its rate limit.'],
  ['InternalError', 'An unexpected failure; the message says only the request id (details are in the log).'],
  ['ServiceUnavailable', 'The source is unreachable, or its connection pool\'s queue is full; or the key store or identity provider cannot be reached to check the credential.'],
  ['GatewayTimeout', 'The query ran past the dataset\'s timeout_ms and was cancelled in the database.'],
];
export const odataResponses = (): Json => Object.fromEntries(ODATA_RESPONSES.map(([name, description]) => {
  const { headers } = COMPONENT_RESPONSES[name] as { headers: Json };
  return [`OData${name}`, { description, headers: { ...headers, ...ODATA_VERSION }, content: { 'application/json': { schema: ref('schemas', 'ODataError') } } }];
}));
const ODATA_STATUS: Record<string, string> = {
  400: 'BadRequest', 401: 'Unauthorized', 403: 'Forbidden', 404: 'NotFound', 429: 'TooManyRequests', 500: 'InternalError', 503: 'ServiceUnavailable', 504: 'GatewayTimeout',
};
const odataKeyed = (...more: string[]): Json => Object.fromEntries(['400', '401', '403', '429', '500', '503', ...more].map((status) => [status, ref('responses', `OData${ODATA_STATUS[status]!}`)]));
const odataOk = (description: string, content: Json, extraHeaders: Json = {}): Json => ({
  description, headers: { ...successHeaders(), ...ODATA_VERSION, ...extraHeaders }, content,
});
const query = (name: string, description: string, schema: Json = { type: 'string', minLength: 1 }): Json => ({ name, in: 'query', required: false, description, schema });
const ENTITY_SET = { name: 'set', in: 'path', required: true, description: 'The entity set: a dataset\'s name.', schema: { type: 'string' } };
const FILTER = query('$filter', 'Rows to keep: `eq ne gt ge lt le and or not in`, `contains startswith endswith`, literals of every property type, e.g. `region eq \'EU\' and order_date ge 2024-01-01`.');
const APPLY = query('$apply', 'Aggregation, e.g. `groupby((region),aggregate(revenue with sum as total))`; optionally `filter(...)` first.');
const ODATA_PARAMS = [
  query('$select', 'Dimensions and metrics to return, comma-separated; the rows are grouped by the selected dimensions.'),
  FILTER,
  query('$orderby', 'Comma-separated properties, each optionally `asc` or `desc`.'),
  query('$top', 'At most this many rows in all (over every page).', { type: 'integer', minimum: 0 }),
  query('$skip', 'Skip this many rows first.', { type: 'integer', minimum: 0 }),
  query('$count', 'true: add `@odata.count`, the number of rows of the whole result.', { type: 'boolean' }),
  APPLY,
  query('$skiptoken', 'Opaque: only as found in `@odata.nextLink`. A token of another query or tenant, or an edited one, is a 400.'),
  query('$format', 'Only JSON is served: `json` or `application/json` (any case, with parameters) are accepted, anything else is a 400.', { type: 'string', examples: ['json'] }),
  {
    name: 'Prefer', in: 'header', required: false, schema: { type: 'string' }, example: 'odata.maxpagesize=500',
    description: '`odata.maxpagesize=N`: at most N rows per page (the configured odata.max_page_size, default 5,000, and the dataset\'s max_rows still cap it).',
  },
];

/** The /odata paths (src/odata/routes.ts); every one needs a key, like /v1. */
export function odataPaths(): Json {
  return {
    '/odata': {
      get: {
        operationId: 'odataServiceRoot', tags: ['odata'], summary: 'OData service document, at the service root without its slash',
        description: 'The same document as /odata/ (clients type both; a redirect would lose some clients\' credentials).', parameters: KEY_PARAMS,
        responses: { ...odataKeyed(), 200: odataOk('The entity sets.', { [ODATA_JSON]: { schema: ref('schemas', 'ODataServiceDocument') } }) },
      },
    },
    '/odata/': {
      get: {
        operationId: 'odataServiceDocument', tags: ['odata'], summary: 'OData service document: one entity set per dataset the key may read',
        description: 'Power BI and Excel test credentials here.', parameters: KEY_PARAMS,
        responses: { ...odataKeyed(), 200: odataOk('The entity sets.', { [ODATA_JSON]: { schema: ref('schemas', 'ODataServiceDocument') } }) },
      },
    },
    '/odata/$metadata': {
      get: {
        operationId: 'odataMetadata', tags: ['odata'], summary: 'CSDL XML (OData 4.0) of the datasets the key may read',
        parameters: KEY_PARAMS,
        responses: {
          ...odataKeyed(),
          200: odataOk('One EntityType and EntitySet per dataset (the properties the key\'s role may see, and a `_key`), with Core, Capabilities and Aggregation annotations; valid against the OASIS CSDL schema.', {
            'application/xml': { schema: { type: 'string', pattern: '^<\\?xml ', description: 'An edmx:Edmx document, Version 4.0.' } },
          }),
        },
      },
    },
    '/odata/{set}': {
      get: {
        operationId: 'odataEntitySet', tags: ['odata'], summary: 'Rows of a dataset, with OData query options',
        description: 'Without $select or $apply: every dimension and metric the key may see, grouped by all dimensions. Server-driven paging: when more rows follow, `@odata.nextLink` carries the next page (page size from `Prefer: odata.maxpagesize`, default 5,000). A page over 1 MiB is streamed from the database as it is read; `@odata.nextLink` then comes after `value` (known only at its end), as OData JSON allows.',
        parameters: [ENTITY_SET, ...ODATA_PARAMS, ...KEY_PARAMS],
        responses: {
          ...odataKeyed('404', '504'),
          200: odataOk('A page of rows.', { [ODATA_JSON]: { schema: ref('schemas', 'ODataCollection') } }, {
            'Preference-Applied': header('When Prefer: odata.maxpagesize was sent: the page size used.', { type: 'string', pattern: '^odata\\.maxpagesize=[1-9][0-9]*$' }, false),
          }),
        },
      },
    },
    '/odata/{set}/$count': {
      get: {
        operationId: 'odataCount', tags: ['odata'], summary: 'The number of rows, as plain text',
        description: 'The rows $filter and $apply leave (other options are parsed but do not change the count, as OData says).',
        parameters: [ENTITY_SET, FILTER, APPLY, ...KEY_PARAMS],
        responses: {
          ...odataKeyed('404', '504'),
          200: odataOk('The count.', { 'text/plain': { schema: { type: 'string', pattern: '^(0|[1-9][0-9]*)$' } } }),
        },
      },
    },
  };
}
