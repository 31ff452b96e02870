/**
 * Every compiler case runs on every real engine (PostgreSQL, MariaDB, DuckDB) through
 * prepareQuery + executePrepared, and its rows must equal the case's hand-written answer
 * run on a raw connection over the same seeded data. Then the three engines must agree.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Catalog, FieldType } from '../../src/catalog/types.ts';
import { SourceRegistry } from '../../src/sources/registry.ts';
import { executePrepared, prepareQuery, type QueryResult } from '../../src/service/query.ts';
import { requireServices } from '../helpers/services.ts';
import type { Engine } from '../helpers/seed.ts';
import { answerFor } from './answer-sql.ts';
import { CASES, ENGINES, principalFor } from './cases.ts';
import { diffRows, normaliseAnswer, type Cell } from './compare.ts';
import { loadCompilerCatalog, seedLayouts, type SeededEngine } from './layouts.ts';

const available: Record<Engine, boolean> = {
  postgres: (await requireServices('postgres')).ok,
  mysql: (await requireServices('mysql')).ok,
  duckdb: true, // embedded: always runs
};

/** The gateway's results, per engine and case name, for the cross-engine check. */
const results = new Map<Engine, Map<string, QueryResult>>();

for (const engine of ENGINES) {
  describe.skipIf(!available[engine])(`${engine}: every case equals its hand-written answer`, () => {
    let seeded: SeededEngine | undefined;
    let registry: SourceRegistry | undefined;
    let catalog: Catalog;
    const expected = new Map<string, Cell[][] | Error>();
    const columnTypes = new Map<string, FieldType[]>();
    const mine = new Map<string, QueryResult>();
    results.set(engine, mine);

    beforeAll(async () => {
      seeded = await seedLayouts(engine);
      catalog = await loadCompilerCatalog(engine, seeded.duckdbDir);
      // All answers first, on the raw connection: DuckDB then frees its file for the gateway.
      for (const c of CASES) {
        const { plan } = prepareQuery(catalog, principalFor(c.as), c.query);
        const types = [...plan.dimensions, ...plan.metrics].map((f) => f.type);
        columnTypes.set(c.name, types);
        try {
          expected.set(c.name, normaliseAnswer(await seeded.main.query(answerFor(c.answer, engine)), types));
        } catch (err) {
          expected.set(c.name, err instanceof Error ? err : new Error(String(err)));
        }
      }
      await seeded.release();
      registry = new SourceRegistry(catalog.sources);
    }, 300_000); // another run on this server may hold the fixture's lock for a while

    afterAll(async () => {
      await registry?.close();
      await seeded?.drop();
    });

    for (const c of CASES) {
      it(c.name, async () => {
        const answer = expected.get(c.name);
        const types = columnTypes.get(c.name);
        if (answer === undefined || types === undefined) throw new Error(`no answer for ${c.name}: seeding failed`);
        if (answer instanceof Error) throw new Error(`the hand-written answer failed on ${engine}: ${answer.message}`);
        const prepared = prepareQuery(catalog, principalFor(c.as), c.query);
        const result = await executePrepared(registry!, prepared);
        mine.set(c.name, result);
        expect(result.columns.map((col) => col.name)).toEqual([...(c.query.dimensions ?? []), ...(c.query.metrics ?? [])]);
        expect(answer.length, 'a case whose answer is empty proves nothing').toBeGreaterThan(0);
        const diff = diffRows(result.rows, answer, types);
        expect(diff, `${c.name} on ${engine}`).toBeNull();
        expect(result.meta.truncated).toBe(c.truncated ?? false);
        expect(result.meta.row_count).toBe(result.rows.length);
      });
    }
  });
}

const running = ENGINES.filter((e) => available[e]);

describe.skipIf(running.length < 2)('the engines give the same rows for every case', () => {
  for (const c of CASES) {
    it(c.name, () => {
      const ran = ENGINES.filter((e) => results.get(e)?.has(c.name));
      expect(ran, 'engines whose query ran').toEqual(running);
      const [first, ...rest] = ran;
      const base = results.get(first!)!.get(c.name)!;
      for (const other of rest) {
        const r = results.get(other)!.get(c.name)!;
        expect(r.columns, `${other} vs ${first}`).toEqual(base.columns);
        // Exactly equal, except non-integer numbers: MySQL divides DECIMALs to
        // div_precision_increment (4) more digits, PostgreSQL to 16+, DuckDB in doubles.
        const diff = diffRows(r.rows, base.rows, base.columns.map((col) => col.type));
        expect(diff, `${c.name}: ${other} vs ${first}`).toBeNull();
        const strict = base.columns.every((col) => col.type !== 'number');
        if (strict) expect(r.rows, `${c.name}: ${other} vs ${first}`).toEqual(base.rows);
      }
    });
  }
});
