import { Hono, type Context } from 'hono';
import { GatewayError } from '../errors.ts';
import type { GatewayEnv } from '../web/env.ts';
import { respond } from '../web/frame.ts';
import { problemFor } from '../web/body.ts';
import { loadPortalFiles, type Asset, type PortalFiles } from './assets.ts';

/**
 * Only this gateway's own files run, style and connect; no inline script or style, no
 * framing, no form posts, no <base>. `img-src data:` is for the blank favicon.
 */
export const PORTAL_CSP = [
  "default-src 'none'", "script-src 'self'", "style-src 'self'", "img-src 'self' data:", "connect-src 'self'",
  "base-uri 'none'", "form-action 'none'", "frame-ancestors 'none'",
].join('; ');

const SECURITY_HEADERS: Readonly<Record<string, string>> = {
  'Content-Security-Policy': PORTAL_CSP,
  'X-Content-Type-Options': 'nosniff',
  'Referrer-Policy': 'no-referrer',
  'X-Frame-Options': 'DENY',
  'Cross-Origin-Opener-Policy': 'same-origin',
  'Cross-Origin-Resource-Policy': 'same-origin',
};

// One read (and, where the install did not, one build) per process, shared by every app.
let loading: Promise<PortalFiles> | null = null;
function files(): Promise<PortalFiles> {
  loading ??= loadPortalFiles().catch((e: unknown) => {
    loading = null; // the next request tries again
    throw e;
  });
  return loading;
}

/** Gzipped when the client takes it; the page says `no-cache`, hashed assets are immutable. */
function send(c: Context<GatewayEnv>, a: Asset, cacheControl: string): Response {
  const gzip = /\bgzip\b/.test(c.req.header('accept-encoding') ?? '');
  return respond(c, gzip ? a.gzip : a.body, 200, a.type, {
    ...SECURITY_HEADERS,
    'Cache-Control': cacheControl,
    Vary: 'Accept-Encoding',
    ...(gzip && { 'Content-Encoding': 'gzip' }),
  });
}

async function loaded(c: Context<GatewayEnv>): Promise<PortalFiles | Response> {
  try {
    return await files();
  } catch (e) {
    c.get('gateway').logger.error({ req_id: c.get('requestId'), err: e }, 'the portal could not be built');
    return problemFor(c, new GatewayError('http.portal_unavailable', 503,
      'The portal page is not built on this server: run `npm run build:portal` (or `npm ci`) and restart.'));
  }
}

/**
 * `GET /portal` (and `/portal/`): the customer portal's page, and its hashed assets under
 * `/portal/assets/`. No key: the page asks for one and sends it only to the API.
 */
export function portalRoutes(): Hono<GatewayEnv> {
  const app = new Hono<GatewayEnv>();
  const page = async (c: Context<GatewayEnv>, which: 'slash' | 'bare'): Promise<Response> => {
    const f = await loaded(c);
    return f instanceof Response ? f : send(c, f.page[which], 'no-cache');
  };
  app.get('/portal', (c) => page(c, 'bare'));
  app.get('/portal/', (c) => page(c, 'slash'));
  app.get('/portal/assets/:file', async (c) => {
    const f = await loaded(c);
    if (f instanceof Response) return f;
    const a = f.assets.get(c.req.param('file'));
    if (a === undefined) throw new GatewayError('http.not_found', 404, `No endpoint ${c.req.method} ${c.req.path}.`);
    return send(c, a, 'public, max-age=31536000, immutable');
  });
  return app;
}
