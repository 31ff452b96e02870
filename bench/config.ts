/**
 * The demo catalog and data with one bench key, in a temp dir: `full` has a rate limit so
 * high it never refuses but is consumed on every request; `lean` has none (the limiter is
 * skipped). Benches use it so the demo keys' 600/minute default never answers 429.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Principal } from '../src/query/types.ts';

export const BENCH_KEY = 'sk_bench_acme';
export const root = new URL('..', import.meta.url).pathname;

export function benchConfigDir(kind: 'full' | 'lean'): string {
  const dir = mkdtempSync(join(tmpdir(), `sg-bench-${kind}-`));
  writeFileSync(join(dir, 'catalog.yaml'), readFileSync(join(root, 'catalog.yaml')));
  // init_sql is relative to the config dir: point it back at the repo's demo data.
  const sources = readFileSync(join(root, 'sources.yaml'), 'utf8').replace(/init_sql:\s*\S+/, `init_sql: ${join(root, 'examples/demo/init.sql')}`);
  writeFileSync(join(dir, 'sources.yaml'), sources);
  writeFileSync(join(dir, 'api-keys.yaml'), [
    'api_keys:', `  - key: "${BENCH_KEY}"`, '    tenant: acme_corp', '    role: analyst',
    ...(kind === 'full' ? ['    rate_limit: "100000000/hour"'] : []), '',
  ].join('\n'));
  return dir;
}

/** The demo's analyst of acme_corp, as the benches plan queries in process. */
export const BENCH_PRINCIPAL: Principal = { keyId: 'bench', tenant: 'acme_corp', role: 'analyst', isAdmin: false, allowedDatasets: null };

/**
 * A server child on its own event loop, straight node (tsx as a loader) so the pid is the
 * server itself. Its stdout (the serve banner, stdout audit lines) goes to /dev/null.
 * REDIS_URL is passed on only with `redis: true`: a bench says when it measures Redis.
 */
export function startChild(args: string[], env: Record<string, string>, opts: { redis?: boolean } = {}): ChildProcess {
  const base: NodeJS.ProcessEnv = { ...process.env, LOG_LEVEL: 'silent' };
  if (!opts.redis) delete base.REDIS_URL;
  return spawn(process.execPath, args, { cwd: root, env: { ...base, ...env }, stdio: ['ignore', 'ignore', 'inherit'] });
}

/** Readiness is the first good answer from `url` (within 60 s). */
export async function ready(child: ChildProcess, url: string): Promise<void> {
  const deadline = Date.now() + 60_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`${url}: server exited with ${child.exitCode}`);
    if (await fetch(url).then((r) => r.ok, () => false)) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`${url}: not ready after 60 s`);
}

/** A markdown table on stdout. */
export function printTable(header: string[], rows: string[][]): void {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (r: string[]): string => `| ${r.map((c, i) => c.padEnd(widths[i]!)).join(' | ')} |`;
  console.log(line(header));
  console.log(`|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`);
  for (const r of rows) console.log(line(r));
}
