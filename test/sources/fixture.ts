/**
 * One table, one query and one expected result shared by the three engine suites: the
 * point is that every engine gives exactly the same JSON for the same data.
 */
import type { FieldType, Source, SourceType } from '../../src/catalog/types.ts';
import { expect, it } from 'vitest';
import type { ExecRequest, Executor } from '../../src/sources/types.ts';

export function makeSource(
  type: SourceType,
  connection: Source['connection'],
  overrides: Partial<Omit<Source, 'type' | 'connection'>> = {},
): Source {
  return {
    name: `test_${type}`,
    type,
    connection,
    perTenant: Object.values(connection).some((v) => typeof v === 'string' && v.includes('{tenant}')),
    pool: { max: 4, idleTimeoutMs: 10_000, maxTenantPools: 8 },
    limits: { maxConcurrent: 4, maxConcurrentPerTenant: 2, queueTimeoutMs: 5_000 },
    readOnly: false,
    nativeRls: null,
    initSql: null,
    ...overrides,
  };
}

export function req(
  sql: string,
  columnTypes: readonly FieldType[],
  parameters: readonly unknown[] = [],
  options: { timeoutMs?: number; tenant?: string | null } = {},
): ExecRequest {
  return { sql, parameters, columnTypes, timeoutMs: options.timeoutMs ?? 10_000, tenant: options.tenant ?? null };
}

export { gatewayError } from '../helpers/errors.ts';

const COLUMN_TYPES: Record<SourceType, string> = {
  postgres: 'id int, s text, i int, big bigint, amt numeric(38,4), dbl double precision, flag boolean, d date, ts timestamp(6)',
  mysql: 'id int, s varchar(100), i int, big bigint, amt decimal(38,4), dbl double, flag boolean, d date, ts datetime(6)',
  duckdb: 'id int, s varchar, i int, big bigint, amt decimal(38,4), dbl double, flag boolean, d date, ts timestamp',
};

const ROWS = [
  `(1, 'alpha', 42, 9007199254740993, 12345678901234567890123.4567, 3.25, true, '2024-01-31', '2024-01-31 12:34:56.789123')`,
  `(2, 'β unicode ''quote', -7, -9223372036854775807, -98765432109876543210.5000, -0.5, false, '1999-12-31', '2000-02-29 23:59:59')`,
  `(3, 'gamma', 0, 123, 1234.5000, 0.001, true, '2024-02-29', '2024-02-29 00:00:00')`,
  `(4, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL)`,
];

/** Statements that create and fill `table` (one statement each: mysql2 sends one at a time). */
export function setupStatements(type: SourceType, table: string): string[] {
  const suffix = type === 'mysql' ? ' DEFAULT CHARSET=utf8mb4' : '';
  return [
    `DROP TABLE IF EXISTS ${table}`,
    `CREATE TABLE ${table} (${COLUMN_TYPES[type]})${suffix}`,
    `INSERT INTO ${table} VALUES ${ROWS.join(', ')}`,
  ];
}

export const SCALAR_TYPES: readonly FieldType[] = [
  'integer', 'string', 'integer', 'integer', 'number', 'number', 'boolean', 'date', 'timestamp',
];

export function scalarQuery(table: string): string {
  return `SELECT id, s, i, big, amt, dbl, flag, d, ts FROM ${table} ORDER BY id`;
}

export const SCALAR_ROWS = [
  [1, 'alpha', 42, '9007199254740993', '12345678901234567890123.4567', 3.25, true, '2024-01-31', '2024-01-31T12:34:56.789Z'],
  [2, "β unicode 'quote", -7, '-9223372036854775807', '-98765432109876543210.5', -0.5, false, '1999-12-31', '2000-02-29T23:59:59.000Z'],
  [3, 'gamma', 0, 123, 1234.5, 0.001, true, '2024-02-29', '2024-02-29T00:00:00.000Z'],
  [4, null, null, null, null, null, null, null, null],
];

export const AGGREGATE_TYPES: readonly FieldType[] = ['integer', 'integer', 'number', 'number', 'date', 'timestamp'];

export function aggregateQuery(table: string): string {
  return `SELECT COUNT(*), SUM(i), SUM(amt), SUM(big), MIN(d), MAX(ts) FROM ${table}`;
}

export const AGGREGATE_ROW = [
  4, 35, '12246913469124691348147.4567', '-9214364837600034691', '1999-12-31', '2024-02-29T00:00:00.000Z',
];

/** The n-th (1-based) placeholder in the engine's style. */
export function placeholder(type: SourceType, n: number): string {
  return type === 'mysql' ? '?' : `$${n}`;
}

/** Filters through bound parameters: a date (cast as the compiler writes it), a string
 * with a quote, a boolean. Expected ids: [2] then [1, 3]. */
export function parameterQueries(type: SourceType, table: string) {
  const p = (n: number) => placeholder(type, n);
  return [
    { sql: `SELECT id FROM ${table} WHERE s = ${p(1)} ORDER BY id`, parameters: ["β unicode 'quote"], ids: [2] },
    {
      sql: `SELECT id FROM ${table} WHERE d >= CAST(${p(1)} AS DATE) AND flag = ${p(2)} ORDER BY id`,
      parameters: ['2024-01-01', true],
      ids: [1, 3],
    },
    { sql: `SELECT id FROM ${table} WHERE dbl > ${p(1)} AND i < ${p(2)} ORDER BY id`, parameters: [0.0005, 43], ids: [1, 3] },
  ];
}

/**
 * The contract every executor meets, declared once for the three engine files: rows of
 * every type normalised to the shared expectation, and parameters bound. `exec` is read
 * when the test runs (each file creates its executor in beforeAll).
 */
export function itMeetsTheSharedContract(type: SourceType, table: string, exec: () => Executor): void {
  it('normalises every type to the shared expectation', async () => {
    expect((await exec().run(req(scalarQuery(table), SCALAR_TYPES))).rows).toEqual(SCALAR_ROWS);
    expect((await exec().run(req(aggregateQuery(table), AGGREGATE_TYPES))).rows).toEqual([AGGREGATE_ROW]);
  });

  it('binds parameters', async () => {
    for (const q of parameterQueries(type, table)) {
      const { rows } = await exec().run(req(q.sql, ['integer'], q.parameters));
      expect(rows.map((r) => r[0])).toEqual(q.ids);
    }
  });
}
