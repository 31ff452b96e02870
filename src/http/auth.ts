import type { Context, MiddlewareHandler } from 'hono';
import { endTime, startTime } from 'hono/timing';
import { principalForKey } from '../auth/keys.ts';
import { TENANT_ID_PATTERN } from '../catalog/types.ts';
import { GatewayError, forbidden } from '../errors.ts';
import type { GatewayEnv } from './env.ts';

/**
 * The key from `Authorization: Bearer`, `X-API-Key`, or HTTP Basic with the key as the
 * password (any user name: how Power BI, Excel and Tableau send a secret).
 */
export function presentedKey(c: Context): string | null {
  const header = c.req.header('authorization');
  if (header) {
    const space = header.indexOf(' ');
    const scheme = (space < 0 ? header : header.slice(0, space)).toLowerCase();
    const value = space < 0 ? '' : header.slice(space + 1).trim();
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
 * Key -> Principal in `c.get('principal')`; admins may act as one tenant with X-Tenant-Id.
 * `queryParam` names a query parameter that may carry the key too (OData, opt-in).
 */
export function authenticate(queryParam: (c: Context<GatewayEnv>) => string | null = () => null): MiddlewareHandler<GatewayEnv> {
  return async (c, next) => {
    startTime(c, 'auth');
    c.set('audited', true);
    const param = queryParam(c);
    const key = presentedKey(c) ?? (param === null ? null : c.req.query(param) ?? null);
    let principal = principalForKey(c.get('state').keys, key);
    const acting = c.req.header('x-tenant-id');
    if (acting !== undefined) {
      if (!principal.isAdmin) throw forbidden('tenant_override', 'Only admin keys may send X-Tenant-Id.', { field: 'X-Tenant-Id' });
      if (!TENANT_ID_PATTERN.test(acting)) {
        throw new GatewayError('query.invalid_tenant', 400, 'X-Tenant-Id must match ^[A-Za-z0-9_-]{1,64}$.', { field: 'X-Tenant-Id' });
      }
      principal = Object.freeze({ ...principal, tenant: acting });
    }
    c.set('principal', principal);
    endTime(c, 'auth');
    await next();
  };
}

export function requireAdmin(c: Context<GatewayEnv>): void {
  if (!c.get('principal')?.isAdmin) throw forbidden('admin_only', 'This endpoint is for admin keys.');
}
