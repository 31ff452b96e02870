import type { Context } from 'hono';
import type { ContentfulStatusCode } from 'hono/utils/http-status';
import { describePlan } from '../query/describe.ts';
import type { Prepared } from '../service/query.ts';
import type { GatewayEnv, RequestDetail } from './env.ts';
import { GatewayError } from '../errors.ts';
import { respond } from './frame.ts';
import { toProblem } from './problem.ts';

/** The request body as JSON; malformed JSON is a 400 that says where it broke. */
export async function readJsonBody(c: Context): Promise<unknown> {
  const text = await c.req.text();
  if (text.trim() === '') throw new GatewayError('query.empty_body', 400, 'The request body is empty: send the query as JSON.');
  try {
    return JSON.parse(text);
  } catch (e) {
    throw new GatewayError('query.malformed_json', 400, `The body is not valid JSON: ${(e as Error).message.slice(0, 200)}`, {
      hint: 'Send Content-Type: application/json with a JSON object body.',
    });
  }
}

/** `Cache-Control: no-cache` from the caller: skip the cache's read (it is still filled). */
export function askedNoCache(c: Context): boolean {
  return /\bno-cache\b/i.test(c.req.header('cache-control') ?? '');
}

/** The request's audit detail, created on first use. */
export function detailOf(c: Context<GatewayEnv>): RequestDetail {
  let d = c.get('detail');
  if (!d) {
    d = {};
    c.set('detail', d);
  }
  return d;
}

/** A JSON response whose size goes into the audit line. */
export function sendJson(c: Context<GatewayEnv>, value: unknown, status: ContentfulStatusCode = 200): Response {
  return sendText(c, JSON.stringify(value), 'application/json', status);
}

/**
 * A text response whose size goes into the audit line, with all its headers in one plain
 * object (see `respond`).
 */
export function sendText(c: Context<GatewayEnv>, text: string, contentType: string, status: number = 200,
  headers?: Readonly<Record<string, string>>): Response {
  detailOf(c).bytes = Buffer.byteLength(text);
  return respond(c, text, status, contentType, headers);
}

/** The problem+json answer for an error, its size noted for the audit line. */
export function problemFor(c: Context<GatewayEnv>, err: unknown): Response {
  const { problem, headers } = toProblem(err, c.get('requestId'));
  return sendText(c, JSON.stringify(problem), 'application/problem+json', problem.status, headers);
}

/** What a prepared query asked for, for the audit line and metrics (every front door alike). */
export function notePrepared(c: Context<GatewayEnv>, prepared: Prepared): void {
  Object.assign(detailOf(c), { dataset: prepared.plan.dataset.name }, describePlan(prepared.plan), prepared.compile && { compile: prepared.compile });
}
