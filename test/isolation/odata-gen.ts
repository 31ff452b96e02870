/**
 * A seeded generator of OData requests over the isolation fixture's entity sets, each with
 * the raw SQL of its $filter for the oracle. Literals are drawn from the rows of EVERY
 * tenant (ids, amounts, names, dates), so most conditions aim at another tenant's rows.
 * The SQL is written here from the OData semantics semgate documents (case-sensitive
 * contains & co., ne keeps NULLs, `not` is SQL NOT), not taken from src/.
 */
import type { Engine, OrderRow } from '../helpers/seed.ts';
import { DIMS, type DimSpec, type Rng } from './generator.ts';

/** What a result column's values must satisfy for the tenant that asked. */
export type Check = 'id' | 'amount' | 'tenant' | 'tenants' | 'count' | 'revenue' | 'none';

export interface Cond {
  readonly odata: string;
  sql(engine: Engine): string;
  /** OData operators and functions used (coverage). */
  readonly ops: readonly string[];
  /** Tenants whose rows the literals were drawn from. */
  readonly from: readonly string[];
}

export interface ODataCase {
  readonly set: string;
  readonly params: readonly (readonly [string, string])[];
  readonly pageSize: number;
  /** Output property -> its check. */
  readonly checks: Readonly<Record<string, Check>>;
  /** The dimension-only part of the filter (the totals request and the oracle use it). */
  readonly where: Cond | null;
  readonly usesApply: boolean;
  readonly ops: readonly string[];
  readonly from: readonly string[];
}

const col = (name: string): string => (name === 'order_year' ? 'EXTRACT(YEAR FROM order_date)' : name);
const sqlText = (engine: Engine, s: string): string => `'${(engine === 'mysql' ? s.replace(/\\/g, '\\\\') : s).replace(/'/g, "''")}'`;
const odataText = (s: string): string => `'${s.replace(/'/g, "''")}'`;

function sqlLit(engine: Engine, dim: DimSpec, v: unknown): string {
  switch (dim.kind) {
    case 'number': return String(v);
    case 'boolean': return v ? 'TRUE' : 'FALSE';
    case 'date': return `CAST(${sqlText(engine, String(v))} AS DATE)`;
    case 'timestamp': return `CAST(${sqlText(engine, String(v).replace('T', ' ').replace(/Z$/, ''))} AS ${engine === 'mysql' ? 'DATETIME' : 'TIMESTAMP'})`;
    case 'string': return sqlText(engine, String(v));
  }
}
const odataLit = (dim: DimSpec, v: unknown): string => (dim.kind === 'string' ? odataText(String(v)) : String(v));

const SQL_OP: Record<string, string> = { eq: '=', ne: '<>', gt: '>', ge: '>=', lt: '<', le: '<=' };
const FLIP: Record<string, string> = { eq: 'eq', ne: 'ne', gt: 'lt', ge: 'le', lt: 'gt', le: 'ge' };
const CMP = Object.keys(SQL_OP);

function cmpSql(lhs: string, op: string, rhs: string): string {
  return op === 'ne' ? `(${lhs} <> ${rhs} OR ${lhs} IS NULL)` : `${lhs} ${SQL_OP[op]} ${rhs}`;
}

const byName = (n: string): DimSpec => DIMS.find((d) => d.name === n)!;
const STRINGS = ['tenant_id', 'region', 'channel', 'status', 'note'].map(byName);
const TIMES = ['order_date', 'ordered_at'].map(byName);

/** A value of some row of some tenant (not NULL), and that tenant. */
function draw(rng: Rng, rows: readonly OrderRow[], dim: DimSpec): [string | number | boolean, string] {
  for (;;) {
    const r = rng.pick(rows);
    const v = dim.value(r);
    if (v !== null) return [v, r.tenant_id];
  }
}

function randomCase(rng: Rng, s: string): string {
  return rng.chance(0.25) ? s.toUpperCase() : rng.chance(0.25) ? s.toLowerCase() : s;
}

/** Case-sensitive substring tests, without LIKE (so the oracle does not share the compiler's escaping). */
function likeSql(engine: Engine, fn: string, c: string, s: string): string {
  // Every non-NULL string holds '': true, but NULL stays NULL (`not` must not turn it into true).
  if (s === '') return `(${c} = ${c})`;
  const lit = sqlText(engine, s);
  const pos = engine === 'mysql' ? `INSTR(${c}, ${lit})` : `strpos(${c}, ${lit})`;
  if (fn === 'contains') return `${pos} > 0`;
  if (fn === 'startswith') return `${pos} = 1`;
  const tail = `RIGHT(${c}, ${[...s].length})`;
  return engine === 'mysql' ? `CAST(${tail} AS BINARY) = CAST(${lit} AS BINARY)` : `${tail} = ${lit}`;
}

