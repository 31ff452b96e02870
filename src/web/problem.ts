import { GatewayError } from '../errors.ts';

/** RFC 9457 body. `field` and `hint` are semgate extensions; `request_id` ties it to the logs. */
export interface Problem {
  type: string;
  title: string;
  status: number;
  detail: string;
  field?: string;
  hint?: string;
  request_id: string;
  [extension: string]: unknown;
}

const TITLES: Record<number, string> = {
  400: 'Bad request', 401: 'Unauthorized', 403: 'Forbidden', 404: 'Not found', 405: 'Method not allowed',
  413: 'Payload too large', 415: 'Unsupported media type', 429: 'Too many requests',
  500: 'Internal error', 503: 'Service unavailable', 504: 'Gateway timeout',
};

/** Where the code's words would read badly. */
const TITLE_OVERRIDES: Record<string, string> = {
  'query.malformed_json': 'Malformed JSON', 'query.invalid_query': 'Invalid query', 'query.invalid': 'Invalid request',
  'query.empty_body': 'Empty body', 'limit.rate_limited': 'Too many requests', 'source.timeout': 'Query timed out',
  'source.unavailable': 'Source unavailable', 'catalog.reload_refused': 'Configuration refused', 'http.payload_too_large': 'Payload too large', 'http.not_found': 'Not found',
  'http.headers_too_large': 'Request headers too large',
};

/** `query.unknown_field` -> "Unknown field" */
function titleOf(code: string, status: number): string {
  const override = TITLE_OVERRIDES[code];
  if (override) return override;
  const tail = code.slice(code.indexOf('.') + 1).replace(/_/g, ' ');
  return status >= 500 && status !== 503 && status !== 504 ? TITLES[status]! : tail.charAt(0).toUpperCase() + tail.slice(1);
}

/**
 * The one place where errors become responses. A GatewayError's message is written for the
 * caller; anything else is a 500 that says only the request id (the detail goes to the log).
 */
export function toProblem(err: unknown, requestId: string): { problem: Problem; headers: Record<string, string> } {
  if (err instanceof GatewayError && (err.status < 500 || err.status === 503 || err.status === 504)) {
    const problem: Problem = {
      ...err.extensions,
      type: `https://semgate.dev/errors/${err.code.slice(err.code.indexOf('.') + 1).replace(/_/g, '-')}`,
      title: titleOf(err.code, err.status),
      status: err.status,
      detail: err.message,
      request_id: requestId,
    };
    if (err.field) problem.field = err.field;
    if (err.hint !== undefined) problem.hint = err.hint;
    return { problem, headers: err.headers ?? {} };
  }
  return {
    problem: {
      type: 'https://semgate.dev/errors/internal',
      title: TITLES[500]!,
      status: 500,
      detail: `Something went wrong on our side. Quote request id ${requestId} when you report it.`,
      request_id: requestId,
    },
    headers: {},
  };
}

export function problemResponse(err: unknown, requestId: string): Response {
  const { problem, headers } = toProblem(err, requestId);
  return new Response(JSON.stringify(problem), {
    status: problem.status,
    headers: { 'Content-Type': 'application/problem+json', 'X-Request-Id': requestId, ...headers },
  });
}
