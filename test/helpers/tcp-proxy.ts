/**
 * A TCP proxy the test can cut and restore: "the database is down" without stopping the
 * shared server other suites use. `stall()` is the nastier fault: connections stay open
 * (and new ones are accepted) but no byte goes through, as behind a dead network path.
 */
import net from 'node:net';

export class TcpProxy {
  private server: net.Server | null = null;
  private readonly sockets = new Set<net.Socket>();
  private stalled = false;
  port = 0;
  constructor(private readonly targetHost: string, private readonly targetPort: number) {}

  async start(): Promise<void> {
    this.stalled = false;
    this.server = net.createServer((client) => {
      this.sockets.add(client);
      client.on('close', () => this.sockets.delete(client));
      if (this.stalled) {
        // Accepted, never answered: a blackhole.
        client.on('error', () => undefined);
        client.pause();
        return;
      }
      const upstream = net.connect(this.targetPort, this.targetHost);
      this.sockets.add(upstream);
      upstream.on('close', () => this.sockets.delete(upstream));
      for (const s of [client, upstream]) s.on('error', () => { client.destroy(); upstream.destroy(); });
      const forward = (from: net.Socket, to: net.Socket): void => {
        from.on('data', (chunk: Buffer) => {
          if (!this.stalled && !to.destroyed) to.write(chunk);
        });
        from.on('end', () => to.end());
      };
      forward(client, upstream);
      forward(upstream, client);
    });
    await new Promise<void>((resolve) => this.server!.listen(this.port, '127.0.0.1', resolve));
    this.port = (this.server.address() as net.AddressInfo).port;
  }

  /** Refuses new connections and cuts the open ones. */
  async stop(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
    this.server = null;
  }

  /** Keeps every connection open but lets no byte through, and answers new ones with silence. */
  stall(): void {
    this.stalled = true;
  }

  /** Ends a stall: open connections are cut (their protocol state is lost), new ones work. */
  unstall(): void {
    this.stalled = false;
    for (const s of this.sockets) s.destroy();
  }
}