function atom(rng: Rng, rows: readonly OrderRow[]): Cond {
  const kind = rng.pick(['cmp', 'cmp', 'cmp', 'in', 'null', 'like', 'like', 'case', 'part', 'bool']);
  if (kind === 'cmp' || kind === 'in') {
    const dim = rng.pick(DIMS.filter((d) => d.kind !== 'boolean'));
    if (kind === 'in') {
      const vals = Array.from({ length: rng.int(1, 4) }, () => draw(rng, rows, dim));
      return {
        odata: `${dim.name} in (${vals.map(([v]) => odataLit(dim, v)).join(',')})`,
        sql: (e) => `${col(dim.name)} IN (${vals.map(([v]) => sqlLit(e, dim, v)).join(', ')})`,
        ops: ['in'], from: vals.map(([, t]) => t),
      };
    }
    const op = rng.pick(CMP);
    const [v, t] = draw(rng, rows, dim);
    // A quarter of the comparisons put the literal first: `2000005 lt order_id`.
    const odata = rng.chance(0.25) ? `${odataLit(dim, v)} ${FLIP[op]} ${dim.name}` : `${dim.name} ${op} ${odataLit(dim, v)}`;
    return { odata, sql: (e) => cmpSql(col(dim.name), op, sqlLit(e, dim, v)), ops: [op], from: [t] };
  }
  if (kind === 'null') {
    const dim = rng.pick([byName('region'), byName('discount'), byName('discount'), rng.pick(DIMS)]);
    const eq = rng.chance(0.5);
    return { odata: `${dim.name} ${eq ? 'eq' : 'ne'} null`, sql: () => `${col(dim.name)} IS ${eq ? '' : 'NOT '}NULL`, ops: [eq ? 'eq null' : 'ne null'], from: [] };
  }
  if (kind === 'like') {
    const dim = rng.pick(STRINGS);
    const fn = rng.pick(['contains', 'startswith', 'endswith']);
    const [v, t] = draw(rng, rows, dim);
    const s = String(v);
    const len = rng.int(0, Math.min(6, s.length));
    const start = fn === 'startswith' ? 0 : fn === 'endswith' ? s.length - len : rng.int(0, s.length - len);
    const wrap = rng.pick([null, null, 'tolower', 'toupper']);
    let part = randomCase(rng, s.slice(start, start + len));
    if (wrap && rng.chance(0.7)) part = wrap === 'tolower' ? part.toLowerCase() : part.toUpperCase();
    const prop = wrap ? `${wrap}(${dim.name})` : dim.name;
    const c = wrap ? `${wrap === 'tolower' ? 'LOWER' : 'UPPER'}(${dim.name})` : dim.name;
    return { odata: `${fn}(${prop},${odataText(part)})`, sql: (e) => likeSql(e, fn, c, part), ops: [fn, ...(wrap ? [wrap] : [])], from: [t] };
  }
  if (kind === 'case') {
    const dim = rng.pick(STRINGS);
    const fn = rng.pick(['tolower', 'toupper']);
    const op = rng.pick(['eq', 'ne', 'eq', 'gt', 'le']);
    const [v, t] = draw(rng, rows, dim);
    const s = rng.chance(0.8) ? (fn === 'tolower' ? String(v).toLowerCase() : String(v).toUpperCase()) : String(v);
    return { odata: `${fn}(${dim.name}) ${op} ${odataText(s)}`, sql: (e) => cmpSql(`${fn === 'tolower' ? 'LOWER' : 'UPPER'}(${dim.name})`, op, sqlText(e, s)), ops: [fn, op], from: [t] };
  }
  if (kind === 'part') {
    const dim = rng.pick(TIMES);
    const fn = rng.pick(['year', 'month', 'day', 'date']);
    const op = rng.pick(CMP);
    const r = rng.pick(rows);
    if (fn === 'date') {
      const d = r.order_date;
      return { odata: `date(${dim.name}) ${op} ${d}`, sql: (e) => cmpSql(`CAST(${dim.name} AS DATE)`, op, `CAST(${sqlText(e, d)} AS DATE)`), ops: [fn, op], from: [r.tenant_id] };
    }
    const n = Number(fn === 'year' ? r.order_date.slice(0, 4) : fn === 'month' ? r.order_date.slice(5, 7) : r.order_date.slice(8, 10));
    return { odata: `${fn}(${dim.name}) ${op} ${n}`, sql: () => cmpSql(`EXTRACT(${fn.toUpperCase()} FROM ${dim.name})`, op, String(n)), ops: [fn, op], from: [r.tenant_id] };
  }
  const form = rng.pick(['is_promo', 'is_promo eq true', 'is_promo eq false', 'is_promo ne true']);
  const sql = { is_promo: 'is_promo', 'is_promo eq true': 'is_promo = TRUE', 'is_promo eq false': 'is_promo = FALSE', 'is_promo ne true': '(is_promo <> TRUE OR is_promo IS NULL)' }[form]!;
  return { odata: form, sql: () => sql, ops: ['boolean'], from: [] };
}

