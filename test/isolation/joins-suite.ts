/**
 * Tenant isolation through joins, per engine and layout: generated join queries (random
 * fields of every joined dataset, filters, including other tenants' ids and values,
 * segments, grains) run as three tenants and the admin. Each tenant's answer must equal the
 * JavaScript oracle over that tenant's own rows (joins-oracle.ts), every id a witness
 * metric names must be the tenant's own on every joined table, and the tenants' totals must
 * add up to the admin's (who reads all tenants of shared tables, and must name one elsewhere).
 */
import { expect } from 'vitest';
import type { Catalog } from '../../src/catalog/types.ts';
import { GatewayError } from '../../src/errors.ts';
import type { FilterLeaf, Principal, SemanticQuery } from '../../src/query/types.ts';
import { QueryCache } from '../../src/cache/query-cache.ts';
import { executeCached, executePrepared, prepareQuery } from '../../src/service/query.ts';
import { SourceRegistry } from '../../src/sources/registry.ts';
import { runPool } from '../helpers/pool.ts';
import { Rng } from '../helpers/rng.ts';
import type { Engine } from '../helpers/seed.ts';
import { idRanges, TENANTS, type Star } from '../joins/data.ts';
import { LAYOUTS, loadJoinCatalog, seedStar, STAR, type Layout, type SeededStar } from '../joins/fixture.ts';
import { expectedRows, MONEY, type OracleQuery } from './joins-oracle.ts';

export const JOIN_QUERIES_PER_LAYOUT = Math.max(500, Number(process.env['SEMGATE_ISOLATION_QUERIES'] ?? 500));
const SEED = Number(process.env['SEMGATE_ISOLATION_SEED'] ?? 20261205);

const ORDER_DIMS = ['status', 'order_date.month', 'order_date.year', 'order_band', 'tenant_id', 'customers.segment', 'customers.signup_date.year',
  'customers.tenant_id', 'countries.zone', 'countries.code', 'refunds.reason', 'refunds.refunded_on.month', 'refunds.tenant_id'];
const ORDER_METRICS = ['revenue', 'order_count', 'customers.customer_count', 'customers.total_credit', 'refunds.refunded', 'refunds.refund_count', 'countries.country_count', 'countries.population'];
/** Witnesses: the lowest and highest id of each tenant table in a group. */
const WITNESSES = { orders: ['min_order', 'max_order'], customers: ['customers.min_customer', 'customers.max_customer'], refunds: ['refunds.min_refund', 'refunds.max_refund'] } as const;
const CUSTOMER_DIMS = ['segment', 'signup_date.year', 'tenant_id', 'countries.zone', 'countries.country_name'];
const CUSTOMER_METRICS = ['customer_count', 'total_credit', 'countries.country_count', 'countries.population'];

interface Generated { query: SemanticQuery; oracle: OracleQuery; totals: SemanticQuery; totalsOracle: OracleQuery }

/** A filter naming values of every tenant: whatever it names, a tenant sees only its own rows. */
function filterOn(rng: Rng, base: 'orders' | 'customers', star: Star): FilterLeaf {
  const anyOrder = rng.pick(star.orders);
  const anyCustomer = rng.pick(star.customers);
  const pool: (() => FilterLeaf)[] = base === 'customers' ? [
    () => ({ field: 'segment', op: 'in', values: rng.sample(['Enterprise', 'SMB', 'Consumer'], 2) }),
    () => ({ field: 'countries.zone', op: rng.pick(['eq', 'ne'] as const), values: [rng.pick(['EMEA', 'AMER', 'APAC'])] }),
    () => ({ field: 'customer_id', op: 'in', values: star.customers.filter((_, i) => i % 5 === 0).map((c) => c.customer_id) }),
    () => ({ field: 'tenant_id', op: 'in', values: [...TENANTS] }),
    () => ({ field: 'credit_limit', op: 'gt', values: [Number(anyCustomer.credit_limit)] }),
  ] : [
    () => ({ field: 'status', op: rng.pick(['eq', 'ne'] as const), values: [rng.pick(['completed', 'returned', 'cancelled'])] }),
    () => ({ field: 'customers.segment', op: 'in', values: rng.sample(['Enterprise', 'SMB', 'Consumer'], 2) }),
    () => ({ field: 'countries.zone', op: rng.pick(['eq', 'ne', 'is_null'] as const), values: [rng.pick(['EMEA', 'AMER', 'APAC'])] }),
    () => ({ field: 'refunds.reason', op: rng.pick(['eq', 'is_not_null', 'not_in'] as const), values: [rng.pick(['damaged', 'late', 'goodwill'])] }),
    () => ({ field: 'order_date', op: 'between', values: ['2024-03-01', rng.pick(['2024-09-30', '2025-05-31'])] }),
    () => ({ field: 'customers.customer_id', op: 'eq', values: [anyCustomer.customer_id] }),
    () => ({ field: 'order_id', op: 'in', values: star.orders.filter((_, i) => i % 7 === 0).map((o) => o.order_id) }),
    () => ({ field: 'refunds.tenant_id', op: 'in', values: [...TENANTS] }),
    () => ({ field: 'amount', op: 'gt', values: [Number(anyOrder.amount)] }),
  ];
  const f = rng.pick(pool)();
  // Operators without values take none.
  return f.op === 'is_null' || f.op === 'is_not_null' ? { field: f.field, op: f.op } : f;
}

