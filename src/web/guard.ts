import type { Context, MiddlewareHandler } from 'hono';
import { authorizationProblem } from '../auth/authenticate.ts';
import { actAs, unauthorized } from '../auth/keys.ts';
import { forbidden } from '../errors.ts';
import { rateLimitHeaders } from '../limits/rate-limit.ts';
import type { GatewayEnv } from './env.ts';
import { endTime, setHeaders, startTime } from './frame.ts';

/**
 * The key from `Authorization: Bearer`, `X-API-Key`, or HTTP Basic with the key as the
 * password (any user name: how Power BI, Excel and Tableau send a secret).
 */
export function presentedKey(c: Context): string | null {
  const authorization = c.req.header('authorization');
  if (authorization) {
    const space = authorization.indexOf(' ');
    const scheme = (space < 0 ? authorization : authorization.slice(0, space)).toLowerCase();
    const value = space < 0 ? '' : authorization.slice(space + 1).trim();
    if (scheme === 'bearer' && value) return value;
    if (scheme === 'basic' && value) {
      const decoded = Buffer.from(value, 'base64').toString('utf8');
      const colon = decoded.indexOf(':');
      const password = colon < 0 ? '' : decoded.slice(colon + 1);
      return password || null;
    }
  }
  return c.req.header('x-api-key') || null;
}

/**
 * Authentication, then rate limiting, in one layer (every keyed route needs both, in this
 * order): key or token -> Principal in `c.get('principal')`, admins may act as one tenant with
 * X-Tenant-Id, then one point from each limit that applies (a 429 when one is spent; every
 * answer after this carries RateLimit-*). `queryParam` names a query parameter that may
 * carry the key too (OData, opt-in).
 */
export function guard(queryParam: (c: Context<GatewayEnv>) => string | null = () => null): MiddlewareHandler<GatewayEnv> {
  return async (c, next) => {
    startTime(c, 'auth');
    c.set('audited', true);
    const { auth, catalog } = c.get('state');
    let key = presentedKey(c);
    if (key === null) {
      const param = queryParam(c);
      if (param !== null) key = c.req.query(param) ?? null;
    }
    if (key === null) {
      // A header we could not read is the likelier mistake than no credentials at all: say so.
      const why = authorizationProblem(c.req.header('authorization'));
      if (why !== null) throw unauthorized(why);
    }
    // The file's keys and cached store keys answer at once; tokens and store lookups wait.
    const { principal: found, subject } = auth.authenticateNow(key) ?? await auth.authenticate(key);
    const acting = c.req.header('x-tenant-id');
    const principal = acting === undefined ? found : actAs(found, acting, 'X-Tenant-Id');
    c.set('principal', principal);
    const limit = await c.get('gateway').limits.consume(catalog, subject);
    if (limit) setHeaders(c, rateLimitHeaders(limit));
    endTime(c, 'auth');
    await next();
  };
}

export function requireAdmin(c: Context<GatewayEnv>): void {
  if (!c.get('principal')?.isAdmin) throw forbidden('admin_only', 'This endpoint is for admin keys.');
}
