/**
 * Soak: N minutes of mixed load against a gateway in its own process (the demo catalog and
 * data, three tenants), then throughput, latency percentiles, errors on valid requests (the
 * target is 0) and the gateway's RSS at the start (after a warm-up) against the end (target:
 * under 10% growth).
 *
 *   npx tsx bench/soak.ts [--minutes 5] [--connections 8] [--warmup 180] [--cache-mb 16] [--redis]
 *
 * The result cache is bounded (SEMGATE_CACHE_MAX_MB, 256 MiB by default) and every miss
 * here is a new entry, so with the default bound RSS climbs until the cache is full, by
 * design. The soak runs with `--cache-mb` (16 by default), which the warm-up fills, so the
 * growth it measures is everything but the cache; it prints the cache's bytes at the start
 * and the end (`semgate_cache_bytes`) to show it was full.
 *
 * The warm-up is 3 minutes: at ~160 requests/s V8's heap grows to its working size (about
 * 270 MB reserved here) over the first two or three; from minute 1, a 5-minute run counted
 * that sizing as growth (12.8-18%, with the heap in use flat), from minute 3 it is 5%.
 *
 * The mix, per request: 45% cache hits (a fixed query per tenant and shape), 20% misses (a
 * filter value never asked before), 5% `Cache-Control: no-cache`, 10% OData pages, 5% CSV
 * exports of every order of the tenant (streamed: over 1 MiB), 15% requests that must fail
 * (unknown field 400, unknown key 401, another tenant 403): their status is checked too.
 */
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { benchConfigDir, printTable, ready, root, startChild } from './config.ts';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';

const { values } = parseArgs({
  options: {
    minutes: { type: 'string', default: '5' }, connections: { type: 'string', default: '8' },
    warmup: { type: 'string', default: '180' }, 'cache-mb': { type: 'string', default: '16' }, redis: { type: 'boolean', default: false }, port: { type: 'string', default: '18473' },
  },
});
const minutes = Number(values.minutes);
const connections = Number(values.connections);
const port = Number(values.port);

const TENANTS = [
  { tenant: 'acme_corp', key: 'sk_soak_acme' },
  { tenant: 'globex_inc', key: 'sk_soak_globex' },
  { tenant: 'initech', key: 'sk_soak_initech' },
] as const;

// The demo's catalog and data; keys of three tenants with limits that never refuse.
const dir = benchConfigDir('lean');
writeFileSync(join(dir, 'api-keys.yaml'), ['api_keys:', ...TENANTS.map((t) => `  - { key: "${t.key}", tenant: ${t.tenant}, role: analyst, rate_limit: "100000000/hour" }`), ''].join('\n'));

const METRICS_TOKEN = 'soak-metrics-token';
const child = startChild([join(root, 'bin/semgate.js'), 'serve', '--config', dir, '--port', String(port), '--host', '127.0.0.1'],
  { SEMGATE_AUDIT_SINK: 'stdout', SEMGATE_CACHE_MAX_MB: values['cache-mb'], SEMGATE_METRICS_TOKEN: METRICS_TOKEN }, { redis: values.redis });
const url = `http://127.0.0.1:${port}`;

/** The gateway's own gauges: the result cache's bytes, V8's heap in use and reserved, memory outside it (buffers). */
async function gauges(): Promise<{ cache: number; heap: number; heapTotal: number; external: number }> {
  const text = await fetch(`${url}/metrics`, { headers: { authorization: `Bearer ${METRICS_TOKEN}` } }).then((r) => r.text());
  const g = (name: string): number => Number(new RegExp(`^${name} (\\S+)$`, 'm').exec(text)?.[1] ?? NaN);
  return { cache: g('semgate_cache_bytes'), heap: g('semgate_nodejs_heap_size_used_bytes'), heapTotal: g('semgate_nodejs_heap_size_total_bytes'), external: g('semgate_nodejs_external_memory_bytes') };
}

function rssOf(pid: number): number {
  const m = /^VmRSS:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return Number(m?.[1] ?? NaN) * 1024;
}

type Kind = 'hit' | 'miss' | 'no-cache' | 'odata' | 'csv' | 'error';
interface Planned { kind: Kind; expect: number; run: () => Promise<Response> }

let unique = 0;
const HIT_SHAPES = [
  { dataset: 'orders', dimensions: ['region'], metrics: ['revenue', 'order_count'] },
  { dataset: 'orders', dimensions: ['channel', 'order_date.quarter'], metrics: ['revenue'] },
  { dataset: 'orders', dimensions: ['category'], metrics: ['units', 'avg_order_value'] },
  { dataset: 'customers', dimensions: ['segment'], metrics: ['customer_count'] },
];

function post(key: string, body: unknown, headers: Record<string, string> = {}): Promise<Response> {
  return fetch(`${url}/v1/query`, { method: 'POST', body: JSON.stringify(body), headers: { 'content-type': 'application/json', authorization: `Bearer ${key}`, ...headers } });
}

