import { createServer } from 'node:http';
import { getRequestListener } from '@hono/node-server';
import { createApp } from './app.ts';
import { requestUuid } from './web/request-uuid.ts';
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
  close(): Promise<void>;
}

export async function startServer(opts: { configDir: string; port?: number; host?: string; gateway?: Gateway }): Promise<RunningServer> {
  const gateway = opts.gateway ?? (await Gateway.load(opts.configDir));
  await gateway.start();
  const app = createApp(gateway);
  const host = opts.host ?? '0.0.0.0';
  // @hono/node-server's own refusals (a backslash in the path, a bad Host or header value)
  // become problem+json like every other error.
  const listener = getRequestListener(app.fetch, {
    hostname: host,
    errorHandler: (err: unknown) => problemResponse(
      new GatewayError('http.malformed_request', 400, 'The request could not be read (its path, Host or a header value is malformed).', { cause: err }),
      requestUuid(),
    ),
  });
  const server = createServer(listener);
  await new Promise<void>((resolve) => server.listen(opts.port ?? 8080, host, resolve));
  // Requests Node refuses before the app sees them (bad header bytes, headers over 16 KiB)
  // still get a problem+json answer, as every error must.
  server.on('clientError', (err: NodeJS.ErrnoException, socket: import('node:net').Socket) => {
    if (!socket.writable) return socket.destroy();
    const status = err.code === 'HPE_HEADER_OVERFLOW' ? 431 : 400;
    const id = requestUuid();
    const body = JSON.stringify(toProblem(status === 431
      ? new GatewayError('http.headers_too_large', 431, 'The request headers are over 16 KiB.')
      : new GatewayError('http.malformed_request', 400, 'The request is not valid HTTP.'), id).problem);
    socket.end(`HTTP/1.1 ${status} ${status === 431 ? 'Request Header Fields Too Large' : 'Bad Request'}\r\nContent-Type: application/problem+json\r\nContent-Length: ${Buffer.byteLength(body)}\r\nX-Request-Id: ${id}\r\nConnection: close\r\n\r\n${body}`);
  });
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : (opts.port ?? 8080);
  return {
    gateway,
    port,
    url: `http://${host === '0.0.0.0' ? 'localhost' : host}:${port}`,
    close: async () => {
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await gateway.close();
    },
  };
}
