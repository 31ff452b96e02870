/**
 * Every join case runs on every real engine (PostgreSQL, MariaDB, DuckDB) in every tenant
 * layout, and its rows must equal an analyst's hand-written SQL that aggregates each table
 * on its own; and the naive single-join SQL, which double counts, must differ (so the data
 * really fans out and the check can fail).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Catalog, FieldType } from '../../src/catalog/types.ts';
import { executePrepared, prepareQuery } from '../../src/service/query.ts';
import { SourceRegistry } from '../../src/sources/registry.ts';
import { requireServices } from '../helpers/services.ts';
import type { Engine } from '../helpers/seed.ts';
import { diffRows, normaliseAnswer, type Cell } from '../compiler/compare.ts';
import { JOIN_CASES, tenantSql } from './cases.ts';
import { LAYOUTS, loadJoinCatalog, seedStar, type Layout, type SeededStar } from './fixture.ts';
import { principalFor } from './principals.ts';

const available: Record<Engine, boolean> = {
  postgres: (await requireServices('postgres')).ok,
  mysql: (await requireServices('mysql')).ok,
  duckdb: true,
};

const sortRows = (rows: Cell[][]): Cell[][] => [...rows].sort((a, b) => JSON.stringify(a).localeCompare(JSON.stringify(b)));

for (const engine of ['postgres', 'mysql', 'duckdb'] as const) {
  describe.skipIf(!available[engine])(`joins on ${engine}: every case equals the hand-written SQL in every layout`, () => {
    let seeded: SeededStar | undefined;
    const catalogs = new Map<Layout, Catalog>();
    const registries = new Map<Layout, SourceRegistry>();
    const expected = new Map<string, Cell[][]>();

    beforeAll(async () => {
      seeded = await seedStar(engine, `sgj${process.pid}_`);
      for (const layout of LAYOUTS) catalogs.set(layout, (await loadJoinCatalog(engine, layout, seeded.prefix, seeded.duckDir)).catalog);
      for (const c of JOIN_CASES) {
        const { plan } = prepareQuery(catalogs.get('shared')!, principalFor(c.as), c.query);
        const types = [...plan.dimensions, ...plan.metrics].map((f) => f.type);
        const sql = typeof c.answer === 'string' ? c.answer : c.answer(engine);
        expected.set(c.name, normaliseAnswer(await seeded.main.query(sql), types));
      }
      // The fan-out is real: summing customers' credit over the joined orders counts a customer per order.
      const naive = await seeded.main.query(`SELECT SUM(c.credit_limit) AS s FROM jn_orders o JOIN jn_customers c ON c.customer_id = o.customer_id AND ${tenantSql('tenant_c', 'c')} WHERE ${tenantSql('tenant_c', 'o')}`);
      const once = await seeded.main.query(`SELECT SUM(c.credit_limit) AS s FROM jn_customers c WHERE ${tenantSql('tenant_c', 'c')} AND c.customer_id IN (SELECT customer_id FROM jn_orders o WHERE ${tenantSql('tenant_c', 'o')})`);
      expect(Number(naive[0]!['s'])).toBeGreaterThan(Number(once[0]!['s']));
      await seeded.release();
      for (const layout of LAYOUTS) registries.set(layout, new SourceRegistry(catalogs.get(layout)!.sources));
    }, 300_000);

    afterAll(async () => {
      await Promise.all([...registries.values()].map((r) => r.close()));
      await seeded?.drop();
    });

    for (const c of JOIN_CASES) {
      for (const layout of c.layouts ?? LAYOUTS) {
        it(`${layout}: ${c.name}`, async () => {
          const prepared = prepareQuery(catalogs.get(layout)!, principalFor(c.as), c.query);
          const result = await executePrepared(registries.get(layout)!, prepared);
          const types: FieldType[] = result.columns.map((col) => col.type);
          const actual = result.rows as Cell[][];
          const want = expected.get(c.name)!;
          const diff = c.ordered ? diffRows(actual, want, types) : diffRows(sortRows(actual), sortRows(want), types);
          expect(diff, `${c.name}\n${prepared.compiled.sql}`).toBeNull();
          expect(want.length, 'the answer has rows: the comparison is not vacuous').toBeGreaterThan(0);
          expect(result.meta.truncated).toBe(c.truncated ?? false);
        });
      }
    }
  });
}