function plan(): Planned {
  const t = TENANTS[Math.floor(Math.random() * TENANTS.length)]!;
  const r = Math.random();
  if (r < 0.45) {
    const shape = HIT_SHAPES[Math.floor(Math.random() * HIT_SHAPES.length)]!;
    return { kind: 'hit', expect: 200, run: () => post(t.key, shape) };
  }
  if (r < 0.65) {
    const body = { dataset: 'orders', dimensions: ['region'], metrics: ['revenue'], filters: [{ field: 'order_id', op: 'gt', values: [unique++ % 1_000_000] }] };
    return { kind: 'miss', expect: 200, run: () => post(t.key, body) };
  }
  if (r < 0.70) return { kind: 'no-cache', expect: 200, run: () => post(t.key, HIT_SHAPES[0], { 'cache-control': 'no-cache' }) };
  if (r < 0.80) {
    return { kind: 'odata', expect: 200, run: () => fetch(`${url}/odata/orders?$select=region,channel,revenue&$orderby=revenue%20desc`, { headers: { authorization: `Bearer ${t.key}` } }) };
  }
  if (r < 0.85) {
    const body = { dataset: 'orders', dimensions: ['order_id', 'region', 'channel'], metrics: ['revenue'], limit: 50_000 };
    return { kind: 'csv', expect: 200, run: () => post(t.key, body, { accept: 'text/csv' }) };
  }
  const e = Math.floor(Math.random() * 3);
  if (e === 0) return { kind: 'error', expect: 400, run: () => post(t.key, { dataset: 'orders', metrics: ['revnue'] }) };
  if (e === 1) return { kind: 'error', expect: 401, run: () => post('sk_soak_nobody', HIT_SHAPES[0]) };
  return { kind: 'error', expect: 403, run: () => post(t.key, HIT_SHAPES[0], { 'x-tenant-id': 'globex_inc' }) };
}

interface Tally { n: number; wrong: number; lat: number[] }
const tally = new Map<Kind, Tally>();
const all: number[] = [];
let wrongValid = 0;
const wrongSamples: string[] = [];

async function worker(until: number, record: boolean): Promise<void> {
  while (Date.now() < until) {
    const p = plan();
    const started = performance.now();
    let status = 0;
    try {
      const res = await p.run();
      status = res.status;
      await res.arrayBuffer(); // the whole body, streamed ones included
    } catch (err) {
      status = -1;
      if (wrongSamples.length < 5) wrongSamples.push(`${p.kind}: ${(err as Error).message}`);
    }
    const ms = performance.now() - started;
    if (!record) continue;
    const t = tally.get(p.kind) ?? { n: 0, wrong: 0, lat: [] };
    tally.set(p.kind, t);
    t.n++;
    t.lat.push(ms);
    all.push(ms);
    if (status !== p.expect) {
      t.wrong++;
      if (p.expect === 200) wrongValid++;
      if (wrongSamples.length < 5 && status !== -1) wrongSamples.push(`${p.kind}: ${status} (expected ${p.expect})`);
    }
  }
}

const pct = (xs: number[], p: number): string => {
  if (xs.length === 0) return '-';
  const sorted = Float64Array.from(xs).sort();
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!.toFixed(1);
};

try {
  await ready(child, `${url}/health`);
  const pid = child.pid!;
  const warmupUntil = Date.now() + Number(values.warmup) * 1000;
  await Promise.all(Array.from({ length: connections }, () => worker(warmupUntil, false)));
  const rssStart = rssOf(pid);
  const atStart = await gauges();
  const started = Date.now();
  const until = started + minutes * 60_000;
  const samples: number[] = [rssStart];
  const sampler = setInterval(() => samples.push(rssOf(pid)), 5_000);
  await Promise.all(Array.from({ length: connections }, () => worker(until, true)));
  clearInterval(sampler);
  const seconds = (Date.now() - started) / 1000;
  const rssEnd = rssOf(pid);
  const atEnd = await gauges();
  const MB = 1024 * 1024;

  printTable(['requests', 'n', 'req/s', 'p50 ms', 'p99 ms', 'p99.9 ms', 'wrong status'], [
    ...[...tally].sort(([a], [b]) => a.localeCompare(b)).map(([kind, t]) => [kind, String(t.n), (t.n / seconds).toFixed(1), pct(t.lat, 50), pct(t.lat, 99), pct(t.lat, 99.9), String(t.wrong)]),
    ['all', String(all.length), (all.length / seconds).toFixed(1), pct(all, 50), pct(all, 99), pct(all, 99.9), String([...tally.values()].reduce((s, t) => s + t.wrong, 0))],
  ]);
  console.log();
  printTable(['minutes', 'connections', 'errors on valid requests', 'result cache MB (start -> end, bound)', 'V8 heap used / total MB', 'external MB', 'RSS start MB', 'RSS end MB', 'RSS max MB', 'growth', 'load average (1/5/15 min)'], [[
    (seconds / 60).toFixed(1), String(connections), String(wrongValid), `${(atStart.cache / MB).toFixed(1)} -> ${(atEnd.cache / MB).toFixed(1)}, ${values['cache-mb']}`,
    `${(atStart.heap / MB).toFixed(0)} / ${(atStart.heapTotal / MB).toFixed(0)} -> ${(atEnd.heap / MB).toFixed(0)} / ${(atEnd.heapTotal / MB).toFixed(0)}`, `${(atStart.external / MB).toFixed(0)} -> ${(atEnd.external / MB).toFixed(0)}`, (rssStart / MB).toFixed(1), (rssEnd / MB).toFixed(1),
    (Math.max(...samples, rssEnd) / MB).toFixed(1), `${(((rssEnd - rssStart) / rssStart) * 100).toFixed(1)}%`,
    readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' '),
  ]]);
  // The trend, one sample a minute (every 12th of the 5 s samples): steady, or still climbing?
  console.log(`\nRSS MB each minute: ${samples.filter((_, i) => i % 12 === 0).concat(rssEnd).map((b) => (b / MB).toFixed(0)).join(' -> ')}`);
  if (wrongSamples.length > 0) console.log(`\nfirst wrong answers: ${wrongSamples.join('; ')}`);
  console.log(`\ntargets: 0 errors on valid requests (${wrongValid === 0 ? 'met' : 'NOT met'}), RSS growth under 10% (${rssEnd < rssStart * 1.1 ? 'met' : 'NOT met'})`);
} finally {
  child.kill('SIGTERM');
}
