/**
 * Gateway throughput and middleware cost (issue 4): cache-hit POST /v1/query with rate
 * limiting and audit on (stdout sink, the child's stdout to /dev/null), and what each
 * middleware adds, as a ratio against a bare hono route measured in the same run.
 * Targets: at least 8,000 cache-hit req/s with 32 connections; auth + rate limit + audit
 * together adding under 30% to the bare route's latency.
 *   npx tsx bench/gateway.ts [--seconds 10] [--connections 32] [--warmup 3] [--redis]
 * (--redis passes REDIS_URL on to the gateways, so limits and cache use it; default: memory.)
 *
 * Every server is a child process (its own core and event loop, not autocannon's).
 * Autocannon's percentiles are whole milliseconds, too coarse for ratios at ~2 ms, so the
 * ratios use the mean latency from Little's law (connections / req/s, exact for a closed
 * loop) and the server's own CPU time per request (from /proc), which does not depend on
 * whether the client or the server is the bottleneck.
 */
import { execSync, type ChildProcess } from 'node:child_process';
import { readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { BENCH_KEY, benchConfigDir, printTable, ready, root as benchRoot, startChild } from './config.ts';
import autocannon from 'autocannon';

const { values } = parseArgs({ options: { seconds: { type: 'string' }, connections: { type: 'string' }, warmup: { type: 'string' }, redis: { type: 'boolean' }, rows: { type: 'string' } } });
const SECONDS = Number(values.seconds ?? 10);
const CONNECTIONS = Number(values.connections ?? 32);
const WARMUP = Number(values.warmup ?? 3);
/** --rows bare,unknown,...: measure only these (the footer needs bare, unknown, v1-unknown, query-hit). */
const ONLY = values.rows ? new Set(values.rows.split(',')) : null;
const root = benchRoot;
const BASE_PORT = 19000 + Math.floor(Math.random() * 900);
const TICK_MS = 1000 / Number(execSync('getconf CLK_TCK').toString().trim() || 100);
const KEY = BENCH_KEY;
const QUERY = { dataset: 'orders', dimensions: ['region'], metrics: ['revenue', 'order_count'] };

const start = (args: string[], env: Record<string, string>): ChildProcess => startChild(args, env, { redis: values.redis });

/** User + system CPU of a process (all its threads), in ms. */
function cpuMs(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) * TICK_MS;
}

/** CPU busy on the whole machine, in ms (a shared machine: other work skews a row). */
function machineBusyMs(): number {
  // cpu  user nice system idle iowait irq softirq steal ...: all but idle and iowait.
  const t = readFileSync('/proc/stat', 'utf8').split('\n')[0]!.trim().split(/\s+/).slice(1).map(Number);
  return (t[0]! + t[1]! + t[2]! + t[5]! + t[6]! + t[7]!) * TICK_MS;
}

function ownCpuMs(): number {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
}

interface Row {
  readonly name: string;
  readonly adds: string;
  readonly server: 'bare' | 'floor' | 'full' | 'lean';
  readonly path: string;
  readonly method?: 'GET' | 'POST';
  readonly key?: boolean;
  readonly status: number;
}

interface Result { rps: number; p50: number; p99: number; mean: number; cpuUs: number; clientUs: number; others: number; bad: number; single: number }

const ROWS: Row[] = [
  { name: 'bare', adds: 'baseline: GET /bare, bare hono', server: 'bare', path: '/bare', status: 200 },
  { name: 'floor', adds: 'bare + the least auth + limit + audit can be', server: 'floor', path: '/floor', key: true, status: 200 },
  { name: 'health', adds: 'timing + request id + observe (log, metrics)', server: 'full', path: '/health', status: 200 },
  { name: 'unknown', adds: 'same chain, 404 problem, no key', server: 'full', path: '/bench-unknown', status: 404 },
  { name: 'v1-unknown', adds: 'auth + rate limit + audit (stdout), 404', server: 'full', path: '/v1/bench-unknown', key: true, status: 404 },
  { name: 'v1-unknown-lean', adds: 'auth + audit event (sink none), no limit, 404', server: 'lean', path: '/v1/bench-unknown', key: true, status: 404 },
  { name: 'datasets', adds: 'auth + rate limit + audit + GET /v1/datasets', server: 'full', path: '/v1/datasets', key: true, status: 200 },
  { name: 'query-hit', adds: 'auth + rate limit + audit + POST /v1/query, cache hit', server: 'full', path: '/v1/query', method: 'POST', key: true, status: 200 },
  { name: 'query-hit-lean', adds: 'same, no rate limit, audit sink none', server: 'lean', path: '/v1/query', method: 'POST', key: true, status: 200 },
];

