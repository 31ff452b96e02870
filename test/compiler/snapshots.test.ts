/**
 * The SQL each dialect compiles for every case, pinned side by side (kysely's testSql
 * style). No database is needed, so this never skips; execute.test.ts runs the very same
 * cases on the real engines, so a snapshot cannot pin a bug unnoticed.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import type { Catalog } from '../../src/catalog/types.ts';
import { planQuery } from '../../src/query/plan.ts';
import { compilePlan } from '../../src/sql/compile.ts';
import type { Engine } from '../helpers/seed.ts';
import { CASES, ENGINES, principalFor } from './cases.ts';
import { loadCompilerCatalog } from './layouts.ts';

const catalogs = new Map<Engine, Catalog>();

beforeAll(async () => {
  for (const engine of ENGINES) catalogs.set(engine, await loadCompilerCatalog(engine));
});

/** One readable block per dialect: the SQL, then its parameters. */
function compiled(engine: Engine, c: (typeof CASES)[number]): string {
  const plan = planQuery(catalogs.get(engine)!, principalFor(c.as), c.query);
  expect(plan.target.type).toBe(engine);
  const { sql, parameters } = compilePlan(plan);
  return `${sql}\n-- parameters: ${JSON.stringify(parameters)}`;
}

describe('compiled SQL per dialect', () => {
  it('has at least 30 cases, with unique names', () => {
    expect(CASES.length).toBeGreaterThanOrEqual(30);
    expect(new Set(CASES.map((c) => c.name)).size).toBe(CASES.length);
  });

  for (const c of CASES) {
    it(c.name, () => {
      for (const engine of ENGINES) expect(compiled(engine, c)).toMatchSnapshot(engine);
    });
  }
});
