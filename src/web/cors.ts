import type { MiddlewareHandler } from 'hono';
import { cors } from 'hono/cors';
import type { GatewayEnv } from './env.ts';

/** Request headers a browser app may send: the key's three ways, the tenant, tracing, no-cache. */
const ALLOW_HEADERS = ['Authorization', 'X-API-Key', 'X-Tenant-Id', 'X-Request-Id', 'Content-Type', 'Accept', 'Cache-Control', 'OData-Version', 'OData-MaxVersion'];
/** Answer headers a browser app may read. */
const EXPOSE_HEADERS = ['X-Request-Id', 'X-Cache', 'X-Row-Count', 'X-Truncated', 'RateLimit-Limit', 'RateLimit-Remaining', 'RateLimit-Reset', 'Retry-After', 'Server-Timing', 'OData-Version'];

/**
 * Cross-origin access for browser apps: off unless SEMGATE_CORS_ORIGINS lists the origins
 * allowed (comma-separated, exact, e.g. `https://app.example.com`; `*` for any). No
 * credentials mode: keys travel in headers, never cookies. Null when off (no middleware).
 */
export function corsFromEnv(env: NodeJS.ProcessEnv = process.env): MiddlewareHandler<GatewayEnv> | null {
  const list = (env.SEMGATE_CORS_ORIGINS ?? '').split(',').map((s) => s.trim()).filter(Boolean);
  if (list.length === 0) return null;
  return cors({
    origin: list.includes('*') ? '*' : list,
    allowMethods: ['GET', 'HEAD', 'POST', 'DELETE', 'OPTIONS'],
    allowHeaders: ALLOW_HEADERS,
    exposeHeaders: EXPOSE_HEADERS,
    maxAge: 600,
  });
}