async function cannon(row: Row, url: string, seconds: number, connections = CONNECTIONS): Promise<autocannon.Result> {
  return autocannon({
    url: url + row.path, method: row.method ?? 'GET', connections, duration: seconds,
    headers: { ...(row.key && { authorization: `Bearer ${KEY}` }), ...(row.method === 'POST' && { 'content-type': 'application/json' }) },
    ...(row.method === 'POST' && { body: JSON.stringify(QUERY) }),
  });
}

/**
 * Latency with one connection, nothing queued: what one client sees (its round trip through
 * the loopback, the client's own work included), in µs: 1 / req/s of the closed loop.
 */
async function unloaded(row: Row, url: string): Promise<number> {
  const r = await cannon(row, url, Math.max(2, SECONDS / 2), 1);
  return 1e6 / (r.requests.total / r.duration);
}

async function measure(row: Row, url: string, pid: number): Promise<Result> {
  await cannon(row, url, WARMUP); // JIT, pools, the cache entry
  const [cpu0, own0, busy0, t0] = [cpuMs(pid), ownCpuMs(), machineBusyMs(), performance.now()];
  const r = await cannon(row, url, SECONDS);
  const [cpu, own, busy, elapsed] = [cpuMs(pid) - cpu0, ownCpuMs() - own0, machineBusyMs() - busy0, performance.now() - t0];
  const total = r.requests.total;
  const rps = total / r.duration;
  const expected = (r.statusCodeStats as Record<string, { count: number }>)[String(row.status)]?.count ?? 0;
  return {
    rps, p50: r.latency.p50, p99: r.latency.p99, mean: (CONNECTIONS / rps) * 1000, single: await unloaded(row, url),
    cpuUs: (cpu * 1000) / total, clientUs: (own * 1000) / total, others: Math.max(0, busy - cpu - own) / elapsed,
    bad: total - expected + r.errors + r.timeouts,
  };
}

const dirs = { full: benchConfigDir('full'), lean: benchConfigDir('lean') };
const ports = { bare: BASE_PORT, full: BASE_PORT + 1, lean: BASE_PORT + 2, floor: BASE_PORT + 3 };
const children = {
  bare: start(['--import', 'tsx', join(root, 'bench/bare-server.ts'), String(ports.bare)], {}),
  floor: start(['--import', 'tsx', join(root, 'bench/floor-server.ts'), String(ports.floor)], { FLOOR_KEY: KEY }),
  full: start([join(root, 'bin/semgate.js'), 'serve', '--port', String(ports.full), '--host', '127.0.0.1'], { SEMGATE_CONFIG_DIR: dirs.full, SEMGATE_AUDIT_SINK: 'stdout' }),
  lean: start([join(root, 'bin/semgate.js'), 'serve', '--port', String(ports.lean), '--host', '127.0.0.1'], { SEMGATE_CONFIG_DIR: dirs.lean, SEMGATE_AUDIT_SINK: 'none' }),
};
const urls = { floor: `http://127.0.0.1:${ports.floor}`, bare: `http://127.0.0.1:${ports.bare}`, full: `http://127.0.0.1:${ports.full}`, lean: `http://127.0.0.1:${ports.lean}` };

const results = new Map<string, Result>();
try {
  await ready(children.bare, `${urls.bare}/bare`);
  await ready(children.floor, `${urls.floor}/bare`);
  await ready(children.full, `${urls.full}/health`);
  await ready(children.lean, `${urls.lean}/health`);
  // The query rows must really be cache hits: fill, then check the second answer says so.
  for (const server of ['full', 'lean'] as const) {
    const ask = (): Promise<Response> => fetch(`${urls[server]}/v1/query`, {
      method: 'POST', headers: { authorization: `Bearer ${KEY}`, 'content-type': 'application/json' }, body: JSON.stringify(QUERY),
    });
    await ask();
    const second = await ask();
    if (second.headers.get('x-cache') !== 'HIT') throw new Error(`${server}: the query is not a cache hit (status ${second.status})`);
  }
  for (const row of ROWS) if (!ONLY || ONLY.has(row.name)) results.set(row.name, await measure(row, urls[row.server], children[row.server].pid!));
} finally {
  for (const c of Object.values(children)) c.kill('SIGTERM');
  for (const d of Object.values(dirs)) rmSync(d, { recursive: true, force: true });
}


