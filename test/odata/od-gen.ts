/**
 * A seeded generator of OData queries over the demo's three entity sets, each paired with
 * the SQL that answers it for one tenant (or for all): random $select or $apply, and random
 * $filter trees whose values are drawn from every tenant's rows (order ids, customer names),
 * so most of them point at someone else's data. The SQL is written here from the demo's
 * tables, not derived from the catalog or the gateway.
 */
import { prng } from './od-helpers.ts';

interface Dim { readonly name: string; readonly sql: string }
interface Metric { readonly name: string; readonly sql: string; /** `$apply` spelling that gives the same number */ readonly apply: string; readonly additive: boolean }
interface Atom { readonly odata: string; readonly sql: string }

interface SetSpec {
  readonly name: string;
  /** FROM clause; `{T}` becomes the tenant condition (or `true`). */
  readonly from: string;
  readonly dims: readonly Dim[];
  readonly metrics: readonly Metric[];
  atoms(r: ReturnType<typeof prng>, v: Values): Atom;
  having(r: ReturnType<typeof prng>): Atom;
}

/** Values of every tenant's rows, from the reference database. */
export interface Values { orderIds: number[]; customerNames: string[] }

const q = (s: string): string => `'${s.replace(/'/g, "''")}'`;

const ORDERS: SetSpec = {
  name: 'orders',
  from: 'orders WHERE {T}',
  dims: [
    { name: 'region', sql: 'region' }, { name: 'channel', sql: 'channel' }, { name: 'category', sql: 'category' },
    { name: 'status', sql: 'status' }, { name: 'country_code', sql: 'country_code' }, { name: 'is_promo', sql: 'is_promo' },
    { name: 'order_date_year', sql: "CAST(date_trunc('year', order_date) AS DATE)" },
    { name: 'order_date_quarter', sql: "CAST(date_trunc('quarter', order_date) AS DATE)" },
  ],
  metrics: [
    { name: 'revenue', sql: 'SUM(amount)', apply: 'revenue with sum', additive: true },
    { name: 'order_count', sql: 'COUNT(*)', apply: 'order_count with sum', additive: true },
    { name: 'units', sql: 'SUM(quantity)', apply: 'units with sum', additive: true },
    { name: 'customers', sql: 'COUNT(DISTINCT customer_id)', apply: 'customers with countdistinct', additive: true },
    { name: 'avg_discount', sql: 'AVG(discount)', apply: 'avg_discount with average', additive: false },
  ],
  atoms(r, v) {
    const ids = Array.from({ length: 1 + r.int(4) }, () => r.pick(v.orderIds));
    const region = r.pick(['EU', 'NA', 'APAC', 'LATAM', 'XX', "O'Hare"]);
    const n = r.int(120001);
    const day = `2024-${String(1 + r.int(12)).padStart(2, '0')}-${String(1 + r.int(28)).padStart(2, '0')}`;
    return r.pick<() => Atom>([
      () => ({ odata: `region eq ${q(region)}`, sql: `region = ${q(region)}` }),
      () => ({ odata: `region ne ${q(region)}`, sql: `region <> ${q(region)}` }),
      () => ({ odata: "channel in ('web','partner')", sql: "channel IN ('web', 'partner')" }),
      () => ({ odata: "category ne 'Services'", sql: "category <> 'Services'" }),
      () => ({ odata: "status eq 'returned'", sql: "status = 'returned'" }),
      () => ({ odata: 'is_promo', sql: 'is_promo' }),
      () => ({ odata: 'year(order_date) eq 2025', sql: 'year(order_date) = 2025' }),
      () => ({ odata: `order_date ge ${day}`, sql: `order_date >= DATE '${day}'` }),
      () => ({ odata: `ordered_at lt ${day}T12:00:00Z`, sql: `ordered_at < TIMESTAMP '${day} 12:00:00'` }),
      () => ({ odata: `order_id lt ${n}`, sql: `order_id < ${n}` }),
      () => ({ odata: `order_id eq ${ids[0]}`, sql: `order_id = ${ids[0]}` }),
      () => ({ odata: `order_id in (${ids.join(',')})`, sql: `order_id IN (${ids.join(', ')})` }),
      () => ({ odata: "contains(country_code,'E')", sql: "country_code LIKE '%E%'" }),
      () => ({ odata: "startswith(tolower(category),'s')", sql: "lower(category) LIKE 's%'" }),
    ])();
  },
  having(r) {
    const x = r.int(20) * 100000;
    return r.chance(0.5) ? { odata: `revenue gt ${x}`, sql: `SUM(amount) > ${x}` } : { odata: `order_count ge ${x / 100}`, sql: `COUNT(*) >= ${x / 100}` };
  },
};