/** A condition tree over dimensions: atoms joined with and/or, some negated. */
export function dimFilter(rng: Rng, rows: readonly OrderRow[], depth = 2): Cond {
  let c: Cond;
  if (depth === 0 || rng.chance(0.45)) {
    c = atom(rng, rows);
  } else {
    const [a, b] = [dimFilter(rng, rows, depth - 1), dimFilter(rng, rows, depth - 1)];
    const op = rng.pick(['and', 'or']);
    c = { odata: `(${a.odata}) ${op} (${b.odata})`, sql: (e) => `(${a.sql(e)}) ${op.toUpperCase()} (${b.sql(e)})`, ops: [...a.ops, ...b.ops, op], from: [...a.from, ...b.from] };
  }
  if (!rng.chance(0.15)) return c;
  const inner = c;
  return { odata: `not (${inner.odata})`, sql: (e) => `NOT (${inner.sql(e)})`, ops: [...inner.ops, 'not'], from: inner.from };
}

/** The entity set's dimension properties (grains as `<dim>_<grain>`), with their checks. */
const DIM_PROPS: readonly [string, Check][] = DIMS.flatMap((d): [string, Check][] => [
  [d.name, d.name === 'order_id' ? 'id' : d.name === 'amount' ? 'amount' : d.name === 'tenant_id' ? 'tenant' : 'none'],
  ...d.grains.map((g): [string, Check] => [`${d.name}_${g}`, 'none']),
]);
const WITNESS_DIMS = DIM_PROPS.filter(([, c]) => c !== 'none');
const METRIC_CHECKS: Record<string, Check> = {
  orders: 'count', revenue: 'revenue', min_amount: 'amount', max_amount: 'amount', units: 'none', tenant_count: 'tenants', avg_order: 'amount',
};

/** HAVING on metrics, with ids and amounts of any tenant. */
function having(rng: Rng, rows: readonly OrderRow[], names: readonly string[]): Cond {
  const r = rng.pick(rows);
  const name = rng.pick(names);
  const v = name === 'orders' ? rng.int(0, 30) : name.endsWith('_id') ? r.order_id : Number(r.amount) * (name === 'revenue' ? rng.int(1, 20) : 1);
  const op = rng.pick([...CMP, 'in']);
  const odata = op === 'in' ? `${name} in (${v},${rng.pick(rows).order_id})` : `${name} ${op} ${v}`;
  return { odata, sql: () => { throw new Error('HAVING is not for the oracle'); }, ops: [op], from: [r.tenant_id] };
}

const APPLY_ITEMS: readonly [string, string, Check][] = [
  ['min_id with min as lo', 'lo', 'id'], ['max_id with max as hi', 'hi', 'id'],
  ['order_id with min as first_id', 'first_id', 'id'], ['order_id with max as last_id', 'last_id', 'id'],
  ['$count as n', 'n', 'count'], ['orders with sum as n_orders', 'n_orders', 'count'],
  ['revenue with sum as rev', 'rev', 'revenue'], ['amount with max as top_amount', 'top_amount', 'amount'],
  ['amount with average as avg_amount', 'avg_amount', 'amount'], ['min_amount with min as low_amount', 'low_amount', 'amount'],
  ['tenant_id with countdistinct as tenants', 'tenants', 'tenants'], ['tenant_count with countdistinct as tc', 'tc', 'tenants'],
  ['quantity with sum as qty', 'qty', 'none'], ['max_id', 'max_id', 'id'],
];

