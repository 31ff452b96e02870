/**
 * `semgate validate --connect` on what a new user copies first: the demo (repository root)
 * and each of examples/*, seeded from its own seed.sql as its README says, reports
 * nothing, and every templated dataset is checked for every tenant of its api-keys.yaml.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import mysql from 'mysql2/promise';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/catalog/load.ts';
import type { Source } from '../../src/catalog/types.ts';
import { checkLive } from '../../src/service/live-check.ts';
import { createDuckdbExecutor } from '../../src/sources/duckdb.ts';
import { createMysqlExecutor } from '../../src/sources/mysql.ts';
import { createPostgresExecutor } from '../../src/sources/postgres.ts';
import { SourceRegistry } from '../../src/sources/registry.ts';
import type { Executor } from '../../src/sources/types.ts';
import { listIssues } from '../catalog/helpers.ts';
import { rawPostgres, type RawSql } from '../helpers/seed.ts';
import { requireServices, services } from '../helpers/services.ts';

const pid = process.pid;
const pgDb = (name: string): string => `sgx_lc_${name}_${pid}`;
const myPrefix = `sgx_lc_${pid}_`;

/**
 * Real pools that note what the check sent and how many rows came back: the check must
 * read no row of any tenant (every statement is `LIMIT 0`, or the ping's `SELECT 1`).
 */
function recordingRegistry(sources: ReadonlyMap<string, Source>): { registry: SourceRegistry; sent: { sql: string; rows: number }[] } {
  const sent: { sql: string; rows: number }[] = [];
  const real = { postgres: createPostgresExecutor, mysql: createMysqlExecutor, duckdb: createDuckdbExecutor };
  const registry = new SourceRegistry(sources, {
    createExecutor: (source, tenant): Executor => {
      const e = real[source.type](source, tenant);
      return { ...e, run: async (req) => {
        const result = await e.run(req);
        sent.push({ sql: req.sql, rows: result.rows.length });
        return result;
      } };
    },
  });
  return { registry, sent };
}

const readsNoRow = (sent: readonly { sql: string; rows: number }[]): void => {
  expect(sent.length).toBeGreaterThan(0);
  for (const s of sent) {
    if (s.sql === 'SELECT 1') continue;
    expect(s.sql).toMatch(/ limit (0|\$\d+|\?)$/);
    expect(s.rows, s.sql).toBe(0);
  }
};

/** PostgreSQL seeds create their database and `\connect` to it: we run what follows in our own. */
function pgSeedBody(dir: string): string {
  const parts = readFileSync(path.join(dir, 'seed.sql'), 'utf8').split(/^\\connect \w+$/m);
  expect(parts).toHaveLength(2);
  return parts[1]!;
}

describe('validate --connect on the demo', () => {
  it('reports nothing', async () => {
    const { catalog } = await loadConfig('.', { env: {} });
    const { registry, sent } = recordingRegistry(catalog!.sources);
    const live = await checkLive(catalog!, { registry });
    await registry.close();
    expect(live.issues, listIssues(live.issues)).toEqual([]);
    expect(live.statements).toBeGreaterThan(20);
    readsNoRow(sent); // the demo's tables hold 120,000 orders of three tenants
  }, 120_000);
});

const up = await requireServices('postgres', 'mysql');

describe.skipIf(!up.ok)('validate --connect on examples/*, seeded', () => {
  let pgAdmin: RawSql;
  let my: mysql.Connection;

  beforeAll(async () => {
    pgAdmin = await rawPostgres();
    for (const name of ['shared', 'schema'] as const) {
      await pgAdmin.exec(`DROP DATABASE IF EXISTS ${pgDb(name)}`);
      await pgAdmin.exec(`CREATE DATABASE ${pgDb(name)}`);
      const raw = await rawPostgres(pgDb(name));
      await raw.exec(pgSeedBody(`examples/${name}-postgres`));
      await raw.close();
    }
    my = await mysql.createConnection({ ...services.mysql, multipleStatements: true });
    await my.query(readFileSync('examples/database-mariadb/seed.sql', 'utf8').replaceAll('shop_', myPrefix));
  }, 120_000);

  afterAll(async () => {
    for (const name of ['shared', 'schema']) await pgAdmin?.exec(`DROP DATABASE IF EXISTS ${pgDb(name)} WITH (FORCE)`);
    for (const db of ['acme', 'globex', 'initech', 'reference']) await my?.query(`DROP DATABASE IF EXISTS ${myPrefix}${db}`);
    await pgAdmin?.close();
    await my?.end();
  });

  it.each([
    ['examples/shared-postgres', { SHARED_DB: pgDb('shared') }],
    ['examples/schema-postgres', { SCHEMAS_DB: pgDb('schema') }],
    ['examples/database-mariadb', { SHOP_DB_PREFIX: myPrefix }],
  ])('%s reports nothing, for every tenant', async (dir, env) => {
    const { catalog, issues } = await loadConfig(dir, { env: { ...process.env, ...env } });
    expect(issues.filter((i) => i.severity === 'error')).toEqual([]);
    const { registry, sent } = recordingRegistry(catalog!.sources);
    const live = await checkLive(catalog!, { registry });
    await registry.close();
    expect(live.issues, listIssues(live.issues)).toEqual([]);
    expect(live.tenants).toEqual(expect.arrayContaining(['acme', 'globex', 'initech']));
    readsNoRow(sent); // seeded with every tenant's rows
  }, 120_000);

  it('the same example unseeded for one tenant names that tenant', async () => {
    await my.query(`DROP DATABASE IF EXISTS ${myPrefix}initech`);
    const { catalog } = await loadConfig('examples/database-mariadb', { env: { ...process.env, SHOP_DB_PREFIX: myPrefix } });
    const live = await checkLive(catalog!);
    expect(live.issues.map((i) => `${i.field}: ${i.message}`)).toEqual([
      expect.stringMatching(new RegExp(`^sources\\[0\\]\\.connection\\.database: cannot connect to source 'shop'.*Unknown database '${myPrefix}initech'.*\\(tenant initech\\)$`)),
    ]);
  }, 120_000);
});
