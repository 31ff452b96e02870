/**
 * Who the gateway lets in, and as whom: the three ways of sending a key, 401 for every
 * kind of bad key, rotation overlap, admin impersonation with X-Tenant-Id, and the
 * request id that ties a response to the logs. Real server, real engines.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  ENGINES, KEYS, TENANTS, TOTALS, availableEngines, expectNoLeak, expectProblem, num, rawTotals, startEngineGateway,
  type EngineGateway,
} from './gateway-fixture.ts';
import type { AuthMethod } from '../helpers/http.ts';

const available = await availableEngines();
const WWW_AUTHENTICATE = 'Basic realm="semgate", Bearer';
const UUID_V7 = /^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

for (const engine of ENGINES) {
  describe.skipIf(!available[engine])(`${engine}: authentication over HTTP`, () => {
    let g: EngineGateway;
    beforeAll(async () => {
      g = await startEngineGateway(engine, 'auth');
    });
    afterAll(async () => {
      await g?.close();
    });

    /** TOTALS as the given key, as numbers. */
    async function totals(key: string, auth: AuthMethod = 'bearer', headers: Record<string, string> = {}): Promise<number[]> {
      const res = await g.req('POST', '/v1/query', { key, auth, body: TOTALS, headers });
      expect(res.status, res.text).toBe(200);
      return (res.body.rows[0] as unknown[]).map(num);
    }

    it('/health needs no key', async () => {
      const res = await g.req('GET', '/health');
      expect(res.status).toBe(200);
      expect(res.body).toEqual({ status: 'ok' });
      expect(res.headers.get('x-request-id')).toMatch(UUID_V7);
    });

    it('accepts the key as Bearer, X-API-Key, and Basic password with any user name', async () => {
      const expected = await rawTotals(g, 'tenant_acme');
      expect(expected[0]).toBeGreaterThan(0);
      expect(await totals(KEYS.acme, 'bearer')).toEqual(expected);
      expect(await totals(KEYS.acme, 'x-api-key')).toEqual(expected);
      for (const user of ['powerbi', 'someone@example.com', '']) {
        const res = await g.req('POST', '/v1/query', { key: KEYS.acme, auth: 'basic', user, body: TOTALS });
        expect(res.status, res.text).toBe(200);
        expect((res.body.rows[0] as unknown[]).map(num)).toEqual(expected);
      }
      // The scheme name is case-insensitive (RFC 7235).
      const lower = await g.req('GET', '/v1/datasets', { headers: { Authorization: `bearer ${KEYS.acme}` } });
      expect(lower.status).toBe(200);
    });

    it('answers 401 with WWW-Authenticate for a missing, unknown, expired or disabled key', async () => {
      const cases: { name: string; headers: Record<string, string> }[] = [
        { name: 'no key', headers: {} },
        { name: 'empty bearer', headers: { Authorization: 'Bearer ' } },
        { name: 'unknown scheme', headers: { Authorization: `Token ${KEYS.acme}` } },
        { name: 'empty X-API-Key', headers: { 'X-API-Key': '' } },
        { name: 'unknown key', headers: { Authorization: 'Bearer sgh-not-a-key' } },
        { name: 'key with a changed letter', headers: { 'X-API-Key': `${KEYS.acme.slice(0, -1)}X` } },
        { name: 'expired', headers: { Authorization: `Bearer ${KEYS.acmeExpired}` } },
        { name: 'disabled', headers: { 'X-API-Key': KEYS.acmeDisabled } },
        { name: 'basic, empty password', headers: { Authorization: `Basic ${Buffer.from(`powerbi:`).toString('base64')}` } },
        { name: 'basic, no colon', headers: { Authorization: `Basic ${Buffer.from(KEYS.acme).toString('base64')}` } },
      ];
      for (const c of cases) {
        for (const [method, path] of [['GET', '/v1/datasets'], ['POST', '/v1/query'], ['GET', '/ready'], ['GET', '/v1/usage']] as const) {
          const res = await g.req(method, path, { headers: c.headers, body: method === 'POST' ? TOTALS : undefined });
          expect(res.status, `${c.name} ${method} ${path}`).toBe(401);
          expect(res.headers.get('www-authenticate'), c.name).toBe(WWW_AUTHENTICATE);
          const p = expectProblem(res, 401);
          // A key, even a bad one, is never echoed.
          for (const k of Object.values(KEYS)) expect(res.text).not.toContain(k);
          expect(p['detail']).toBeTruthy();
        }
      }
      const expired = await g.req('GET', '/v1/datasets', { key: KEYS.acmeExpired });
      expect(expired.body.detail).toMatch(/expired/i);
    });

    it('serves both keys of a tenant during rotation, with the same numbers', async () => {
      const expected = await rawTotals(g, 'tenant_acme');
      expect(await totals(KEYS.acme)).toEqual(expected);
      expect(await totals(KEYS.acmeOld)).toEqual(expected);
      expect(await totals(KEYS.acmeOld, 'basic')).toEqual(expected);
      // The expired key of the same tenant does not.
      expect((await g.req('POST', '/v1/query', { key: KEYS.acmeExpired, body: TOTALS })).status).toBe(401);
    });

    it('gives each key its own tenant only', async () => {
      expect(await totals(KEYS.globex)).toEqual(await rawTotals(g, 'tenant_globex'));
      expect(await totals(KEYS.viewer)).toEqual(await rawTotals(g, 'tenant_initech'));
      expect(await totals(KEYS.acme)).not.toEqual(await totals(KEYS.globex));
    });

    it('lets an admin act as any tenant with X-Tenant-Id, and see all tenants without it', async () => {
      expect(await totals(KEYS.admin)).toEqual(await rawTotals(g, null));
      for (const tenant of TENANTS) {
        const expected = await rawTotals(g, tenant);
        expect(await totals(KEYS.admin, 'bearer', { 'X-Tenant-Id': tenant })).toEqual(expected);
        expect(await totals(KEYS.admin, 'basic', { 'X-Tenant-Id': tenant })).toEqual(expected);
      }
      // A tenant without any rows is a valid id with empty totals, not an error.
      const [count] = await totals(KEYS.admin, 'bearer', { 'X-Tenant-Id': 'tenant_nobody' });
      expect(count).toBe(0);
    });

    it('refuses X-Tenant-Id from a non-admin key, even naming its own tenant (403)', async () => {
      const cases = [
        { key: KEYS.acme, tenant: 'tenant_acme' },
        { key: KEYS.acme, tenant: 'tenant_globex' },
        { key: KEYS.acmeOld, tenant: 'tenant_initech' },
        { key: KEYS.viewer, tenant: 'tenant_initech' },
        { key: KEYS.globex, tenant: 'not valid!' },
      ];
      for (const c of cases) {
        for (const [method, path] of [['POST', '/v1/query'], ['GET', '/v1/datasets'], ['GET', '/v1/usage']] as const) {
          const res = await g.req(method, path, { key: c.key, body: method === 'POST' ? TOTALS : undefined, headers: { 'X-Tenant-Id': c.tenant } });
          const p = expectProblem(res, 403, { ownTenant: c.key === KEYS.viewer ? 'tenant_initech' : undefined });
          expect(p['field']).toBe('X-Tenant-Id');
        }
      }
    });

    it('answers 400 to an admin X-Tenant-Id that is not a valid tenant id', async () => {
      for (const tenant of ['bad tenant', "t'; DROP TABLE x; --", 'a'.repeat(65), 'tenant.acme', '']) {
        const res = await g.req('POST', '/v1/query', { key: KEYS.admin, body: TOTALS, headers: { 'X-Tenant-Id': tenant } });
        const p = expectProblem(res, 400);
        expect(p['field']).toBe('X-Tenant-Id');
        expect(res.text).not.toContain('DROP TABLE');
      }
    });

    it("echoes the caller's X-Request-Id, and makes one otherwise", async () => {
      const mine = 'sgh-trace_0123=abc';
      const ok = await g.req('POST', '/v1/query', { key: KEYS.acme, body: TOTALS, headers: { 'X-Request-Id': mine } });
      expect(ok.headers.get('x-request-id')).toBe(mine);
      expect(ok.body.meta.request_id).toBe(mine);
      const denied = await g.req('GET', '/v1/datasets', { headers: { 'X-Request-Id': mine } });
      expect(expectProblem(denied, 401)['request_id']).toBe(mine);

      const a = await g.req('POST', '/v1/query', { key: KEYS.acme, body: TOTALS });
      const b = await g.req('POST', '/v1/query', { key: KEYS.acme, body: TOTALS });
      expect(a.headers.get('x-request-id')).toMatch(UUID_V7);
      expect(a.body.meta.request_id).toBe(a.headers.get('x-request-id'));
      expect(b.headers.get('x-request-id')).not.toBe(a.headers.get('x-request-id'));

      // An id that is not short and plain is replaced, not echoed.
      for (const bad of ['has spaces in it', 'x'.repeat(129), '<script>']) {
        const res = await g.req('GET', '/v1/datasets', { key: KEYS.acme, headers: { 'X-Request-Id': bad } });
        expect(res.status).toBe(200);
        expect(res.headers.get('x-request-id')).toMatch(UUID_V7);
        expectNoLeak(res.text, 'tenant_acme');
      }
    });
  });
}
