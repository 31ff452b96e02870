/**
 * The endpoints beside querying: POST /v1/query/sql (admin or explain keys only), and the
 * usage counters of /v1/usage and /v1/admin/usage, which must grow with real queries and
 * keep tenants apart.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  ENGINES, KEYS, TOTALS, availableEngines, expectNoLeak, expectProblem, num, rawTotals, startEngineGateway, type EngineGateway,
} from './gateway-fixture.ts';

const available = await availableEngines();
const BY_REGION = { dataset: 'orders', dimensions: ['region'], metrics: ['revenue'], filters: [{ field: 'channel', op: 'eq', values: ['web'] }] };
const USAGE_FIELDS = ['avg_response_ms', 'cache_hit_rate', 'date', 'errors', 'last_active', 'p95_response_ms', 'queries_today', 'rate_limit_hits', 'tenant'];

for (const engine of ENGINES) {
  describe.skipIf(!available[engine])(`${engine}: /v1/query/sql and usage`, () => {
    let g: EngineGateway;
    beforeAll(async () => {
      g = await startEngineGateway(engine, 'usage');
    });
    afterAll(async () => {
      await g?.close();
    });

    it('/v1/query/sql compiles for an admin and for a key with explain: true', async () => {
      const admin = await g.req('POST', '/v1/query/sql', { key: KEYS.admin, body: BY_REGION });
      expect(admin.status, admin.text).toBe(200);
      expect(admin.body).toMatchObject({ source: 'main', dialect: engine });
      expect(admin.body.sql).toMatch(/^select /i);
      expect(admin.body.parameters).toContain('web');
      const explain = await g.req('POST', '/v1/query/sql', { key: KEYS.globex, body: BY_REGION });
      expect(explain.status, explain.text).toBe(200);
      // The tenant reaches the SQL as a bound parameter, never as text.
      expect(explain.body.parameters).toContain('tenant_globex');
      expect(explain.body.sql).not.toContain('tenant_globex');
      expect(explain.body.sql).not.toContain("'web'");
      expect(explain.body.sql).not.toBe(admin.body.sql); // the admin's covers all tenants

      const asTenant = await g.req('POST', '/v1/query/sql', { key: KEYS.admin, body: BY_REGION, headers: { 'X-Tenant-Id': 'tenant_globex' } });
      expect(asTenant.body).toEqual(explain.body);
    });

    it('/v1/query/sql is 403 for other keys, and validates like /v1/query', async () => {
      for (const [key, tenant] of [[KEYS.acme, 'tenant_acme'], [KEYS.viewer, 'tenant_initech'], [KEYS.globexLimited, 'tenant_globex']] as const) {
        const res = await g.req('POST', '/v1/query/sql', { key, body: BY_REGION });
        expectProblem(res, 403, { ownTenant: tenant });
      }
      const unknown = await g.req('POST', '/v1/query/sql', { key: KEYS.globex, body: { dataset: 'orders', dimensions: ['regoin'] } });
      expect(expectProblem(unknown, 400)['field']).toBe('dimensions[0]');
      const hidden = await g.req('POST', '/v1/query/sql', { key: KEYS.admin, body: '{"dataset":' });
      expectProblem(hidden, 400);
      expect((await g.req('POST', '/v1/query/sql', { body: BY_REGION })).status).toBe(401);
    });

    it('/v1/usage counts the caller tenant\'s queries and errors, nobody else\'s', async () => {
      const before = await g.req('GET', '/v1/usage', { key: KEYS.globex });
      expect(before.status).toBe(200);
      expect(Object.keys(before.body).sort()).toEqual(USAGE_FIELDS);
      expect(before.body.tenant).toBe('tenant_globex');
      const acmeBefore = (await g.req('GET', '/v1/usage', { key: KEYS.acme })).body;

      // Two answered queries, one refused by the planner, and one by another tenant.
      for (let i = 0; i < 2; i++) expect((await g.req('POST', '/v1/query', { key: KEYS.globex, body: BY_REGION })).status).toBe(200);
      expect((await g.req('POST', '/v1/query', { key: KEYS.globexLimited, body: { dataset: 'orders', dimensions: ['regoin'] } })).status).toBe(400);
      expect((await g.req('POST', '/v1/query', { key: KEYS.acme, body: TOTALS })).status).toBe(200);

      const after = await g.req('GET', '/v1/usage', { key: KEYS.globex, auth: 'basic' });
      expect(after.body.queries_today).toBe(before.body.queries_today + 2);
      expect(after.body.errors).toBe(before.body.errors + 1);
      expect(after.body.date).toBe(new Date().toISOString().slice(0, 10));
      expect(Date.parse(after.body.last_active)).toBeGreaterThan(Date.now() - 60_000);
      expect(after.body.avg_response_ms).toBeGreaterThan(0);
      expect(after.body.p95_response_ms).toBeGreaterThan(0);
      expect(after.body.rate_limit_hits).toBe(0);
      expectNoLeak(after.text, 'tenant_globex');

      const acmeAfter = await g.req('GET', '/v1/usage', { key: KEYS.acmeOld });
      expect(acmeAfter.body.queries_today).toBe(acmeBefore.queries_today + 1);
      expectNoLeak(acmeAfter.text, 'tenant_acme');
    });

    it('an admin reads one tenant\'s usage with X-Tenant-Id, and needs one for /v1/usage', async () => {
      const own = await g.req('GET', '/v1/usage', { key: KEYS.globex });
      const admin = await g.req('GET', '/v1/usage', { key: KEYS.admin, headers: { 'X-Tenant-Id': 'tenant_globex' } });
      expect(admin.status).toBe(200);
      expect(admin.body).toEqual(own.body);

      const missing = await g.req('GET', '/v1/usage', { key: KEYS.admin });
      expect(expectProblem(missing, 400)['field']).toBe('X-Tenant-Id');

      // A query the admin runs as a tenant counts for that tenant, with that tenant's numbers.
      const viewerBefore = (await g.req('GET', '/v1/usage', { key: KEYS.viewer })).body.queries_today;
      const res = await g.req('POST', '/v1/query', { key: KEYS.admin, body: TOTALS, headers: { 'X-Tenant-Id': 'tenant_initech' } });
      expect(res.body.rows[0].map(num)).toEqual(await rawTotals(g, 'tenant_initech'));
      expect((await g.req('GET', '/v1/usage', { key: KEYS.viewer })).body.queries_today).toBe(viewerBefore + 1);
    });

    it('/v1/admin/usage lists every active tenant for admins only', async () => {
      await g.req('POST', '/v1/query', { key: KEYS.acme, body: TOTALS });
      const res = await g.req('GET', '/v1/admin/usage', { key: KEYS.admin, auth: 'x-api-key' });
      expect(res.status).toBe(200);
      const tenants = res.body.tenants as { tenant: string }[];
      expect(tenants.map((t) => t.tenant)).toEqual(['tenant_acme', 'tenant_globex', 'tenant_initech']);
      for (const [key, tenant] of [[KEYS.acme, 'tenant_acme'], [KEYS.globex, 'tenant_globex'], [KEYS.viewer, 'tenant_initech']] as const) {
        const own = (await g.req('GET', '/v1/usage', { key })).body;
        expect(tenants.find((t) => t.tenant === tenant)).toEqual(own);
        expect(own.queries_today).toBeGreaterThan(0);
      }
      for (const [key, tenant] of [[KEYS.acme, 'tenant_acme'], [KEYS.viewer, 'tenant_initech'], [KEYS.globex, 'tenant_globex']] as const) {
        const denied = await g.req('GET', '/v1/admin/usage', { key });
        expectProblem(denied, 403, { ownTenant: tenant });
      }
      // Acting as a tenant does not make an admin less of an admin here, nor a tenant more.
      expect((await g.req('GET', '/v1/admin/usage', { key: KEYS.admin, headers: { 'X-Tenant-Id': 'tenant_acme' } })).status).toBe(200);
      expect((await g.req('GET', '/v1/admin/usage')).status).toBe(401);
    });
  });
}
