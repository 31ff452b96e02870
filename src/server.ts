import { constants, existsSync } from 'node:fs';
import { access } from 'node:fs/promises';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { userInfo } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { getRequestListener } from '@hono/node-server';
import { createApp } from './app.ts';
import { requestUuid } from './web/request-uuid.ts';
import { streamStallMs } from './web/stream-body.ts';
import { envMs } from './timing.ts';
import { problemResponse, toProblem } from './web/problem.ts';
import { GatewayError } from './errors.ts';
import { Gateway } from './service/gateway.ts';

/**
 * Wires every stage together; the only file that knows all of them.
 */
export interface RunningServer {
  readonly gateway: Gateway;
  readonly port: number;
  readonly url: string;
  /**
   * Graceful stop (SIGTERM): `/ready` answers 503 at once, no new connection is accepted,
   * requests in flight finish (cut after `timeoutMs`), then the gateway closes (audit
   * flushed, pools closed). Resolves with the requests that had to be cut.
   */
  drain(timeoutMs?: number, delayMs?: number): Promise<number>;
  close(): Promise<void>;
}

/** Limits against slow clients and of the graceful stop; each from the environment. */
export interface ServerLimits {
  /** Time to receive a request's headers (slowloris): SEMGATE_HEADERS_TIMEOUT_MS, default 10 s. */
  readonly headersTimeoutMs: number;
  /** Time to receive a whole request, body included: SEMGATE_REQUEST_TIMEOUT_MS, default 30 s. */
  readonly requestTimeoutMs: number;
  /** An idle keep-alive connection is closed after: SEMGATE_KEEPALIVE_TIMEOUT_MS, default 65 s (above a balancer's 60 s). */
  readonly keepAliveTimeoutMs: number;
  /** How long SIGTERM waits for requests in flight: SEMGATE_DRAIN_TIMEOUT_MS, default 20 s. */
  readonly drainTimeoutMs: number;
  /** How long SIGTERM keeps accepting (while /ready says 503) at least: SEMGATE_DRAIN_DELAY_MS, default 0. */
  readonly drainDelayMs: number;
  /** How long a streamed answer waits for its client to read on: SEMGATE_STREAM_STALL_MS, default 60 s (read by each stream; checked here at start). */
  readonly streamStallMs: number;
}

export function serverLimitsFromEnv(env: NodeJS.ProcessEnv = process.env): ServerLimits {
  return {
    headersTimeoutMs: envMs(env, 'SEMGATE_HEADERS_TIMEOUT_MS', 10_000),
    requestTimeoutMs: envMs(env, 'SEMGATE_REQUEST_TIMEOUT_MS', 30_000),
    keepAliveTimeoutMs: envMs(env, 'SEMGATE_KEEPALIVE_TIMEOUT_MS', 65_000),
    drainTimeoutMs: envMs(env, 'SEMGATE_DRAIN_TIMEOUT_MS', 20_000),
    drainDelayMs: envMs(env, 'SEMGATE_DRAIN_DELAY_MS', 0),
    streamStallMs: streamStallMs(env),
  };
}

/** A listen failure (busy port, no permission) as one line that says what to do. */
export class ListenError extends Error {
  constructor(readonly code: string | undefined, port: number, host: string) {
    super(code === 'EADDRINUSE'
      ? `port ${port} on ${host} is already in use: stop what listens there or choose another port (--port or $PORT)`
      : code === 'EACCES'
        ? `no permission to listen on port ${port} on ${host}: choose a port above 1023 (--port or $PORT)`
        : `cannot listen on ${host}:${port} (${code ?? 'unknown error'})`);
  }
}

const DRAINING_BODY = (id: string): string => JSON.stringify(toProblem(
  new GatewayError('http.draining', 503, 'This replica is shutting down: send new requests to another one.'), id).problem);

