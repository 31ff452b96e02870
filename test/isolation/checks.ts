/**
 * What every result and every compiled query must satisfy, whoever asked. Tenants own
 * disjoint order_id and amount ranges, so a single foreign row in a group moves its
 * MIN/MAX(order_id) out of the caller's range, and any order_id, amount or tenant_id
 * value in a row names the tenant it came from.
 */
import type { OrderRow } from '../helpers/seed.ts';
import type { QueryResult, Prepared } from '../../src/service/query.ts';
import type { Totals } from './oracle.ts';
import { toCents } from './oracle.ts';

export interface Ranges {
  readonly id: readonly [number, number];
  readonly amount: readonly [number, number];
  readonly rows: number;
}

export function rangesOf(rows: readonly OrderRow[], tenant: string): Ranges {
  const mine = rows.filter((r) => r.tenant_id === tenant);
  const ids = mine.map((r) => r.order_id);
  const amounts = mine.map((r) => Number(r.amount));
  return { id: [Math.min(...ids), Math.max(...ids)], amount: [Math.min(...amounts), Math.max(...amounts)], rows: mine.length };
}

/** Thrown with the seed and query: everything needed to replay a failure. */
export class IsolationViolation extends Error {}

const within = (v: number, [lo, hi]: readonly [number, number]): boolean => v >= lo - 1e-6 && v <= hi + 1e-6;

/**
 * Every value in `result` must come from the rows of `allowed` tenants (one tenant for a
 * tenant key, all of them for an admin reading a shared table).
 */
export function checkResult(result: QueryResult, allowed: readonly string[], ranges: ReadonlyMap<string, Ranges>, say: (m: string) => never): void {
  const mine = allowed.map((t) => ranges.get(t)!);
  const single = mine.length === 1 ? mine[0]! : null;
  const inSome = (v: number, pick: (r: Ranges) => readonly [number, number]): boolean => mine.some((r) => within(v, pick(r)));
  const col = new Map(result.columns.map((c, i) => [c.name, i]));
  const get = (row: readonly unknown[], name: string): number | null => {
    const i = col.get(name);
    return i === undefined || row[i] === null ? null : Number(row[i]);
  };
  result.rows.forEach((row, r) => {
    const at = `row ${r} ${JSON.stringify(row)}`;
    for (const name of ['order_id', 'min_id', 'max_id']) {
      const v = get(row, name);
      if (v !== null && !inSome(v, (x) => x.id)) say(`${name} ${v} is outside the order ids of ${allowed.join(',')} (${at})`);
    }
    for (const name of ['amount', 'min_amount', 'max_amount', ...(single ? ['avg_order'] : [])]) {
      const v = get(row, name);
      if (v !== null && !inSome(v, (x) => x.amount)) say(`${name} ${v} is outside the amounts of ${allowed.join(',')} (${at})`);
    }
    const tenantCol = col.get('tenant_id');
    if (tenantCol !== undefined && !allowed.includes(String(row[tenantCol]))) say(`tenant_id ${String(row[tenantCol])} in a result for ${allowed.join(',')} (${at})`);
    const orders = get(row, 'orders');
    const distinctTenants = get(row, 'tenant_count');
    if (distinctTenants !== null && distinctTenants > allowed.length) say(`tenant_count ${distinctTenants} > ${allowed.length} (${at})`);
    if (single && distinctTenants !== null && orders !== null && distinctTenants !== (orders > 0 ? 1 : 0)) {
      say(`tenant_count ${distinctTenants} with ${orders} orders (${at})`);
    }
    if (orders !== null && orders > mine.reduce((n, x) => n + x.rows, 0)) say(`orders ${orders} > the rows of ${allowed.join(',')} (${at})`);
    const revenue = get(row, 'revenue');
    if (single && orders !== null && revenue !== null
      && !within(revenue, [orders * single.amount[0], orders * single.amount[1]])) {
      say(`revenue ${revenue} of ${orders} orders is outside what ${allowed[0]}'s amounts allow (${at})`);
    }
  });
}

