/**
 * The floor of bench/gateway.ts: the bare route of bare-server.ts with the least that auth,
 * a rate limit and an audit line can be on this stack (a SHA-256 map lookup, one
 * rate-limiter-flexible memory consume with its RateLimit-* headers, one JSON line queued
 * and written in batches to stdout). Not the product: what any implementation must spend.
 *   node --import tsx bench/floor-server.ts PORT
 */
import { hash } from 'node:crypto';
import { serve, type HttpBindings } from '@hono/node-server';
import { Hono } from 'hono';
import { RateLimiterMemory } from 'rate-limiter-flexible';

const port = Number(process.argv[2] ?? 18998);
const keys = new Map([[hash('sha256', process.env.FLOOR_KEY ?? 'sk_bench_acme', 'hex'), { id: 'bench', tenant: 'acme_corp', role: 'analyst' }]]);
const limiter = new RateLimiterMemory({ points: 100_000_000, duration: 3600 });
let queue: string[] = [];
setInterval(() => {
  if (queue.length === 0) return;
  process.stdout.write(`${queue.join('\n')}\n`);
  queue = [];
}, 250).unref();

const app = new Hono();
app.get('/bare', (c) => c.json({ status: 'ok' }));
app.get('/floor', async (c) => {
  const started = performance.now();
  const auth = c.req.header('authorization') ?? '';
  const key = keys.get(hash('sha256', auth.slice(7), 'hex'));
  if (!key) return c.json({ status: 401 }, 401);
  const r = await limiter.consume(key.id);
  // Plain-object headers: @hono/node-server writes them without building a web Headers.
  const res = new Response('{"status":"ok"}', { headers: {
    'Content-Type': 'application/json',
    'RateLimit-Limit': '100000000', 'RateLimit-Remaining': String(r.remainingPoints), 'RateLimit-Reset': String(Math.ceil(r.msBeforeNext / 1000)),
  } });
  queue.push(JSON.stringify({
    ts: new Date().toISOString(), key_id: key.id, tenant: key.tenant, role: key.role, client_ip: (c.env as HttpBindings).incoming.socket.remoteAddress,
    action: 'GET /floor', status: 200, duration_ms: performance.now() - started,
  }));
  return res;
});
serve({ fetch: app.fetch, port, hostname: '127.0.0.1' });
process.on('SIGTERM', () => process.exit(0)); // so --cpu-prof writes its profile