const CUSTOMERS: SetSpec = {
  name: 'customers',
  // Customers with their joined country (a LEFT JOIN, as the catalog's join), its fields named as OData names them.
  from: '(SELECT c.*, co.country_name AS countries_country_name, co.region AS countries_region FROM customers c LEFT JOIN countries co USING (country_code)) WHERE {T}',
  dims: [
    { name: 'segment', sql: 'segment' }, { name: 'countries_country_name', sql: 'countries_country_name' }, { name: 'countries_region', sql: 'countries_region' },
    { name: 'signup_date_year', sql: "CAST(date_trunc('year', signup_date) AS DATE)" },
  ],
  metrics: [{ name: 'customer_count', sql: 'COUNT(*)', apply: 'customer_count with sum', additive: true }],
  atoms(r, v) {
    const [name, other] = [r.pick(v.customerNames), r.pick(v.customerNames)];
    return r.pick<() => Atom>([
      () => ({ odata: `customer_name eq ${q(name)}`, sql: `customer_name = ${q(name)}` }),
      () => ({ odata: `customer_name in (${q(name)},${q(other)})`, sql: `customer_name IN (${q(name)}, ${q(other)})` }),
      () => ({ odata: `startswith(customer_name,${q(name.slice(0, 11))})`, sql: `customer_name LIKE ${q(name.slice(0, 11) + '%')}` }),
      () => ({ odata: "segment eq 'SMB'", sql: "segment = 'SMB'" }),
      () => ({ odata: "countries_country_name in ('Germany','Japan','United States')", sql: "countries_country_name IN ('Germany', 'Japan', 'United States')" }),
      () => ({ odata: 'year(signup_date) eq 2023', sql: 'year(signup_date) = 2023' }),
      () => ({ odata: "countries_region ne 'EU'", sql: "(countries_region <> 'EU' OR countries_region IS NULL)" }),
      () => ({ odata: 'signup_date lt 2023-01-01', sql: "signup_date < DATE '2023-01-01'" }),
    ])();
  },
  having(r) {
    const n = r.int(300);
    return { odata: `customer_count gt ${n}`, sql: `COUNT(*) > ${n}` };
  },
};

const COUNTRIES: SetSpec = {
  name: 'countries',
  from: 'countries WHERE true',
  dims: [{ name: 'region', sql: 'region' }, { name: 'country_code', sql: 'country_code' }],
  metrics: [
    { name: 'population', sql: 'SUM(population_millions)', apply: 'population with sum', additive: false },
    { name: 'country_count', sql: 'COUNT(*)', apply: 'country_count with sum', additive: false },
  ],
  atoms(r) {
    return r.pick([{ odata: "region eq 'EU'", sql: "region = 'EU'" }, { odata: "country_code in ('DE','JP')", sql: "country_code IN ('DE', 'JP')" }]);
  },
  having: () => ({ odata: 'population gt 100', sql: 'SUM(population_millions) > 100' }),
};

export interface GenQuery {
  readonly set: string;
  readonly url: string;
  /** SQL for one tenant (or `null`: every tenant, as the admin sees it). */
  sql(tenant: string | null): string;
  readonly dims: readonly string[];
  readonly metrics: readonly string[];
  /** Whether tenants' rows add up to the admin's (additive metrics, no HAVING). */
  readonly additive: boolean;
}

function filterTree(spec: SetSpec, r: ReturnType<typeof prng>, v: Values, depth: number): Atom {
  if (depth === 0 || r.chance(0.4)) {
    const a = spec.atoms(r, v);
    return r.chance(0.15) ? { odata: `not (${a.odata})`, sql: `NOT (${a.sql})` } : a;
  }
  const op = r.chance(0.5) ? 'and' : 'or';
  const [x, y] = [filterTree(spec, r, v, depth - 1), filterTree(spec, r, v, depth - 1)];
  return { odata: `(${x.odata}) ${op} (${y.odata})`, sql: `(${x.sql}) ${op.toUpperCase()} (${y.sql})` };
}

export function generateQueries(seed: number, n: number, v: Values): GenQuery[] {
  const r = prng(seed);
  const out: GenQuery[] = [];
  for (let i = 0; i < n; i++) {
    const spec = r.pick([ORDERS, ORDERS, ORDERS, CUSTOMERS, CUSTOMERS, COUNTRIES]);
    const dims = spec.dims.filter(() => r.chance(0.3)).slice(0, 3);
    const metrics = spec.metrics.filter(() => r.chance(0.4));
    if (dims.length + metrics.length === 0) metrics.push(spec.metrics[0]!);
    const where = r.chance(0.8) ? filterTree(spec, r, v, 2) : null;
    const having = metrics.length > 0 && r.chance(0.2) ? spec.having(r) : null;
    const useApply = r.chance(0.35);
    const opts: string[] = [];
    let outNames: string[];
    if (useApply) {
      const agg = metrics.map((m, k) => `${m.apply} as a${k}`);
      const body = dims.length > 0 ? `groupby((${dims.map((d) => d.name).join(',')})${agg.length ? `,aggregate(${agg.join(',')})` : ''})` : `aggregate(${agg.join(',')})`;
      opts.push(`$apply=${where ? `filter(${where.odata})/` : ''}${body}`);
      outNames = [...dims.map((d) => d.name), ...metrics.map((_, k) => `a${k}`)];
    } else {
      opts.push(`$select=${[...dims, ...metrics].map((x) => x.name).join(',')}`);
      if (where) opts.push(`$filter=${having ? `(${where.odata}) and ${having.odata}` : where.odata}`);
      else if (having) opts.push(`$filter=${having.odata}`);
      outNames = [...dims, ...metrics].map((x) => x.name);
    }
    const usedHaving = !useApply && having !== null;
    const select = [...dims.map((d, k) => `${d.sql} AS ${outNames[k]}`), ...metrics.map((m, k) => `${m.sql} AS ${outNames[dims.length + k]}`)];
    const group = dims.length > 0 && metrics.length > 0 ? ` GROUP BY ${dims.map((_, k) => k + 1).join(', ')}` : '';
    const distinct = metrics.length === 0 ? 'DISTINCT ' : '';
    out.push({
      set: spec.name,
      url: `${spec.name}?${opts.join('&')}`,
      sql: (tenant) => `SELECT ${distinct}${select.join(', ')} FROM ${spec.from.replace('{T}', tenant === null ? 'true' : `tenant_id = ${q(tenant)}`)}${where ? ` AND (${where.sql})` : ''}${group}${usedHaving ? ` HAVING ${having!.sql}` : ''}`,
      dims: outNames.slice(0, dims.length),
      metrics: outNames.slice(dims.length),
      additive: !usedHaving && metrics.every((m) => m.additive),
    });
  }
  return out;
}
