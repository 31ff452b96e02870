import { Hono, type Context } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import { GatewayError } from './errors.ts';
import type { Gateway } from './service/gateway.ts';
import { guard } from './web/guard.ts';
import { metricsAccess } from './web/metrics-access.ts';
import type { GatewayEnv } from './web/env.ts';
import { openApiHandler } from './openapi/openapi.ts';
import { corsFromEnv } from './web/cors.ts';
import { frame } from './web/frame.ts';
import { problemFor } from './web/body.ts';
import { restRoutes } from './http/rest.ts';
import { asGatewayError, isODataPath, odataError } from './odata/errors.ts';
import { odataRoutes } from './odata/routes.ts';
import { portalRoutes } from './portal/routes.ts';

export const MAX_BODY_BYTES = 1024 * 1024;

/** The hono app: one straight road of middleware, then the routes. */
export function createApp(gateway: Gateway): Hono<GatewayEnv> {
  const app = new Hono<GatewayEnv>();
  // Request id, the state the request keeps, timings, headers, then log/usage/metrics/audit.
  app.use(frame(gateway));
  // Off by default; SEMGATE_CORS_ORIGINS turns it on for the origins it lists.
  const allowCors = corsFromEnv();
  if (allowCors) app.use(allowCors);
  const tooLarge = (c: Context<GatewayEnv>): Response => {
    const res = problemFor(c, new GatewayError('http.payload_too_large', 413, 'The request body is over 1 MiB.'));
    // The unread body is still on the socket and the server drops it shortly after: say
    // so, or the client's next request on this keep-alive connection is cut off.
    res.headers.set('Connection', 'close');
    return res;
  };
  const limitBody = bodyLimit({ maxSize: MAX_BODY_BYTES, onError: tooLarge });
  // hono's bodyLimit asks for `c.req.raw.body`, which makes @hono/node-server build a full
  // undici Request (abort signal, web stream) on every request, GETs included: that was the
  // largest cost of a cache hit. The same decisions, from the method and headers alone; only
  // a body without Content-Length (chunked) still goes through bodyLimit to be counted.
  app.use(async (c, next) => {
    const method = c.req.method;
    if (method === 'GET' || method === 'HEAD') return next(); // node-server gives these no body
    const length = c.req.header('content-length');
    if (length !== undefined && c.req.header('transfer-encoding') === undefined) {
      return parseInt(length, 10) > MAX_BODY_BYTES ? tooLarge(c) : next();
    }
    return limitBody(c, next);
  });

  app.get('/health', (c) => c.json({ status: 'ok' }));
  // Tenant ids and source names are in the labels: the scraper's SEMGATE_METRICS_TOKEN or an admin key.
  app.get('/metrics', metricsAccess(), async (c) => c.body(await gateway.metrics.registry.metrics(), 200, { 'Content-Type': gateway.metrics.registry.contentType }));
  app.get('/openapi.json', guard(), openApiHandler());
  app.route('/', restRoutes());
  app.route('/', odataRoutes());
  app.route('/', portalRoutes());

  app.notFound((c) => problemFor(c, new GatewayError('http.not_found', 404, `No endpoint ${c.req.method} ${c.req.path}.`)));
  // The one place errors become answers: logged when they are ours (not a caller's 4xx),
  // then problem+json, or OData's error JSON under /odata.
  app.onError((thrown, c) => {
    const err = asGatewayError(thrown);
    if (!(err instanceof GatewayError) || err.status >= 500) {
      gateway.logger.error({ req_id: c.get('requestId'), err }, 'request failed');
    }
    return isODataPath(c.req.path) ? odataError(c, err) : problemFor(c, err);
  });
  return app;
}
