/** The join isolation suite (joins-suite.ts) on one engine, every layout: skipped loudly when the engine is down. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Engine } from '../helpers/seed.ts';
import { requireServices } from '../helpers/services.ts';
import { LAYOUTS } from '../joins/fixture.ts';
import { JOIN_QUERIES_PER_LAYOUT, joinIsolationSuite } from './joins-suite.ts';

export function joinIsolationTests(engine: Engine): void {
  const up = engine === 'duckdb' ? Promise.resolve(true) : requireServices(engine).then((s) => s.ok);
  describe(`tenant isolation through joins on ${engine}`, async () => {
    const ok = await up;
    const suite = joinIsolationSuite(engine);
    beforeAll(async () => { if (ok) await suite.setup(); }, 300_000);
    afterAll(async () => { if (ok) await suite.close(); });
    for (const layout of LAYOUTS) {
      it.skipIf(!ok)(`${layout}: ${JOIN_QUERIES_PER_LAYOUT} generated join queries as three tenants and the admin`, async () => {
        const nonEmpty = await suite.run(layout);
        // Most answers have rows: the checks above are about real data.
        expect(nonEmpty).toBeGreaterThan(JOIN_QUERIES_PER_LAYOUT);
      }, 600_000);
    }
  });
}
