/**
 * The baseline of bench/gateway.ts: one hono route on @hono/node-server, nothing else,
 * answering what the gateway's /health answers. Run as its own process so it gets a core
 * of its own, exactly like the gateway child.   node --import tsx bench/bare-server.ts PORT
 */
import { serve } from '@hono/node-server';
import { Hono } from 'hono';

const port = Number(process.argv[2] ?? 18999);
const app = new Hono();
app.get('/bare', (c) => c.json({ status: 'ok' }));
serve({ fetch: app.fetch, port, hostname: '127.0.0.1' });
