import { createHash, timingSafeEqual } from 'node:crypto';
import type { MiddlewareHandler } from 'hono';
import type { GatewayEnv } from './env.ts';
import { guard, presentedKey, requireAdmin } from './guard.ts';

const digest = (text: string): Buffer => createHash('sha256').update(text).digest();

/**
 * Who may read /metrics (its labels carry tenant ids and source names): a scraper with
 * `Authorization: Bearer $SEMGATE_METRICS_TOKEN` (compared in constant time; read per
 * request, so a restart is not needed to rotate it in tests), or an admin key. Anyone else
 * gets the 401/403 every keyed endpoint gives.
 */
export function metricsAccess(): MiddlewareHandler<GatewayEnv> {
  const asAdmin = guard();
  return async (c, next) => {
    const token = process.env.SEMGATE_METRICS_TOKEN;
    const presented = presentedKey(c);
    if (token && presented !== null && timingSafeEqual(digest(presented), digest(token))) return next();
    return asAdmin(c, async () => {
      requireAdmin(c);
      await next();
    });
  };
}
