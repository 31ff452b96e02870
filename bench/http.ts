/**
 * HTTP overhead benchmark (issue 3): POST /v1/query on the demo through the gateway,
 * no cache, against the same SQL run straight through the DuckDB driver, side by side.
 * Target: the gateway's p50 at most 1.5x the driver's on a query that takes the database
 * at least 1 ms.   npx tsx bench/http.ts [--seconds 10] [--connections 4]
 */
import { readFileSync, rmSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { DuckDBInstance } from '@duckdb/node-api';
import autocannon from 'autocannon';
import { loadConfig } from '../src/catalog/load.ts';
import { prepareQuery } from '../src/service/query.ts';
import { BENCH_KEY, BENCH_PRINCIPAL, benchConfigDir, printTable, ready, root, startChild } from './config.ts';

const { values } = parseArgs({ options: { seconds: { type: 'string' }, connections: { type: 'string' } } });
const SECONDS = Number(values.seconds ?? 10);
const CONNECTIONS = Number(values.connections ?? 4);
const PORT = 18000 + Math.floor(Math.random() * 1000);

const QUERIES = {
  'region x month, 2024': {
    dataset: 'orders', dimensions: ['region', 'order_date.month'], metrics: ['revenue', 'order_count', 'avg_order_value'],
    filters: [{ field: 'order_date', op: 'between', values: ['2024-01-01', '2024-12-31'] }],
  },
  'channel x category, large orders': {
    dataset: 'orders', dimensions: ['channel', 'category'], metrics: ['revenue', 'customers'], segments: ['large_orders'],
  },
};

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))]!;
}

/** The same SQL and parameters the gateway would send, run by N concurrent loops. */
async function direct(sql: string, params: readonly unknown[]): Promise<{ rps: number; p50: number; p99: number; mean: number }> {
  const instance = await DuckDBInstance.create(':memory:');
  const setup = await instance.connect();
  await setup.run(readFileSync(`${root}examples/demo/init.sql`, 'utf8'));
  const latencies: number[] = [];
  const deadline = performance.now() + SECONDS * 1000;
  await Promise.all(Array.from({ length: CONNECTIONS }, async () => {
    const conn = await instance.connect();
    while (performance.now() < deadline) {
      const t0 = performance.now();
      const reader = await conn.runAndReadAll(sql, params as never);
      reader.getRows();
      latencies.push(performance.now() - t0);
    }
  }));
  instance.closeSync();
  latencies.sort((a, b) => a - b);
  const mean = latencies.reduce((a, b) => a + b, 0) / latencies.length;
  return { rps: latencies.length / SECONDS, p50: percentile(latencies, 0.5), p99: percentile(latencies, 0.99), mean };
}

async function viaGateway(body: unknown): Promise<{ rps: number; p50: number; p99: number; mean: number; errors: number }> {
  const r = await autocannon({
    url: `http://127.0.0.1:${PORT}/v1/query`, method: 'POST', connections: CONNECTIONS, duration: SECONDS,
    // no-cache: every request runs the query (the cache-less path), the rate limit is counted
    headers: { 'content-type': 'application/json', authorization: `Bearer ${BENCH_KEY}`, 'cache-control': 'no-cache' }, body: JSON.stringify(body),
  });
  // autocannon's percentiles are whole milliseconds; its mean is not, so it is shown too.
  return { rps: r.requests.average, p50: r.latency.p50, p99: r.latency.p99, mean: r.latency.mean, errors: r.non2xx + r.errors };
}

// No REDIS_URL: the driver side has no Redis either, so the comparison stays like for like.
const configDir = benchConfigDir('full');
const server = startChild([`${root}bin/semgate.js`, 'serve', '--config', configDir, '--port', String(PORT), '--host', '127.0.0.1'], {});
await ready(server, `http://127.0.0.1:${PORT}/health`);

const { catalog } = await loadConfig(root);
if (!catalog) throw new Error('demo catalog did not load');
const rows: string[][] = [];
try {
  for (const [name, body] of Object.entries(QUERIES)) {
    const { compiled } = prepareQuery(catalog, BENCH_PRINCIPAL, body);
    const d = await direct(compiled.sql, compiled.parameters);
    const g = await viaGateway(body);
    rows.push([name, 'driver', d.rps.toFixed(0), d.p50.toFixed(2), d.p99.toFixed(2), d.mean.toFixed(2), '', '', '']);
    rows.push([name, 'gateway', g.rps.toFixed(0), g.p50.toFixed(2), g.p99.toFixed(2), g.mean.toFixed(2), (g.p50 / d.p50).toFixed(2), (g.mean / d.mean).toFixed(2), String(g.errors)]);
  }
} finally {
  server.kill('SIGTERM');
  rmSync(configDir, { recursive: true, force: true });
}

console.log(`${SECONDS}s per row, ${CONNECTIONS} connections, no cache, tenant acme_corp, node ${process.version}`);
printTable(['query', 'path', 'req/s', 'p50 ms', 'p99 ms', 'mean ms', 'p50 vs driver', 'mean vs driver', 'errors'], rows);
console.log('target: gateway p50 at most 1.5x the driver p50');