const get = (name: string): Result => results.get(name)!;
const bare = get('bare');
console.log(`${SECONDS} s per row after ${WARMUP} s warm-up, ${CONNECTIONS} connections, node ${process.version}, tenant acme_corp`);
console.log(`query: ${JSON.stringify(QUERY)}\n`);
printTable(
  ['row', 'what runs', 'status', 'req/s', 'p50 ms', 'p99 ms', 'mean ms', 'latency x bare', 'server CPU µs/req', 'CPU x bare', '1-conn latency µs', '1-conn x bare', 'client CPU µs/req', 'other load (cores)', 'unexpected'],
  ROWS.filter((row) => results.has(row.name)).map((row) => {
    const r = get(row.name);
    return [row.name, row.adds, String(row.status), r.rps.toFixed(0), String(r.p50), String(r.p99), r.mean.toFixed(2),
      (r.mean / bare.mean).toFixed(2), r.cpuUs.toFixed(0), (r.cpuUs / bare.cpuUs).toFixed(2), r.single.toFixed(0), (r.single / bare.single).toFixed(2),
      r.clientUs.toFixed(0), r.others.toFixed(2), String(r.bad)];
  }),
);

/** A cost is the difference of two rows that differ only in that cost, against the bare route. */
const COSTS: [string, string, string][] = [
  ['the floor of auth + rate limit + audit', 'floor', 'bare'],
  ['base chain (timing, request id, observe)', 'health', 'bare'],
  ['auth + rate limit + audit', 'v1-unknown', 'unknown'],
  ['  auth + audit event only', 'v1-unknown-lean', 'unknown'],
  ['  rate limit + audit stdout write', 'v1-unknown', 'v1-unknown-lean'],
  ['GET /v1/datasets handler', 'datasets', 'v1-unknown'],
  ['POST /v1/query cache-hit handler', 'query-hit', 'v1-unknown'],
  ['whole gateway on a cache hit', 'query-hit', 'bare'],
];
console.log('');
printTable(
  ['middleware / part', 'rows compared', 'Δ mean ms', 'Δ latency / bare', 'Δ CPU µs/req', 'Δ CPU / bare', 'Δ 1-conn latency µs', 'Δ 1-conn / bare'],
  COSTS.filter(([, a, b]) => results.has(a) && results.has(b)).map(([label, a, b]) => {
    const x = get(a);
    const y = get(b);
    return [label, `${a} - ${b}`, (x.mean - y.mean).toFixed(3), `${(((x.mean - y.mean) / bare.mean) * 100).toFixed(0)}%`,
      (x.cpuUs - y.cpuUs).toFixed(0), `${(((x.cpuUs - y.cpuUs) / bare.cpuUs) * 100).toFixed(0)}%`,
      (x.single - y.single).toFixed(0), `${(((x.single - y.single) / bare.single) * 100).toFixed(0)}%`];
  }),
);

if (!['bare', 'unknown', 'v1-unknown', 'query-hit'].every((r) => results.has(r))) process.exit(0);
const hit = get('query-hit');
const added = (get('v1-unknown').mean - get('unknown').mean) / bare.mean;
const addedCpu = (get('v1-unknown').cpuUs - get('unknown').cpuUs) / bare.cpuUs;
const addedSingle = (get('v1-unknown').single - get('unknown').single) / bare.single;
const floor = results.get('floor');
console.log('');
console.log('Method: each middleware\'s cost is the difference between two rows that differ only by it (no switch in the product):');
console.log('/bench-unknown and /v1/bench-unknown both end in the same 404 problem, the second after auth, the rate limiter and the');
console.log('audit line; the lean gateway has no rate limit and audit sink none. Mean latency = connections / req/s (Little\'s law);');
console.log('server CPU is the child\'s user+system time over the measured window (/proc), divided by the requests answered;');
console.log('other load is CPU used on the machine by anything but the server and this process (above ~0.2 cores the row is skewed).');
console.log('1-conn latency is the same row with one connection (nothing queued): 1 / req/s, the client\'s round trip included.');
console.log('floor is bare-server.ts\'s route plus a hand-written minimum of the three (floor-server.ts): what any implementation on');
console.log('this stack (node http, hono, rate-limiter-flexible, a JSON audit line) spends, for scale.');
console.log('The 404 problem costs more than the /v1/datasets handler, so a handler row minus v1-unknown can come out negative.');
console.log(`target: cache-hit req/s >= 8000 with 32 connections: ${hit.rps.toFixed(0)} -> ${hit.rps >= 8000 && CONNECTIONS === 32 ? 'met' : 'NOT met'}`);
const pct = (x: number): string => `${(x * 100).toFixed(0)}%`;
console.log(`target: auth + rate limit + audit add < 30% to the bare route's latency:`);
console.log(`  saturated, ${CONNECTIONS} connections (latency ~ server CPU): ${pct(added)} (CPU ${pct(addedCpu)}) -> ${added < 0.3 ? 'met' : 'NOT met'}` +
  (floor ? `; the hand-written floor adds ${pct((floor.mean - bare.mean) / bare.mean)}` : ''));
console.log(`  one connection (a client's round trip): ${pct(addedSingle)} -> ${addedSingle < 0.3 ? 'met' : 'NOT met'}` +
  (floor ? `; the floor adds ${pct((floor.single - bare.single) / bare.single)}` : ''));
