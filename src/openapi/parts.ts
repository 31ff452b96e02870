/**
 * Building blocks of the OpenAPI document shared by openapi.ts (REST paths) and
 * openapi-odata.ts (OData paths): references, headers, and the problem+json responses.
 */

export type Json = Record<string, unknown>;

export const ref = (kind: 'schemas' | 'responses' | 'headers' | 'parameters', name: string): Json => ({ $ref: `#/components/${kind}/${name}` });

export const header = (description: string, schema: Json, required = true): Json => ({ description, required, schema });

/** Error responses carry problem+json whose `status` is the HTTP status. */
export function problem(status: number, description: string, headers: Json = {}, extra: Json = {}): Json {
  return {
    description,
    headers: { 'X-Request-Id': ref('headers', 'XRequestId'), 'Server-Timing': ref('headers', 'ServerTimingOptional'), ...headers },
    content: {
      'application/problem+json': {
        schema: { allOf: [ref('schemas', 'Problem'), { type: 'object', properties: { status: { const: status }, ...extra } }] },
      },
    },
  };
}

/** Keyed answers also say how much of the key's rate limit is left (when it has one). */
export const successHeaders = (keyed = true): Json => ({
  'X-Request-Id': ref('headers', 'XRequestId'),
  'Server-Timing': ref('headers', 'ServerTiming'),
  ...(keyed && {
    'RateLimit-Limit': ref('headers', 'RateLimitLimit'),
    'RateLimit-Remaining': ref('headers', 'RateLimitRemaining'),
    'RateLimit-Reset': ref('headers', 'RateLimitReset'),
  }),
});

export const RATE_HEADERS = {
  RateLimitLimit: header('Requests the key may send per window.', { type: 'integer', minimum: 0 }, false),
  RateLimitRemaining: header('Requests left in the current window.', { type: 'integer', minimum: 0 }, false),
  RateLimitReset: header('Seconds until the window resets.', { type: 'integer', minimum: 0 }, false),
};

export const COMPONENT_RESPONSES: Json = {
  BadRequest: problem(400, 'Malformed JSON, unknown dataset/field/operator/segment, wrong value type, limit over the dataset\'s max_rows, or an admin\'s X-Tenant-Id that is not a tenant id. `field` names the offending part.'),
  Unauthorized: problem(401, 'No key, an unknown, disabled or expired key, or a token (JWT, guest token) that is not accepted: the detail says why, never echoing it.', {
    'WWW-Authenticate': header('The ways to send a key.', { type: 'string', const: 'Basic realm="semgate", Bearer' }),
  }),
  Forbidden: problem(403, 'The key\'s role may not see that dataset or field, the endpoint needs an admin key, or a non-admin key sent X-Tenant-Id.'),
  NotFound: problem(404, 'Any path or method not in this document (after authentication for paths under /v1 and /odata).'),
  PayloadTooLarge: problem(413, 'The request body is over 1 MiB (checked before the key).'),
  TooManyRequests: problem(429, 'The key or tenant is over its rate limit (`rate-limited`), or too many of the tenant\'s queries are running at once and this one waited its source\'s `queue_timeout_ms` for a slot (`concurrency`). RateLimit-* come with every answer to a key that has a rate limit.', {
    'Retry-After': header('Seconds to wait.', { type: 'integer', minimum: 0 }),
    'RateLimit-Limit': RATE_HEADERS.RateLimitLimit,
    'RateLimit-Remaining': RATE_HEADERS.RateLimitRemaining,
    'RateLimit-Reset': RATE_HEADERS.RateLimitReset,
  }),
  InternalError: problem(500, 'An unexpected failure; the body says only the request id (details are in the log).'),
  Conflict: problem(409, 'The request conflicts with how the gateway is configured (the detail says how).'),
  ServiceUnavailable: problem(503, 'The source is unreachable, or saturated (`saturated`: every query slot stayed taken for its `queue_timeout_ms`; no connection came free in that time); or the credential cannot be checked now (the key store or the identity provider\'s key set is unreachable). Never a 401: retry.', {
    'Retry-After': header('Seconds to wait before retrying.', { type: 'integer', minimum: 0 }),
  }),
  GatewayTimeout: problem(504, 'The query ran past the dataset\'s timeout_ms and was cancelled in the database.'),
};

export const KEY_PARAMS = [ref('parameters', 'XRequestId'), ref('parameters', 'XTenantId')];