function generate(rng: Rng, star: Star): Generated {
  const base = rng.int(0, 4) === 0 ? 'customers' as const : 'orders' as const;
  const dims = rng.sample(base === 'orders' ? ORDER_DIMS : CUSTOMER_DIMS, rng.int(0, 2));
  const own = rng.sample(base === 'orders' ? ORDER_METRICS : CUSTOMER_METRICS, rng.int(1, 3));
  const witnesses = base === 'orders' ? [...WITNESSES.orders, ...WITNESSES.customers, ...WITNESSES.refunds] : ['min_customer', 'max_customer'];
  const metrics = [...new Set([...own, ...witnesses])];
  const filters = Array.from({ length: rng.int(0, 2) }, () => filterOn(rng, base, star));
  const segments = base === 'orders' ? rng.sample(['completed', 'customers.enterprise'], rng.int(0, 2) === 0 ? 1 : 0) : rng.sample(['enterprise'], rng.int(0, 3) === 0 ? 1 : 0);
  const query: SemanticQuery = { dataset: base, dimensions: dims, metrics, filters, segments, limit: 5000 };
  const totalsMetrics = base === 'orders' ? ['revenue', 'order_count', 'customers.customer_count', 'refunds.refund_count', 'refunds.refunded'] : ['customer_count', 'total_credit'];
  const totals: SemanticQuery = { dataset: base, metrics: totalsMetrics, filters, segments };
  const oracle = (d: readonly string[], m: readonly string[]): OracleQuery => ({ base, dimensions: d, metrics: m.map((x) => x.replace(/^(min|max)_customer$/, 'customers.$1_customer')), filters, segments });
  return { query, oracle: oracle(dims, metrics), totals, totalsOracle: oracle([], totalsMetrics) };
}

/** The gateway's rows in the oracle's units (money in cents), sorted like the oracle's. */
function comparable(rows: readonly unknown[][], columns: readonly string[]): unknown[][] {
  return rows.map((r) => r.map((v, i) => (v !== null && MONEY.has(columns[i]!) ? Math.round(Number(v) * 100) : typeof v === 'string' && /^\d+$/.test(v) ? Number(v) : v)))
    .sort((a, b) => JSON.stringify(a).localeCompare(JSON.stringify(b)));
}

