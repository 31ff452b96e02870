import type { KeyIndex } from '../auth/keys.ts';
import { watch } from 'node:fs';
import { configToServe, serverLimitsFromEnv, startServer } from '../server.ts';
import { Gateway } from '../service/gateway.ts';
import { checkLive } from '../service/live-check.ts';

const CONFIG_FILE_NAMES = new Set(['catalog.yaml', 'sources.yaml', 'api-keys.yaml']);

/** The demo's keys, printed only when the loaded api-keys.yaml really accepts them. */
const DEMO_KEYS = [
  { key: 'sk_demo_acme', who: 'acme_corp analyst' },
  { key: 'sk_demo_globex', who: 'globex_inc analyst' },
  { key: 'sk_demo_initech', who: 'initech viewer' },
  { key: 'sk_demo_admin', who: 'admin, every tenant' },
];

function banner(url: string, keys: KeyIndex): string {
  const demo = DEMO_KEYS.filter((k) => keys.find(k.key) !== null);
  const lines = [`semgate is listening on ${url}`];
  if (demo.length > 0) {
    lines.push('', 'Demo keys:');
    for (const k of demo) lines.push(`  ${k.key.padEnd(18)} ${k.who}`);
    lines.push('', 'Try:',
      `  curl -s ${url}/v1/query -H 'Authorization: Bearer ${demo[0]!.key}' -H 'Content-Type: application/json' \\`,
      `    -d '{"dataset":"orders","dimensions":["region"],"metrics":["revenue","order_count"]}'`,
      `  curl -s ${url}/v1/datasets -H 'Authorization: Bearer ${demo[0]!.key}'`);
  }
  return lines.join('\n');
}

/** Reloads when one of the three files changes (editors replace files, so the directory is watched). */
function watchConfig(dir: string, reload: () => void): void {
  let timer: NodeJS.Timeout | undefined;
  watch(dir, (_event, file) => {
    if (file !== null && !CONFIG_FILE_NAMES.has(String(file))) return;
    clearTimeout(timer);
    timer = setTimeout(reload, 300);
  }).unref();
}

export interface ServeOptions {
  readonly watch?: boolean;
  /** Refuse to start when the live check finds anything. */
  readonly strict?: boolean;
  /** Tenants the live check tries for templated datasets (default: all). */
  readonly sample?: number;
}

/**
 * The catalog against the databases (what `validate --connect` prints), on the gateway's
 * own pools so they start warm: each finding is a warning in the log. With `strict` it
 * runs before listening and any finding stops the start; without, it runs once listening.
 */
async function checkAtStart(gateway: Gateway, opts: ServeOptions): Promise<boolean> {
  const { catalog, registry } = gateway.state;
  const { issues, statements } = await checkLive(catalog, { registry, ...(opts.sample !== undefined && { sample: opts.sample }) });
  for (const i of issues) gateway.logger.warn({ file: i.file, line: i.line, column: i.column, field: i.field, check: 'connect' }, i.message);
  if (issues.length === 0) gateway.logger.info({ statements }, 'catalog checked against the databases: no findings');
  else if (opts.strict) gateway.logger.error({ findings: issues.length }, 'refusing to start (--strict): the catalog does not match the databases; `semgate validate --connect` lists the findings');
  else gateway.logger.warn({ findings: issues.length }, 'the catalog does not match the databases: `semgate validate --connect` lists the findings');
  return issues.length === 0 || !opts.strict;
}

export async function serveCommand(given: string, port: number, host: string | undefined, opts: ServeOptions = {}): Promise<void> {
  // A missing or unreadable configuration, a busy port: one line on stderr, exit code 2 (main.ts).
  const limits = serverLimitsFromEnv();
  const configDir = await configToServe(given);
  const gateway = await Gateway.load(configDir);
  if (opts.strict && !(await checkAtStart(gateway, opts))) {
    await gateway.close();
    process.exit(1);
  }
  const server = await startServer({ configDir, port, gateway, limits, ...(host !== undefined && { host }) });
  process.stdout.write(`${banner(server.url, server.gateway.state.keys)}\n`);
  if (!opts.strict) void checkAtStart(gateway, opts).catch((err: Error) => gateway.logger.warn({ err: err.message }, 'the check against the databases failed'));
  // A bad file is refused and logged by reload(); the old configuration keeps serving.
  const reload = (): void => void server.gateway.reload();
  process.on('SIGHUP', reload);
  if (opts.watch) watchConfig(configDir, reload);
  let closing = false;
  const stop = (signal: string): void => {
    if (closing) return;
    closing = true;
    // /ready turns 503 at once; requests in flight finish (bounded), audit flushed, pools closed.
    server.gateway.logger.info({ signal, drain_ms: limits.drainTimeoutMs }, 'shutting down: draining');
    server.drain(limits.drainTimeoutMs).then(() => process.exit(0), (err: unknown) => {
      process.stderr.write(`error: shutdown failed: ${(err as Error).message}\n`);
      process.exit(1);
    });
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
  await new Promise<never>(() => {});
}
