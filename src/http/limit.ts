import type { MiddlewareHandler } from 'hono';
import { rateLimitHeaders } from '../limits/rate-limit.ts';
import type { GatewayEnv } from './env.ts';

/** After auth, before any work: a spent limit is a 429; every answer carries RateLimit-*. */
export function rateLimit(): MiddlewareHandler<GatewayEnv> {
  return async (c, next) => {
    const gateway = c.get('gateway');
    const { keys, catalog } = c.get('state');
    const key = keys.get(c.get('principal')!.keyId);
    const state = key ? await gateway.limits.consume(catalog, key) : null;
    await next();
    if (state) for (const [name, value] of Object.entries(rateLimitHeaders(state))) c.res.headers.set(name, value);
  };
}
