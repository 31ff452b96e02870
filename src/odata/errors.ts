import { GatewayError } from '../errors.ts';
import { toProblem } from '../http/problem.ts';
import { ODataSyntaxError } from './ast.ts';

/**
 * OData's error JSON (`{"error": {"code", "message", "target", "details", "innererror"}}`),
 * with the status and headers (WWW-Authenticate, Retry-After, RateLimit-*) the gateway's
 * problem+json would have had, and the same care: no SQL, stack or other tenant in it.
 */
export function odataError(err: unknown, requestId: string, previous: Response): Response {
  const e = err instanceof ODataSyntaxError
    ? new GatewayError('query.odata_syntax', 400, `${err.option}: ${err.message} (at position ${err.pos})`, { field: err.option })
    : err;
  const { problem, headers } = toProblem(e, requestId);
  const body = {
    error: {
      code: problem.type.slice(problem.type.lastIndexOf('/') + 1),
      message: problem.detail,
      ...(problem.field && { target: problem.field }),
      details: [],
      innererror: { request_id: requestId },
    },
  };
  const res = new Response(JSON.stringify(body), { status: problem.status, headers: { 'Content-Type': 'application/json;charset=utf-8', 'X-Request-Id': requestId, ...headers } });
  for (const name of ['Server-Timing', 'RateLimit-Limit', 'RateLimit-Remaining', 'RateLimit-Reset']) {
    const v = previous.headers.get(name);
    if (v && !res.headers.has(name)) res.headers.set(name, v);
  }
  return res;
}