export function generateCase(rng: Rng, sets: readonly string[], rows: readonly OrderRow[]): ODataCase {
  const set = rng.pick(sets);
  const params: [string, string][] = [];
  const checks: Record<string, Check> = {};
  const where = rng.chance(0.75) ? dimFilter(rng, rows) : null;
  const ops = [...(where?.ops ?? [])];
  const from = [...(where?.from ?? [])];
  const usesApply = rng.chance(0.4);
  let outputs: string[];
  if (usesApply) {
    const dims = rng.chance(0.75) ? rng.sample(DIM_PROPS, rng.int(1, 3)) : [];
    const items = [rng.pick(APPLY_ITEMS.slice(0, 4)), ...rng.sample(APPLY_ITEMS.slice(4), rng.int(0, 3))]
      .filter((x, i, all) => all.findIndex((y) => y[1] === x[1]) === i);
    for (const [name, c] of dims) checks[name] = c;
    for (const [, alias, c] of items) checks[alias] = c;
    const agg = `aggregate(${items.map(([text]) => text).join(',')})`;
    const step = dims.length > 0 ? `groupby((${dims.map(([n]) => n).join(',')}),${agg})` : agg;
    params.push(['$apply', `${where ? `filter(${where.odata})/` : ''}${step}`]);
    outputs = [...dims.map(([n]) => n), ...items.map(([, a]) => a)];
    const idAlias = items.find(([, , c]) => c === 'id')![1];
    if (rng.chance(0.2)) {
      // $filter after $apply: on an aggregate's alias (HAVING), with another tenant's id or a count.
      const [, alias, c] = rng.pick(items.filter(([, , k]) => k === 'id' || k === 'count'));
      const r = rng.pick(rows);
      const op = rng.pick(CMP);
      params.push(['$filter', `${alias} ${op} ${c === 'id' ? r.order_id : rng.int(0, 20)}`]);
      ops.push(op);
      if (c === 'id') from.push(r.tenant_id);
    }
    if (rng.chance(0.2)) {
      const keep = [idAlias, ...rng.sample(outputs.filter((o) => o !== idAlias), rng.int(0, 2))];
      params.push(['$select', keep.join(',')]);
      outputs = outputs.filter((o) => keep.includes(o));
    }
  } else {
    const distinct = rng.chance(0.25);
    const dims = rng.sample(DIM_PROPS, distinct ? rng.int(1, 3) : rng.int(0, 3));
    // Values only: most of them carry a witness of the tenant (an id, an amount, the tenant id).
    if (distinct && !dims.some(([, c]) => c !== 'none') && rng.chance(0.8)) dims.push(rng.pick(WITNESS_DIMS));
    const metrics = distinct ? [] : ['min_id', 'max_id', ...rng.sample(Object.keys(METRIC_CHECKS), rng.int(0, 3))];
    for (const [name, c] of dims) checks[name] = c;
    for (const m of metrics) checks[m] = METRIC_CHECKS[m] ?? 'id';
    outputs = [...new Set([...dims.map(([n]) => n), ...metrics])];
    params.push(['$select', outputs.join(',')]);
    const h = metrics.length > 0 && rng.chance(0.2) ? having(rng, rows, ['orders', 'min_id', 'max_id', 'revenue']) : null;
    if (h) ops.push(...h.ops);
    const f = [where?.odata, h?.odata].filter(Boolean);
    if (f.length > 0) params.push(['$filter', f.length === 1 ? f[0]! : f.map((x) => `(${x})`).join(' and ')]);
  }
  if (rng.chance(0.4) && outputs.length > 0) {
    params.push(['$orderby', rng.sample(outputs, rng.int(1, 2)).map((o) => `${o} ${rng.pick(['asc', 'desc'])}`).join(',')]);
  }
  const top = rng.chance(0.6) ? rng.int(1, 12) : null;
  if (top !== null) params.push(['$top', String(top)]);
  if (rng.chance(0.15)) params.push(['$skip', String(rng.int(1, 5))]);
  if (rng.chance(0.15)) params.push(['$count', 'true']);
  const pageSize = top !== null ? rng.int(1, 5) : rng.int(20, 60);
  return { set, params, pageSize, checks, where, usesApply, ops, from };
}

/** One row of totals for the same dimension filter: $apply or $select, in turn. */
export function totalsParams(c: ODataCase, viaApply: boolean): [string, string][] {
  if (viaApply) {
    return [['$apply', `${c.where ? `filter(${c.where.odata})/` : ''}aggregate($count as orders_n,revenue with sum as revenue_s,min_id with min as lo,max_id with max as hi)`]];
  }
  return [['$select', 'orders,revenue,min_id,max_id'], ...(c.where ? [['$filter', c.where.odata] as [string, string]] : [])];
}

export const queryString = (params: readonly (readonly [string, string])[]): string =>
  params.map(([k, v]) => `${k}=${encodeURIComponent(v)}`).join('&');