/** The totals query's single row: [orders, revenue, min_id, max_id]. */
export function totalsOf(result: QueryResult): Totals {
  const [row] = result.rows;
  if (result.rows.length !== 1 || !row) throw new IsolationViolation(`a totals query gave ${result.rows.length} rows`);
  return { orders: Number(row[0]), cents: toCents(row[1]) };
}

export function sumTotals(list: readonly Totals[]): Totals {
  return list.reduce((a, b) => ({ orders: a.orders + b.orders, cents: a.cents + b.cents }), { orders: 0, cents: 0 });
}

/** The 0-based parameter index of the placeholder at `offset` in `sql`. */
function parameterIndexAt(sqlText: string, offset: number, mysql: boolean): number {
  if (!mysql) return Number(/^\$(\d+)/.exec(sqlText.slice(offset))![1]) - 1;
  return (sqlText.slice(0, offset).match(/\?/g) ?? []).length;
}

/**
 * The compiled query reads only what the principal may: in a shared table its own tenant
 * as a bound parameter (and no tenant predicate for an admin reading all tenants), in a
 * schema layout its own schema and no other, in a database layout its own pool.
 */
export function checkCompiled(
  prepared: Prepared,
  tenant: string | null,
  ctx: { tenants: readonly string[]; schemaOf: (t: string) => string; valuesSent: ReadonlySet<unknown> },
  say: (m: string) => never,
): void {
  const { plan, compiled } = prepared;
  const { sql: text, parameters } = compiled;
  const mysql = plan.target.type === 'mysql';
  const layout = plan.dataset.layout.kind;
  const others = ctx.tenants.filter((t) => t !== tenant);
  for (const u of others) {
    if (text.includes(u)) say(`the SQL names another tenant '${u}': ${text}`);
    if (parameters.includes(u) && !ctx.valuesSent.has(u)) say(`a parameter is another tenant's id '${u}': ${JSON.stringify(parameters)}`);
  }
  if (tenant === null) {
    if (layout !== 'shared' || plan.scope.kind !== 'all-tenants') say(`an admin without tenant got scope ${plan.scope.kind} on a ${layout} dataset`);
    // The compiler's predicate is qualified with the scan alias; a user's filter is not.
    if (/["`]t["`]\.["`]tenant_id["`]/.test(text)) say(`an all-tenants query carries a tenant predicate: ${text}`);
    return;
  }
  if (plan.scope.kind !== 'tenant' || plan.scope.tenant !== tenant) say(`scope ${JSON.stringify(plan.scope)} for tenant ${tenant}`);
  if (layout === 'shared') {
    const m = (mysql ? /`t`\.`tenant_id` = \?/ : /"t"\."tenant_id" = (?=\$\d+)/).exec(text);
    if (!m) say(`no tenant predicate in ${text}`);
    const index = parameterIndexAt(text, m.index + m[0].length - (mysql ? 1 : 0), mysql);
    if (parameters[index] !== tenant) say(`the tenant predicate binds ${JSON.stringify(parameters[index])}, not ${tenant}`);
  } else if (layout === 'schema') {
    const q = mysql ? '`' : '"';
    if (!text.includes(`${q}${ctx.schemaOf(tenant)}${q}`)) say(`the SQL does not read schema ${ctx.schemaOf(tenant)}: ${text}`);
    for (const u of others) if (text.includes(ctx.schemaOf(u))) say(`the SQL reads another tenant's schema ${ctx.schemaOf(u)}`);
  } else if (layout === 'database') {
    const byName = plan.dataset.source === '{tenant}';
    const ok = byName ? plan.target.source === tenant && plan.target.tenant === null : plan.target.tenant === tenant;
    if (!ok) say(`database layout runs on ${JSON.stringify(plan.target)} for tenant ${tenant}`);
  } else {
    say(`unexpected layout ${layout}`);
  }
}
