import { GatewayError } from '../errors.ts';
import type { Context } from 'hono';
import type { GatewayEnv } from '../web/env.ts';
import { sendText } from '../web/body.ts';
import { toProblem } from '../web/problem.ts';
import { ODataSyntaxError } from './ast.ts';

/** A parser's syntax error is the caller's 400, like any GatewayError; anything else as it is. */
export function asGatewayError(err: unknown): unknown {
  return err instanceof ODataSyntaxError
    ? new GatewayError('query.odata_syntax', 400, `${err.option}: ${err.message} (at position ${err.pos})`, { field: err.option })
    : err;
}

/** Whether an answer to this path is OData's (its error JSON, OData-Version). */
export function isODataPath(path: string): boolean {
  return path === '/odata' || path.startsWith('/odata/');
}

/**
 * OData's error JSON (`{"error": {"code", "message", "target", "details", "innererror"}}`),
 * with the status and headers (WWW-Authenticate, Retry-After, RateLimit-*) the gateway's
 * problem+json would have had, and the same care: no SQL, stack or other tenant in it.
 */
export function odataError(c: Context<GatewayEnv>, err: unknown): Response {
  const requestId = c.get('requestId');
  const { problem, headers } = toProblem(asGatewayError(err), requestId);
  const body = {
    error: {
      code: problem.type.slice(problem.type.lastIndexOf('/') + 1),
      message: problem.detail,
      ...(problem.field && { target: problem.field }),
      details: [],
      innererror: { request_id: requestId },
    },
  };
  // X-Request-Id, Server-Timing and RateLimit-* are added by the frame, as to every answer.
  return sendText(c, JSON.stringify(body), 'application/json;charset=utf-8', problem.status, headers);
}
