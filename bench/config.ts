/**
 * The demo catalog and data with one bench key, in a temp dir: `full` has a rate limit so
 * high it never refuses but is consumed on every request; `lean` has none (the limiter is
 * skipped). Benches use it so the demo keys' 600/minute default never answers 429.
 */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

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
