import { serve, type ServerType } from '@hono/node-server';
import { createApp } from './http/app.ts';
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
  const server: ServerType = await new Promise((resolve) => {
    const s = serve({ fetch: app.fetch, port: opts.port ?? 8080, hostname: host }, () => resolve(s));
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
