/**
 * Compile-time benchmark: median and p99 of planning + compiling a mixed set of demo
 * queries, 10,000 compilations per dialect. Target (issue 2): median under 50 µs.
 *   npx tsx bench/compile.ts
 */
import { loadConfig } from '../src/catalog/load.ts';
import { parseSemanticQuery } from '../src/query/parse.ts';
import { planQuery } from '../src/query/plan.ts';
import type { SemanticQuery } from '../src/query/types.ts';
import { compilePlan } from '../src/sql/compile.ts';
import { dialectFor } from '../src/sql/dialects/index.ts';
import { BENCH_PRINCIPAL, printTable } from './config.ts';

const RUNS = 10_000;
const { catalog } = await loadConfig(new URL('..', import.meta.url).pathname);
if (!catalog) throw new Error('the demo catalog did not load');

const tenant = BENCH_PRINCIPAL;
const queries: SemanticQuery[] = [
  { dataset: 'orders', metrics: ['revenue'] },
  { dataset: 'orders', dimensions: ['region'], metrics: ['revenue', 'order_count'] },
  { dataset: 'orders', dimensions: ['region', 'order_date.month'], metrics: ['revenue', 'avg_order_value'],
    filters: [{ field: 'region', op: 'in', values: ['EU', 'NA'] }, { field: 'order_date', op: 'between', values: ['2024-01-01', '2024-06-30'] }],
    order_by: [{ field: 'revenue', direction: 'desc' }], limit: 100 },
  { dataset: 'orders', dimensions: ['channel', 'category', 'ordered_at.hour'], metrics: ['units', 'customers'],
    filters: [{ field: 'category', op: 'contains', values: ['ware'] }, { field: 'revenue', op: 'gt', values: [1000] }],
    segments: ['completed', 'large_orders'], limit: 500, offset: 100 },
  { dataset: 'orders', dimensions: ['status'] },
  { dataset: 'customers', dimensions: ['segment', 'signup_date.quarter'], metrics: ['customer_count'],
    filters: [{ field: 'country', op: 'not_in', values: ['Germany', 'France'] }] },
  { dataset: 'countries', dimensions: ['region'], metrics: ['population', 'country_count'],
    filters: [{ field: 'country_name', op: 'starts_with', values: ['S'] }] },
];

function measure(fn: (q: SemanticQuery) => void): { median: number; p99: number; mean: number } {
  for (let i = 0; i < 2000; i++) fn(queries[i % queries.length]!); // warm up the JIT
  const samples = new Float64Array(RUNS);
  for (let i = 0; i < RUNS; i++) {
    const q = queries[i % queries.length]!;
    const t0 = process.hrtime.bigint();
    fn(q);
    samples[i] = Number(process.hrtime.bigint() - t0) / 1000;
  }
  samples.sort();
  const mean = samples.reduce((a, b) => a + b, 0) / RUNS;
  return { median: samples[Math.floor(RUNS / 2)]!, p99: samples[Math.floor(RUNS * 0.99)]!, mean };
}

const rows: string[][] = [];
for (const name of ['postgres', 'mysql', 'duckdb'] as const) {
  const dialect = dialectFor(name);
  const plans = new Map(queries.map((q) => [q, planQuery(catalog, tenant, q)]));
  const compileOnly = measure((q) => compilePlan(plans.get(q)!, dialect));
  const full = measure((q) => compilePlan(planQuery(catalog, tenant, parseSemanticQuery(q)), dialect));
  const fmt = (n: number): string => n.toFixed(1);
  rows.push([name, fmt(compileOnly.median), fmt(compileOnly.p99), fmt(full.median), fmt(full.p99), fmt(full.mean), full.median < 50 ? 'yes' : 'NO']);
}

console.log(`${RUNS} compilations per column, ${queries.length} mixed queries, node ${process.version}`);
printTable(['dialect', 'compile p50 µs', 'compile p99 µs', 'validate+plan+compile p50 µs', 'p99 µs', 'mean µs', 'p50 < 50 µs'], rows);
