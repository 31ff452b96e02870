/**
 * Compile-time benchmark: median and p99 of planning + compiling a mixed set of demo
 * queries, and of join queries over three datasets, 10,000 compilations per dialect.
 * Target (issues 2 and 10): median under 50 µs.
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
    filters: [{ field: 'countries.country_name', op: 'not_in', values: ['Germany', 'France'] }] },
  { dataset: 'countries', dimensions: ['region'], metrics: ['population', 'country_count'],
    filters: [{ field: 'country_name', op: 'starts_with', values: ['S'] }] },
];

/** Queries over three datasets (orders -> customers -> countries, and refunds): the join planner and compiler (issue 10). */
const joinQueries: SemanticQuery[] = [
  // One grouped SELECT: the queried dataset's metrics, dimensions of two joined datasets.
  { dataset: 'orders', dimensions: ['customers.segment', 'countries.region'], metrics: ['revenue', 'order_count'],
    filters: [{ field: 'countries.region', op: 'in', values: ['EU', 'NA'] }], segments: ['customers.enterprise'] },
  // Parts: metrics of three datasets, aggregated on their own grains and combined.
  { dataset: 'orders', dimensions: ['status'], metrics: ['revenue', 'customers.customer_count', 'countries.country_count'],
    filters: [{ field: 'order_date', op: 'between', values: ['2024-01-01', '2024-12-31'] }] },
  // Two facts and a derived metric across them, a HAVING and an order.
  { dataset: 'orders', dimensions: ['customers.segment'], metrics: ['revenue', 'refunds.refunded', 'refund_rate'],
    filters: [{ field: 'refunds.refunded', op: 'gt', values: [100] }], order_by: [{ field: 'refund_rate', direction: 'desc' }] },
];

function measure(fn: (q: SemanticQuery) => void, set: readonly SemanticQuery[] = queries): { median: number; p99: number; mean: number } {
  for (let i = 0; i < 2000; i++) fn(set[i % set.length]!); // warm up the JIT
  const samples = new Float64Array(RUNS);
  for (let i = 0; i < RUNS; i++) {
    const q = set[i % set.length]!;
    const t0 = process.hrtime.bigint();
    fn(q);
    samples[i] = Number(process.hrtime.bigint() - t0) / 1000;
  }
  samples.sort();
  const mean = samples.reduce((a, b) => a + b, 0) / RUNS;
  return { median: samples[Math.floor(RUNS / 2)]!, p99: samples[Math.floor(RUNS * 0.99)]!, mean };
}

const rows: string[][] = [];
const JOIN_LABELS = ['join: one SELECT, 3 datasets', 'join: 3 facts, parts', 'join: 2 facts + derived'];
const sets: [string, SemanticQuery[]][] = [['mixed', queries], ['3-dataset joins (all)', joinQueries], ...joinQueries.map((q, i): [string, SemanticQuery[]] => [JOIN_LABELS[i]!, [q]])];
for (const [label, set] of sets) {
  for (const name of ['postgres', 'mysql', 'duckdb'] as const) {
    const dialect = dialectFor(name);
    if (set.length === 1 && name !== 'postgres') continue; // one query: one dialect is enough
    const plans = new Map(set.map((q) => [q, planQuery(catalog, tenant, q)]));
    const compileOnly = measure((q) => compilePlan(plans.get(q)!, dialect), set);
    const full = measure((q) => compilePlan(planQuery(catalog, tenant, parseSemanticQuery(q)), dialect), set);
    const fmt = (n: number): string => n.toFixed(1);
    rows.push([label, name, fmt(compileOnly.median), fmt(compileOnly.p99), fmt(full.median), fmt(full.p99), fmt(full.mean), full.median < 50 ? 'yes' : 'NO']);
  }
}

console.log(`${RUNS} compilations per row: ${queries.length} mixed demo queries, ${joinQueries.length} join queries over three datasets; node ${process.version}`);
printTable(['queries', 'dialect', 'compile p50 µs', 'compile p99 µs', 'validate+plan+compile p50 µs', 'p99 µs', 'mean µs', 'p50 < 50 µs'], rows);
