/**
 * The SQL each dialect compiles for every join case, pinned side by side; no database is
 * opened. execute.test.ts runs the same cases on the real engines against hand-written SQL,
 * so a snapshot cannot pin a bug unnoticed.
 */
import { describe, expect, it } from 'vitest';
import { planQuery } from '../../src/query/plan.ts';
import { compilePlan } from '../../src/sql/compile.ts';
import type { Engine } from '../helpers/seed.ts';
import { JOIN_CASES } from './cases.ts';
import { principalFor } from './principals.ts';
import { loadJoinCatalog, type Layout } from './fixture.ts';

const ENGINES: readonly Engine[] = ['postgres', 'mysql', 'duckdb'];
/** Fixed names: the snapshots show schema names; nothing is opened. */
const PREFIX = 'sgj_';


const catalogs = new Map<string, Awaited<ReturnType<typeof loadJoinCatalog>>['catalog']>();
for (const engine of ENGINES) {
  for (const layout of ['shared', 'schema', 'database'] as Layout[]) {
    catalogs.set(`${engine}/${layout}`, (await loadJoinCatalog(engine, layout, PREFIX, '/sgj')).catalog);
  }
}

describe('compiled join SQL per dialect', () => {
  for (const c of JOIN_CASES) {
    it(c.name, () => {
      for (const layout of c.layouts ?? ['shared', 'schema']) {
        for (const engine of ENGINES) {
          const plan = planQuery(catalogs.get(`${engine}/${layout}`)!, principalFor(c.as), c.query);
          const { sql, parameters } = compilePlan(plan);
          expect(`${sql}\n-- parameters: ${JSON.stringify(parameters)}`).toMatchSnapshot(`${layout} ${engine}`);
        }
      }
    });
  }
});