export async function startServer(opts: { configDir: string; port?: number; host?: string; gateway?: Gateway; limits?: ServerLimits }): Promise<RunningServer> {
  const limits = opts.limits ?? serverLimitsFromEnv();
  const gateway = opts.gateway ?? (await Gateway.load(opts.configDir));
  await gateway.start();
  const app = createApp(gateway);
  const host = opts.host ?? '0.0.0.0';
  const port = opts.port ?? 8080;
  // @hono/node-server's own refusals (a backslash in the path, a bad Host or header value)
  // become problem+json like every other error.
  const listener = getRequestListener(app.fetch, {
    hostname: host,
    errorHandler: (err: unknown) => problemResponse(
      new GatewayError('http.malformed_request', 400, 'The request could not be read (its path, Host or a header value is malformed).', { cause: err }),
      requestUuid(),
    ),
  });
  // Answers in flight (until written or the client is gone), for the drain.
  const inFlight = new Set<ServerResponse>();
  let draining = false;
  let changed: (() => void) | null = null;
  // Node checks the header and request timeouts on this interval (default 30 s): often
  // enough that a slow client is cut near its deadline, not up to 30 s after it.
  const checkEvery = Math.max(250, Math.min(1000, Math.floor(Math.min(limits.headersTimeoutMs, limits.requestTimeoutMs) / 4) || 1000));
  const server = createServer({ connectionsCheckingInterval: checkEvery }, (req: IncomingMessage, res: ServerResponse) => {
    if (draining) {
      // A balancer stops sending here when /ready fails; keep-alive connections are let go.
      res.shouldKeepAlive = false;
      if (req.url === '/ready' || req.url?.startsWith('/ready?')) {
        const id = requestUuid();
        const body = DRAINING_BODY(id);
        res.writeHead(503, { 'Content-Type': 'application/problem+json', 'Retry-After': '1', 'X-Request-Id': id, 'Content-Length': Buffer.byteLength(body) });
        res.end(body);
        return;
      }
    }
    inFlight.add(res);
    res.once('close', () => {
      inFlight.delete(res);
      changed?.();
    });
    void listener(req, res);
  });
  server.headersTimeout = limits.headersTimeoutMs;
  server.requestTimeout = limits.requestTimeoutMs;
  server.keepAliveTimeout = limits.keepAliveTimeoutMs;
  try {
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, host, () => {
        server.off('error', reject);
        resolve();
      });
    });
  } catch (err) {
    await gateway.close().catch(() => undefined);
    throw new ListenError((err as NodeJS.ErrnoException).code, port, host);
  }
  // Requests Node refuses before the app sees them (bad header bytes, headers over 16 KiB,
  // a client too slow to send its headers or body) still get a problem+json answer.
  server.on('clientError', (err: NodeJS.ErrnoException, socket: import('node:net').Socket) => {
    if (!socket.writable) return socket.destroy();
    const timeout = err.code === 'ERR_HTTP_REQUEST_TIMEOUT';
    const status = err.code === 'HPE_HEADER_OVERFLOW' ? 431 : timeout ? 408 : 400;
    const id = requestUuid();
    const body = JSON.stringify(toProblem(status === 431
      ? new GatewayError('http.headers_too_large', 431, 'The request headers are over 16 KiB.')
      : timeout
        ? new GatewayError('http.request_timeout', 408, 'The request was not received in time.')
        : new GatewayError('http.malformed_request', 400, 'The request is not valid HTTP.'), id).problem);
    const reason = status === 431 ? 'Request Header Fields Too Large' : timeout ? 'Request Timeout' : 'Bad Request';
    socket.end(`HTTP/1.1 ${status} ${reason}\r\nContent-Type: application/problem+json\r\nContent-Length: ${Buffer.byteLength(body)}\r\nX-Request-Id: ${id}\r\nConnection: close\r\n\r\n${body}`);
  });
  const address = server.address();
  const bound = typeof address === 'object' && address ? address.port : port;
  const closed = new Promise<void>((resolve) => server.once('close', () => resolve()));
  let stopping: Promise<number> | null = null;
  /** Resolves when `done()` holds, checked after every answer, or at `deadline`; true if in time. */
  const until = async (done: () => boolean, deadline: number): Promise<boolean> => {
    while (!done()) {
      const left = deadline - Date.now();
      if (left <= 0) return false;
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, Math.min(left, 100));
        changed = () => {
          clearTimeout(timer);
          resolve();
        };
      });
      changed = null;
    }
    return true;
  };
  /**
   * 1. /ready answers 503 from now on (before its key is checked: probes send none).
   * 2. The listener stays open while the answers in flight at the signal are still running,
   *    and for at least `delayMs` (SEMGATE_DRAIN_DELAY_MS: time for a balancer or Kubernetes
   *    to see /ready fail); requests arriving then are served, with `Connection: close`.
   * 3. The listener closes (a balancer's next connection is refused and goes elsewhere), idle
   *    keep-alive connections are closed, and every request still running is awaited.
   * 4. At `timeoutMs` after the signal whatever still runs is cut; then the gateway closes:
   *    audit flushed, pools and Redis closed.
   */
  const drain = (timeoutMs = limits.drainTimeoutMs, delayMs = limits.drainDelayMs): Promise<number> => (stopping ??= (async () => {
    const deadline = Date.now() + timeoutMs;
    draining = true;
    const atSignal = new Set(inFlight);
    const announced = Date.now() + Math.min(delayMs, timeoutMs);
    await until(() => [...atSignal].every((r) => !inFlight.has(r)) && Date.now() >= announced, Math.max(announced, deadline));
    server.close();
    server.closeIdleConnections();
    const cut = (await until(() => inFlight.size === 0, deadline)) ? 0 : inFlight.size;
    if (cut > 0) gateway.logger.warn({ cut, drain_ms: timeoutMs }, 'drain timeout: cutting the requests still running');
    server.closeAllConnections();
    await closed;
    await gateway.close();
    return cut;
  })());
  return {
    gateway,
    port: bound,
    url: `http://${host === '0.0.0.0' ? 'localhost' : host}:${bound}`,
    drain,
    close: async () => {
      await drain();
    },
  };
}

/** The folder holding package.json: where the demo's files are (`npm start`, the image's /app). */
function packageRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(dir, 'package.json')) && dirname(dir) !== dir) dir = dirname(dir);
  return dir;
}

/**
 * The configuration `serve` uses: `dir` when it holds one; the demo shipped with the
 * package when SEMGATE_DEMO=1 (its keys, sk_demo_admin included, are public); otherwise
 * a one-line refusal naming what to put where. Only `serve` asks: `validate` reports
 * missing files in detail.
 */
export async function configToServe(dir: string, env: NodeJS.ProcessEnv = process.env): Promise<string> {
  if (env.SEMGATE_DEMO === '1') return packageRoot();
  for (const file of ['catalog.yaml', 'sources.yaml']) {
    try {
      await access(join(dir, file), constants.R_OK);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      throw new Error(code === 'ENOENT'
        ? `no configuration in ${dir} (${file} is missing): mount or copy a directory with catalog.yaml, sources.yaml and api-keys.yaml there (or point --config / $SEMGATE_CONFIG_DIR at one), or set SEMGATE_DEMO=1 to serve the demo`
        : `cannot read ${join(dir, file)} (${code ?? (err as Error).message}): make it readable by user ${userInfo().username} (uid ${process.getuid?.() ?? '?'})`);
    }
  }
  return dir;
}
