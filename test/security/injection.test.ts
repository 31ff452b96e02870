/**
 * Request-borne strings never appear in SQL text. Every payload of the corpus goes into
 * every position of a query, for every dialect: it is either refused with a clean 400/403,
 * or it compiles to exactly the SQL a harmless value gives there, with the payload among
 * the bound parameters. Compile only; injection-exec.test.ts runs a sample on real engines.
 */
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/catalog/load.ts';
import type { Catalog } from '../../src/catalog/types.ts';
import { GatewayError } from '../../src/errors.ts';
import type { Principal } from '../../src/query/types.ts';
import { prepareQuery } from '../../src/service/query.ts';
import { PAYLOADS, payloadText, type Payload } from './payloads.ts';
import { POSITIONS, type Position } from './positions.ts';

const fixture = await loadConfig('test/security/fixture', { env: {} });
const demo = await loadConfig('.', { env: {} });

const analyst = (tenant: string): Principal => ({ keyId: 'k_test', tenant, role: 'analyst', isAdmin: false, allowedDatasets: null });

interface Target {
  readonly dialect: string;
  readonly catalog: Catalog;
  readonly dataset: string;
  readonly principal: Principal;
}

const TARGETS: Target[] = [
  { dialect: 'postgres', catalog: fixture.catalog!, dataset: 'pg_orders', principal: analyst('acme') },
  { dialect: 'mysql', catalog: fixture.catalog!, dataset: 'my_orders', principal: analyst('acme') },
  { dialect: 'duckdb', catalog: demo.catalog!, dataset: 'orders', principal: analyst('acme_corp') },
];

// What the gateway's own SQL looks like: a message (minus the echoed payload) must show none of it.
const SQL_LEAKS = [/\bselect\b[\s\S]*\bfrom\b/i, /["`]t["`]\./, /\$\d/, /\bcast\s*\(/i, /\bilike\b/i, /\bgroup by\b/i];

/** `\%` -> `%` etc.: the compiler escapes LIKE wildcards before wrapping the value. */
const unescapeLike = (s: string): string => s.replace(/\\([\\%_])/g, '$1');

function stringLeaves(v: unknown): string[] {
  if (typeof v === 'string') return [v];
  if (Array.isArray(v)) return v.flatMap(stringLeaves);
  if (v !== null && typeof v === 'object') return Object.entries(v).flatMap(([k, x]) => [k, ...stringLeaves(x)]);
  return [];
}

function rejectedCleanly(err: unknown, payload: Payload): string | null {
  if (!(err instanceof GatewayError)) return `threw ${String(err)} instead of a GatewayError`;
  if (err.status !== 400 && err.status !== 403) return `status ${err.status} (${err.code}): ${err.message}`;
  let message = err.message;
  const text = payloadText(payload.value);
  if (text) for (const echo of [text, text.slice(0, 40), text.slice(0, 200)]) if (echo) message = message.split(echo).join('');
  if (SQL_LEAKS.some((re) => re.test(message))) return `message shows SQL: ${err.message}`;
  if (err.message.length > 600) return `message of ${err.message.length} characters echoes too much`;
  return null;
}

/** When a payload compiled: the SQL keeps the harmless shape and the payload is a parameter. */
function compiledSafely(sql: string, parameters: readonly unknown[], benignSql: string, pos: Position, v: unknown): string | null {
  const text = payloadText(v);
  if (text !== null) {
    if (sql !== benignSql) return `string payload changed the SQL:\n${sql}`;
    if (text.length >= 2 && !benignSql.includes(text) && sql.includes(text)) return 'payload text appears in the SQL';
  }
  switch (pos.binding) {
    case 'value':
      return parameters.some((x) => Object.is(x, v) || x === v) ? null : `value not among parameters ${JSON.stringify(parameters)}`;
    case 'timestamp':
      return parameters.some((x) => typeof x === 'string' && /^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}\.\d{6}$/.test(x))
        ? null : `no normalised timestamp among parameters ${JSON.stringify(parameters)}`;
    case 'like':
      return parameters.some((x) => typeof x === 'string' && text !== null && unescapeLike(x).includes(text))
        ? null : `LIKE pattern not among parameters ${JSON.stringify(parameters)}`;
    case 'limit':
      return parameters.includes((v as number) + 1) ? null : `limit + 1 not among parameters ${JSON.stringify(parameters)}`;
    case 'offset':
      return v === 0 || parameters.includes(v) ? null : `offset not among parameters ${JSON.stringify(parameters)}`;
    case 'none':
      // A JSON structure that compiled (say `["region"]` as values) may only hold catalog
      // names, which the planner validated, and values, which must be parameters.
      return stringLeaves(v).every((s) => /^[a-z][a-z0-9_.]*$/.test(s) || parameters.includes(s))
        ? null : `a structure compiled with text that is neither a name nor a parameter:\n${sql}`;
  }
}

describe('SQL injection corpus, compile only', () => {
  it('has a corpus of at least 60 payloads and loads both catalogs', () => {
    expect(PAYLOADS.length).toBeGreaterThanOrEqual(60);
    expect(fixture.issues.filter((i) => i.severity === 'error')).toEqual([]);
    expect(demo.issues.filter((i) => i.severity === 'error')).toEqual([]);
  });

  describe.each(TARGETS)('$dialect', (target) => {
    it.each(POSITIONS)('$name', (pos) => {
      const benign = prepareQuery(target.catalog, target.principal, pos.benignBody(target.dataset)).compiled;
      const failures: string[] = [];
      let compiled = 0;
      for (const payload of PAYLOADS) {
        let problem: string | null;
        try {
          const { sql, parameters } = prepareQuery(target.catalog, target.principal, pos.body(target.dataset, payload.value)).compiled;
          compiled++;
          problem = compiledSafely(sql, parameters, benign.sql, pos, payload.value);
        } catch (err) {
          problem = rejectedCleanly(err, payload);
        }
        if (problem !== null) failures.push(`${payload.label}: ${problem}`);
      }
      expect(failures).toEqual([]);
      // Value positions must accept ordinary strings, or the test above proves nothing.
      if (pos.binding !== 'none' && pos.binding !== 'offset') expect(compiled).toBeGreaterThan(0);
    });
  });

  it('left Object.prototype alone', () => {
    expect(({} as Record<string, unknown>)['polluted']).toBeUndefined();
    expect(Object.prototype).not.toHaveProperty('polluted');
  });
});
