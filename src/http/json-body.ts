import type { Context } from 'hono';
import { GatewayError } from '../errors.ts';

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
