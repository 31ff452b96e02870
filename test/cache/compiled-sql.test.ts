/**
 * The compiled-SQL cache of prepareQuery (keyed by principal + exact body text): reused
 * SQL is exactly what a fresh compile gives, tenants and an admin acting as different
 * tenants never share an entry, and planning (rights, scope) still runs on every call.
 */
import { describe, expect, it } from 'vitest';
import { QueryCache } from '../../src/cache/query-cache.ts';
import { loadCatalog, REPO_ROOT } from '../helpers/catalog.ts';
import { thrownGatewayError } from '../helpers/errors.ts';
import type { Principal } from '../../src/query/types.ts';
import { prepareQuery } from '../../src/service/query.ts';

const catalog = await loadCatalog(REPO_ROOT);

const analyst = (keyId: string, tenant: string): Principal => ({ keyId, tenant, role: 'analyst', isAdmin: false, allowedDatasets: null });
const acme = analyst('k_acme', 'acme_corp');
const globex = analyst('k_globex', 'globex_inc');
const admin: Principal = { keyId: 'k_admin', tenant: null, role: 'admin', isAdmin: true, allowedDatasets: null };
const text = '{"dataset":"orders","dimensions":["region"],"metrics":["revenue"],"filters":[{"field":"channel","op":"eq","values":["web"]}]}';
const body = (): unknown => JSON.parse(text);

describe('compiled SQL reused by body text', () => {
  it('gives, on a reuse, the very SQL and parameters a fresh compile gives, and the result key of that SQL', () => {
    for (const p of [acme, globex, admin, { ...admin, tenant: 'acme_corp' }]) {
      const first = prepareQuery(catalog, p, body(), text);
      const again = prepareQuery(catalog, p, body(), text);
      const fresh = prepareQuery(catalog, p, body());
      expect(again.compiled).toBe(first.compiled); // really reused
      expect(again.compiled).toEqual(fresh.compiled);
      expect(fresh.resultKey).toBeUndefined();
      expect(again.resultKey).toBe(QueryCache.keyFor({
        dataset: 'orders', source: fresh.plan.target.source, tenant: fresh.plan.target.tenant, sql: fresh.compiled.sql, parameters: fresh.compiled.parameters,
      }));
    }
  });

  it('never hands one tenant the SQL built for another, nor an admin acting as one tenant that of another', () => {
    const pairs: [Principal, Principal][] = [[acme, globex], [{ ...admin, tenant: 'acme_corp' }, { ...admin, tenant: 'globex_inc' }], [admin, { ...admin, tenant: 'globex_inc' }]];
    for (const [a, b] of pairs) {
      const x = prepareQuery(catalog, a, body(), text);
      const y = prepareQuery(catalog, b, body(), text);
      expect(y.compiled).toEqual(prepareQuery(catalog, b, body()).compiled);
      expect(y.compiled).not.toEqual(x.compiled);
      expect(y.resultKey).not.toBe(x.resultKey);
      if (b.tenant) expect(y.compiled.parameters).toContain(b.tenant);
      if (a.tenant) expect(y.compiled.parameters).not.toContain(a.tenant);
    }
  });

  it('still plans every call: a key not allowed the dataset is refused though the same body was cached for another', () => {
    prepareQuery(catalog, acme, body(), text);
    expect(thrownGatewayError(() => prepareQuery(catalog, { ...acme, allowedDatasets: ['customers'] }, body(), text)).status).toBe(403);
  });

  it('compiles every time when no text is given or the text is long', () => {
    const padded = `${text}${' '.repeat(5000)}`;
    const a = prepareQuery(catalog, acme, body(), padded);
    const b = prepareQuery(catalog, acme, body(), padded);
    expect(b.compiled).not.toBe(a.compiled);
    expect(b.compiled).toEqual(a.compiled);
    expect(prepareQuery(catalog, acme, body()).compiled).not.toBe(prepareQuery(catalog, acme, body()).compiled);
  });
});