export function joinIsolationSuite(engine: Engine): { setup(): Promise<void>; run(layout: Layout): Promise<number>; close(): Promise<void> } {
  let seeded: SeededStar | undefined;
  const catalogs = new Map<Layout, Catalog>();
  const registries = new Map<Layout, SourceRegistry>();
  const tenant = (t: string | null): Principal => (t === null
    ? { keyId: 'k_admin', tenant: null, role: 'admin', isAdmin: true, allowedDatasets: null }
    : { keyId: `k_${t}`, tenant: t, role: 'analyst', isAdmin: false, allowedDatasets: null });
  const ranges = new Map(TENANTS.map((t) => [t, idRanges(STAR, t)]));
  return {
    async setup() {
      seeded = await seedStar(engine, `sgji${process.pid}_`);
      await seeded.release();
      for (const layout of LAYOUTS) {
        const { catalog } = await loadJoinCatalog(engine, layout, seeded.prefix, seeded.duckDir);
        catalogs.set(layout, catalog);
        registries.set(layout, new SourceRegistry(catalog.sources));
      }
    },
    async run(layout) {
      const catalog = catalogs.get(layout)!;
      const registry = registries.get(layout)!;
      // One cache for every caller, as in the gateway: tenants send identical queries.
      const cache = new QueryCache(null);
      const rng = new Rng(SEED ^ [...`${engine}/${layout}`].reduce((h, c) => Math.imul(h, 31) + c.charCodeAt(0), 7));
      const queries = Array.from({ length: JOIN_QUERIES_PER_LAYOUT }, () => generate(rng, STAR));
      let nonEmpty = 0;
      await runPool(queries, 4, async (g, i) => {
        const where = `${engine}/${layout} query #${i}: ${JSON.stringify(g.query)}`;
        const sums = { revenue: 0, n: 0 };
        const withTotals = i % 3 === 0;
        for (const t of TENANTS) {
          const prepared = prepareQuery(catalog, tenant(t), g.query);
          const result = i % 2 === 0 ? await executeCached(cache, registry, prepared) : await executePrepared(registry, prepared);
          const columns = result.columns.map((c) => c.name);
          // Every id a witness names is this tenant's, on every joined table.
          for (const row of result.rows) {
            for (const [table, names] of Object.entries(WITNESSES)) {
              for (const name of names) {
                const at = columns.indexOf(g.query.dataset === 'customers' && table === 'customers' ? name.replace('customers.', '') : name);
                const v = at < 0 ? null : row[at];
                if (v === null || v === undefined) continue;
                const [lo, hi] = ranges.get(t)![table as keyof typeof WITNESSES];
                if (Number(v) < lo || Number(v) > hi) throw new Error(`${where}\n${t} got ${table} id ${String(v)} of another tenant`);
              }
            }
            for (const d of ['tenant_id', 'customers.tenant_id', 'refunds.tenant_id']) {
              const at = columns.indexOf(d);
              if (at >= 0 && row[at] !== null && row[at] !== t) throw new Error(`${where}\n${t} got a row of ${String(row[at])}`);
            }
          }
          expect(comparable(result.rows, columns), `${where} as ${t}\n${prepared.compiled.sql}`).toEqual(expectedRows(STAR, g.oracle, t));
          if (result.rows.length > 0) nonEmpty++;
          if (i % 5 === 0) {
            // The admin acting as this tenant compiles the same SQL and gets the same rows.
            const asAdmin = prepareQuery(catalog, { ...tenant(null), tenant: t }, g.query);
            expect(asAdmin.compiled).toEqual(prepared.compiled);
          }
          // Totals (each tenant's, then the admin's) on every third query: they repeat the
          // same few scans, and the generated query itself is what varies.
          if (!withTotals) continue;
          const totals = await executePrepared(registry, prepareQuery(catalog, tenant(t), g.totals));
          expect(comparable(totals.rows, totals.columns.map((c) => c.name)), `${where} totals as ${t}`).toEqual(expectedRows(STAR, g.totalsOracle, t));
          sums.revenue += Number(totals.rows[0]![0] ?? 0);
          sums.n += Number(totals.rows[0]![1] ?? 0);
        }
        const admin = tenant(null);
        if (layout === 'shared') {
          if (withTotals) {
            const all = await executePrepared(registry, prepareQuery(catalog, admin, g.totals));
            expect(Math.round(Number(all.rows[0]![0] ?? 0) * 100), `${where}: the tenants' totals add up to the admin's`).toBe(Math.round(sums.revenue * 100));
            expect(Number(all.rows[0]![1] ?? 0)).toBe(sums.n);
          }
          if (i % 4 === 0) {
            const rows = await executePrepared(registry, prepareQuery(catalog, admin, g.query));
            expect(comparable(rows.rows, rows.columns.map((c) => c.name)), `${where} as the admin`).toEqual(expectedRows(STAR, g.oracle, null));
          }
        } else {
          try {
            prepareQuery(catalog, admin, g.query);
            throw new Error(`${where}: an admin without a tenant was not refused`);
          } catch (err) {
            if (!(err instanceof GatewayError) || err.code !== 'query.tenant_required') throw err;
          }
        }
      });
      return nonEmpty;
    },
    async close() {
      await Promise.all([...registries.values()].map((r) => r.close()));
      await seeded?.drop();
    },
  };
}
