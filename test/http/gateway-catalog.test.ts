/**
 * /ready and the catalog endpoints: readiness with a source up and down (admins alone see
 * source names), and /v1/datasets[/{name}] showing a key only what its role and allow-list
 * let it query.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ENGINES, KEYS, availableEngines, expectNoLeak, expectProblem, startEngineGateway, type EngineGateway } from './gateway-fixture.ts';

const available = await availableEngines();

/** Every dataset of test/fixtures/http/<engine>/catalog.yaml. */
const ALL = ['orders', 'completed_orders', 'channels', 'finance', 'orders_small', 'orders_slow', 'orders_down'];
/** What must never reach a client through the catalog endpoints: SQL, tables, sources. */
const HIDDEN = [/SUM\(|COUNT\(|MAX\(|NULLIF/, /is_promo = TRUE|quantity >= 5/, /sgh_|main\.orders|\.orders/, /"(source|table|sql|expr|rls)"/, /pg_sleep|SLEEP|range\(/];

function names(body: { datasets: { name: string }[] }): string[] {
  return body.datasets.map((d) => d.name).sort();
}

for (const engine of ENGINES) {
  describe.skipIf(!available[engine])(`${engine}: /ready and the catalog endpoints`, () => {
    let g: EngineGateway;
    let healthy: EngineGateway;
    beforeAll(async () => {
      [g, healthy] = await Promise.all([startEngineGateway(engine, 'cat'), startEngineGateway(engine, 'cat', { healthy: true })]);
    });
    afterAll(async () => {
      await Promise.all([g?.close(), healthy?.close()]);
    });

    it('/ready is 200 when every source answers; only admins see the sources', async () => {
      const admin = await healthy.req('GET', '/ready', { key: KEYS.admin });
      expect(admin.status, admin.text).toBe(200);
      expect(admin.body).toMatchObject({ status: 'ready', sources: { main: 'ok', down: 'ok' } });
      for (const key of [KEYS.acme, KEYS.viewer, KEYS.globexLimited]) {
        const res = await healthy.req('GET', '/ready', { key });
        expect(res.status).toBe(200);
        expect(res.body).toEqual({ status: 'ready' });
      }
    });

    it('/ready is 503 with Retry-After when a source is down; only admins see which', async () => {
      const admin = await g.req('GET', '/ready', { key: KEYS.admin });
      const p = expectProblem(admin, 503);
      expect(admin.headers.get('retry-after')).toMatch(/^\d+$/);
      expect(p['sources']).toEqual({ main: 'ok', down: 'down' });
      for (const key of [KEYS.acme, KEYS.viewer]) {
        const res = await g.req('GET', '/ready', { key, auth: 'x-api-key' });
        const q = expectProblem(res, 503);
        expect(res.headers.get('retry-after')).toMatch(/^\d+$/);
        expect(q).not.toHaveProperty('sources');
        expect(res.text).not.toMatch(/\b(main|down)\b/);
      }
    });

    it('/v1/datasets lists what the role and the allow-list permit, with labels and descriptions', async () => {
      expect(names((await g.req('GET', '/v1/datasets', { key: KEYS.admin })).body)).toEqual([...ALL].sort());
      expect(names((await g.req('GET', '/v1/datasets', { key: KEYS.acme })).body)).toEqual([...ALL].sort());
      expect(names((await g.req('GET', '/v1/datasets', { key: KEYS.viewer })).body)).toEqual(ALL.filter((d) => d !== 'finance').sort());
      expect(names((await g.req('GET', '/v1/datasets', { key: KEYS.globexLimited })).body)).toEqual(['orders']);

      const res = await g.req('GET', '/v1/datasets', { key: KEYS.acme, auth: 'basic' });
      expect(res.headers.get('content-type')).toMatch(/^application\/json/);
      const orders = (res.body.datasets as Record<string, unknown>[]).find((d) => d['name'] === 'orders');
      expect(orders).toEqual({ name: 'orders', label: 'Orders', description: 'One row per order' });
      // No label in the catalog: the name stands in; no description: null.
      expect((res.body.datasets as Record<string, unknown>[]).find((d) => d['name'] === 'channels'))
        .toEqual({ name: 'channels', label: 'channels', description: null });
      for (const re of HIDDEN) expect(res.text).not.toMatch(re);
    });

    it('/v1/datasets/{name} gives types, grains, segments and limits, without hidden fields', async () => {
      const analyst = await g.req('GET', '/v1/datasets/orders', { key: KEYS.acme });
      expect(analyst.status).toBe(200);
      const dims = analyst.body.dimensions as { name: string; type: string; time_grains: string[] }[];
      const metrics = analyst.body.metrics as { name: string; type: string }[];
      expect(dims.map((d) => d.name)).toEqual(['region', 'channel', 'status', 'note', 'order_date', 'ordered_at', 'is_promo', 'quantity']);
      expect(dims.find((d) => d.name === 'order_date')).toMatchObject({ type: 'date', time_grains: ['day', 'week', 'month', 'quarter', 'year'] });
      expect(dims.find((d) => d.name === 'ordered_at')).toMatchObject({ type: 'timestamp', time_grains: ['hour', 'day'] });
      expect(dims.find((d) => d.name === 'region')).toMatchObject({ type: 'string', description: 'Sales region', time_grains: [] });
      expect(metrics.map((m) => [m.name, m.type])).toEqual([
        ['revenue', 'number'], ['order_count', 'integer'], ['units', 'integer'], ['max_amount', 'number'], ['avg_order_value', 'number'],
      ]);
      expect(analyst.body.segments.map((s: { name: string }) => s.name)).toEqual(['promo', 'bulk']);
      expect(analyst.body.limits).toEqual({ max_rows: 100000, default_limit: 1000 });
      for (const re of HIDDEN) expect(analyst.text).not.toMatch(re);

      // The viewer's role may not see `note` and `max_amount`: they are not listed at all.
      const viewer = await g.req('GET', '/v1/datasets/orders', { key: KEYS.viewer });
      expect(viewer.body.dimensions.map((d: { name: string }) => d.name)).not.toContain('note');
      expect(viewer.body.metrics.map((m: { name: string }) => m.name)).toEqual(['revenue', 'order_count', 'units', 'avg_order_value']);
      expect(viewer.text).not.toMatch(/note|max_amount/);

      const small = await g.req('GET', '/v1/datasets/orders_small', { key: KEYS.acme });
      expect(small.body.limits).toEqual({ max_rows: 5, default_limit: 5 });
    });

    it('/v1/datasets/{name} is 403 for a dataset the key may not see', async () => {
      for (const [key, name, tenant] of [
        [KEYS.viewer, 'finance', 'tenant_initech'],
        [KEYS.globexLimited, 'completed_orders', 'tenant_globex'],
        [KEYS.globexLimited, 'channels', 'tenant_globex'],
      ] as const) {
        const res = await g.req('GET', `/v1/datasets/${name}`, { key });
        expect(expectProblem(res, 403, { ownTenant: tenant })['field']).toBe('dataset');
        expect(res.text).not.toMatch(/dimensions|metrics|revenue/);
      }
      // The admin sees every dataset, whatever its roles.
      expect((await g.req('GET', '/v1/datasets/finance', { key: KEYS.admin })).status).toBe(200);
    });

    it('/v1/datasets/{name} is 400 for an unknown name, suggesting only visible datasets', async () => {
      const res = await g.req('GET', '/v1/datasets/ordrs', { key: KEYS.acme });
      const p = expectProblem(res, 400);
      expect(p['field']).toBe('dataset');
      expect(p['detail']).toMatch(/'orders'/);
      // The viewer is not told that `finance` exists.
      const viewer = await g.req('GET', '/v1/datasets/financ', { key: KEYS.viewer });
      expectProblem(viewer, 400);
      expect(viewer.text).not.toContain('finance');
      const limited = await g.req('GET', '/v1/datasets/channel', { key: KEYS.globexLimited });
      expectProblem(limited, 400);
      expect(limited.text).not.toContain('channels');
    });

    it('answers 404 for an unknown path or method', async () => {
      for (const [method, path, key] of [
        ['GET', '/nope', undefined], ['GET', '/v1/nope', KEYS.acme], ['GET', '/v1/datasets/orders/extra', KEYS.acme],
        ['DELETE', '/v1/datasets', KEYS.acme], ['GET', '/v1/query', KEYS.acme], ['POST', '/health', undefined],
      ] as const) {
        const res = await g.req(method, path, { key });
        const p = expectProblem(res, 404);
        expect(p['detail']).toContain(path);
        expectNoLeak(res.text);
      }
    });
  });
}
