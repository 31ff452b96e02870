/**
 * A small gateway configuration written to a temp dir: one DuckDB dataset in memory and
 * keys made up per run (so parallel runs sharing Redis never share a counter).
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { pino, type Logger } from 'pino';
import type { Redis } from 'ioredis';
import { Gateway, stateFor } from '../../src/service/gateway.ts';
import { loadCatalog } from './catalog.ts';

/** A sources.yaml entry: 100 sales rows in memory, even ids tenant a's, odd ones b's. */
export const MEM_SOURCE = `  - name: mem
    type: duckdb
    connection: { path: ":memory:" }
    init_sql: "CREATE TABLE sales AS SELECT i AS id, CASE WHEN i % 2 = 0 THEN 'a' ELSE 'b' END AS tenant_id, i * 1.5 AS amount FROM range(1, 101) r(i)"
`;

/** MEM_SOURCE with extra settings (e.g. `pool: { max: 4 }`) under it. */
export function memSource(extra: string): string {
  return `${MEM_SOURCE}    ${extra}\n`;
}

export interface FixtureKeys { [name: string]: string }

export function writeTinyConfig(apiKeysYaml: (keys: FixtureKeys) => string, names: string[]): { dir: string; keys: FixtureKeys } {
  const dir = mkdtempSync(path.join(tmpdir(), 'semgate-fixture-'));
  const keys: FixtureKeys = Object.fromEntries(names.map((n) => [n, `sk_${n}_${randomBytes(8).toString('hex')}`]));
  writeFileSync(path.join(dir, 'sources.yaml'), `sources:
${MEM_SOURCE}`);
  writeFileSync(path.join(dir, 'catalog.yaml'), `datasets:
  - name: sales
    source: mem
    table: sales
    rls: { tenant_column: tenant_id }
    dimensions:
      - { name: id, type: number }
    metrics:
      - { name: revenue, type: number, expr: "SUM(amount)" }
      - { name: n, type: integer, expr: "COUNT(*)" }
`);
  writeFileSync(path.join(dir, 'api-keys.yaml'), apiKeysYaml(keys));
  return { dir, keys };
}

/** A gateway over `dir`'s configuration; silent unless a logger is given. */
export async function gatewayFor(dir: string, redis: Redis | null = null, logger: Logger = pino({ level: 'silent' })): Promise<Gateway> {
  return new Gateway(stateFor(await loadCatalog(dir)), logger, { redis });
}
