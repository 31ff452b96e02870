/**
 * The compiled-SQL cache of prepareQuery (keyed by principal + the query's canonical text):
 * reused SQL is exactly what a fresh compile gives, the same query written in another
 * member order is a hit, tenants and an admin acting as different tenants never share an
 * entry, and planning (rights, scope) still runs on every call.
 */
import { describe, expect, it } from 'vitest';
import { QueryCache } from '../../src/cache/query-cache.ts';
import { loadCatalog, REPO_ROOT } from '../helpers/catalog.ts';
import { thrownGatewayError } from '../helpers/errors.ts';
import type { Principal } from '../../src/query/types.ts';
import { prepareQuery } from '../../src/service/query.ts';
import { compilePlan } from '../../src/sql/compile.ts';

const catalog = await loadCatalog(REPO_ROOT);

const analyst = (keyId: string, tenant: string): Principal => ({ keyId, tenant, role: 'analyst', isAdmin: false, allowedDatasets: null });
const acme = analyst('k_acme', 'acme_corp');
const globex = analyst('k_globex', 'globex_inc');
const admin: Principal = { keyId: 'k_admin', tenant: null, role: 'admin', isAdmin: true, allowedDatasets: null };
const text = '{"dataset":"orders","dimensions":["region"],"metrics":["revenue"],"filters":[{"field":"channel","op":"eq","values":["web"]}]}';
const body = (): unknown => JSON.parse(text);
/** The same query, members in another order and the default direction spelt out nowhere. */
const reordered = (): unknown => ({ filters: [{ values: ['web'], op: 'eq', field: 'channel' }], metrics: ['revenue'], dimensions: ['region'], dataset: 'orders' });

describe('compiled SQL reused by the query\'s meaning', () => {
  it('gives, on a reuse, the very SQL and parameters a fresh compile gives, and the result key of that SQL', () => {
    for (const p of [acme, globex, admin, { ...admin, tenant: 'acme_corp' }]) {
      const first = prepareQuery(catalog, p, body());
      const again = prepareQuery(catalog, p, reordered());
      expect(again.compile).toBe('hit');
      expect(again.compiled).toBe(first.compiled); // really reused
      const fresh = { plan: again.plan, compiled: compilePlan(again.plan) };
      expect(again.compiled).toEqual(fresh.compiled);
      expect(again.resultKey).toBe(QueryCache.keyFor({
        dataset: 'orders', source: fresh.plan.target.source, tenant: fresh.plan.target.tenant, sql: fresh.compiled.sql, parameters: fresh.compiled.parameters,
      }));
    }
  });

  it('never hands one tenant the SQL built for another, nor an admin acting as one tenant that of another', () => {
    const pairs: [Principal, Principal][] = [[acme, globex], [{ ...admin, tenant: 'acme_corp' }, { ...admin, tenant: 'globex_inc' }], [admin, { ...admin, tenant: 'globex_inc' }]];
    for (const [a, b] of pairs) {
      const x = prepareQuery(catalog, a, body());
      const y = prepareQuery(catalog, b, body());
      expect(y.compiled).toEqual(compilePlan(y.plan));
      expect(y.compiled).not.toEqual(x.compiled);
      expect(y.resultKey).not.toBe(x.resultKey);
      if (b.tenant) expect(y.compiled.parameters).toContain(b.tenant);
      if (a.tenant) expect(y.compiled.parameters).not.toContain(a.tenant);
    }
  });

  it('still plans every call: a key not allowed the dataset is refused though the same body was cached for another', () => {
    prepareQuery(catalog, acme, body());
    expect(thrownGatewayError(() => prepareQuery(catalog, { ...acme, allowedDatasets: ['customers'] }, body())).status).toBe(403);
  });

  it('tells a different query apart, however close: another value, another direction', () => {
    prepareQuery(catalog, acme, body());
    const other = prepareQuery(catalog, acme, { ...(body() as object), filters: [{ field: 'channel', op: 'eq', values: ['store'] }] });
    expect(other.compile).toBe('miss');
    expect(other.compiled.parameters).toContain('store');
    const desc = prepareQuery(catalog, acme, { ...(body() as object), order_by: [{ field: 'revenue', direction: 'desc' }] });
    const asc = prepareQuery(catalog, acme, { ...(body() as object), order_by: [{ field: 'revenue' }] });
    expect(asc.compiled.sql).not.toBe(desc.compiled.sql);
  });

  it('compiles every time when the query is long', () => {
    const long = { ...(body() as object), filters: [{ field: 'channel', op: 'in', values: Array.from({ length: 600 }, (_, i) => `channel_${i}`) }] };
    const a = prepareQuery(catalog, acme, long);
    const b = prepareQuery(catalog, acme, long);
    expect(b.compile).toBe('uncached');
    expect(b.compiled).not.toBe(a.compiled);
    expect(b.compiled).toEqual(a.compiled);
  });
});
