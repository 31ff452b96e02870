/**
 * Faults of a database (issue 13, point 3), against the real engines through a TCP proxy the
 * test cuts: the source down is a 503 with Retry-After while other sources keep serving, it
 * recovers by itself, a busy pool waits a bounded time then 503, a query past timeout_ms is
 * gone from the server's process list and answered 504, and no request outlives its deadline
 * even when the network path goes silent.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { requireServices } from '../helpers/services.ts';
import type { HttpResult } from '../helpers/http.ts';
import { FAST, KEYS, SLOW, eventually, startFaultGateway, type FaultEngine, type FaultGateway, NO_CACHE, within } from './fixture.ts';

const [pgUp, myUp] = await Promise.all([requireServices('postgres'), requireServices('mysql')]);
const ENGINES: [FaultEngine, boolean][] = [['postgres', pgUp.ok], ['mysql', myUp.ok]];
const LOCAL = { dataset: 'local_orders', dimensions: ['region'], metrics: ['revenue'] };

function expect503(res: HttpResult, type: string): void {
  expect(res.status, res.text).toBe(503);
  expect(res.headers.get('content-type')).toMatch(/^application\/problem\+json/);
  expect(res.body).toMatchObject({ status: 503, type: `https://semgate.dev/errors/${type}` });
  expect(Number(res.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
  // Never the address, the password or the SQL.
  expect(res.text).not.toMatch(/127\.0\.0\.1|ECONN|sgf_|pg_sleep|SLEEP\(/);
}

for (const [engine, up] of ENGINES) {
  describe.skipIf(!up)(`${engine}: the source goes down and comes back`, () => {
    let f: FaultGateway;
    beforeAll(async () => {
      f = await startFaultGateway(engine, 'down', { sleepSeconds: 5 });
    });
    afterAll(async () => {
      await f?.close();
    });

    it('503 + Retry-After while it is down, other sources keep serving, and it recovers by itself', async () => {
      expect((await f.query(KEYS.a, FAST, NO_CACHE)).status).toBe(200);
      await f.proxy.stop();
      // The pool's idle connections are cut and new ones refused: both are 503, quickly.
      for (let i = 0; i < 3; i++) expect503(await within(15_000, f.query(KEYS.a, FAST, NO_CACHE)), 'unavailable');
      // Another source (DuckDB in process) answers as usual; /ready says which source is down.
      expect((await f.query(KEYS.a, LOCAL)).status).toBe(200);
      const ready = await within(15_000, f.req('GET', '/ready', { key: KEYS.admin }));
      expect(ready.status).toBe(503);
      // A cached answer is still served while the source is down.
      expect((await f.query(KEYS.a, FAST)).headers.get('x-cache')).toBe('HIT');

      await f.proxy.start(); // same port: "the database is back"
      // No restart, no reload: the next queries work again.
      expect(await eventually(async () => (await f.query(KEYS.b, FAST, NO_CACHE)).status === 200, 20_000, 200)).toBe(true);
      expect((await f.query(KEYS.a, FAST, NO_CACHE)).status).toBe(200);
      expect((await f.req('GET', '/ready', { key: KEYS.admin })).status).toBe(200);
    }, 90_000);

    it('a query running when the source goes away is a 503, not a hang', async () => {
      const running = f.query(KEYS.a, SLOW, NO_CACHE);
      expect(await eventually(async () => (await f.runningInDatabase()) > 0, 10_000, 50)).toBe(true);
      await f.proxy.stop();
      expect503(await within(15_000, running), 'unavailable');
      await f.proxy.start();
      expect(await eventually(async () => (await f.query(KEYS.a, FAST, NO_CACHE)).status === 200, 20_000, 200)).toBe(true);
    }, 90_000);
  });

  describe.skipIf(!up)(`${engine}: pool exhaustion waits a bounded time, then 503`, () => {
    let f: FaultGateway;
    beforeAll(async () => {
      // Two connections, but the caps let ten queries through: the third waits in the pool.
      f = await startFaultGateway(engine, 'pool', {
        sleepSeconds: 4, pool: '{ max: 2 }', limits: '{ max_concurrent: 10, max_concurrent_per_tenant: 10, queue_timeout_ms: 1000 }',
      });
    });
    afterAll(async () => {
      await f?.close();
    });

    it('answers 503 source.unavailable to the query that found no connection, and serves again once they free', async () => {
      const slow = [f.query(KEYS.a, SLOW, NO_CACHE), f.query(KEYS.b, SLOW, NO_CACHE)];
      expect(await eventually(async () => (await f.runningInDatabase()) === 2, 10_000, 50)).toBe(true);
      const third = await within(15_000, f.query(KEYS.c, FAST, NO_CACHE));
      expect503(third, 'unavailable');
      expect((await Promise.all(slow)).map((r) => r.status)).toEqual([200, 200]);
      expect((await f.query(KEYS.c, FAST, NO_CACHE)).status).toBe(200);
    }, 60_000);
  });

  describe.skipIf(!up)(`${engine}: a query past timeout_ms`, () => {
    let f: FaultGateway;
    beforeAll(async () => {
      f = await startFaultGateway(engine, 'timeout', { sleepSeconds: 20, timeoutMs: 500 });
    });
    afterAll(async () => {
      await f?.close();
    });

    it('is cancelled in the database and answered 504', async () => {
      const res = await within(15_000, f.query(KEYS.a, SLOW, NO_CACHE));
      expect(res.status, res.text).toBe(504);
      expect(res.body).toMatchObject({ status: 504, type: 'https://semgate.dev/errors/timeout' });
      expect(res.text).not.toMatch(/sgf_|pg_sleep|SLEEP\(/);
      // Gone from pg_stat_activity / the process list (the kill may take a moment to land).
      expect(await eventually(async () => (await f.runningInDatabase()) === 0, 10_000, 100)).toBe(true);
      expect((await f.query(KEYS.a, FAST, NO_CACHE)).status).toBe(200);
    }, 60_000);

    it('answers 504 within its deadline even when the network path goes silent', async () => {
      expect((await f.query(KEYS.a, FAST, NO_CACHE)).status).toBe(200); // a pooled connection, through the proxy
      f.proxy.stall();
      try {
        // The server's own timeout cannot reach us: the gateway's backstop answers and drops the connection.
        const res = await within(20_000, f.query(KEYS.a, SLOW, NO_CACHE));
        expect([503, 504]).toContain(res.status);
      } finally {
        f.proxy.unstall();
      }
      expect(await eventually(async () => (await f.query(KEYS.a, FAST, NO_CACHE)).status === 200, 20_000, 200)).toBe(true);
      // Whatever ran behind the silent path is stopped by the server's own timeout or kill.
      expect(await eventually(async () => (await f.runningInDatabase()) === 0, 40_000, 200)).toBe(true);
    }, 90_000);
  });
}
