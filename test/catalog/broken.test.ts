/**
 * test/fixtures/catalog/broken holds many mistakes across the three files; every one must be
 * reported, at the line of its `# @marker`, with its field, in a single load.
 */
import { readFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { loadConfig, type LoadResult } from '../../src/catalog/load.ts';
import { formatIssues } from '../../src/catalog/format.ts';
import type { ConfigIssue } from '../../src/catalog/types.ts';
import { FIXTURES, fixtureLine, listIssues, type FileName } from './helpers.ts';

type Expected = [file: FileName, marker: string, field: string, message: RegExp, severity?: ConfigIssue['severity']];

const BROKEN: Expected[] = [
  ['catalog.yaml', '@unknown-source', 'datasets[0].source', /source `warehous` is not defined in sources.yaml\. Did you mean `warehouse`\?/],
  ['catalog.yaml', '@dimension-type', 'datasets[0].dimensions[1].type', /`strng` is not a valid `type`\. Did you mean `string`\?/],
  ['catalog.yaml', '@grain-on-string', 'datasets[0].dimensions[2].time_grains', /only apply to dimensions of type date or timestamp/],
  ['catalog.yaml', '@hour-on-date', 'datasets[0].dimensions[3].time_grains[1]', /a date has no hours/],
  ['catalog.yaml', '@not-aggregate', 'datasets[0].metrics[0].expr', /metric `revenue` must aggregate rows/],
  ['catalog.yaml', '@duplicate-field', 'datasets[0].metrics[1].name', /`region` is already a dimension of this dataset/],
  ['catalog.yaml', '@unknown-ref', 'datasets[0].metrics[2].expr', /`\{revenu\}` is not a metric of this dataset\. Did you mean `revenue`\?/],
  ['catalog.yaml', '@cycle', 'datasets[0].metrics[3].expr', /in a circle: `a` -> `b` -> `a`/],
  ['catalog.yaml', '@no-isolation', 'datasets[1]', /dataset `customers` does not declare tenant isolation/],
  ['catalog.yaml', '@unknown-field', 'datasets[1].dimensions[0].colour', /unknown field `colour`/],
  ['catalog.yaml', '@contradiction', 'datasets[2].rls', /says `rls: none` .* but also uses a schema per tenant/],
  ['catalog.yaml', '@table-and-sql', 'datasets[3].sql', /either a `table:` or an `sql:` query, not both/],
  ['catalog.yaml', '@duplicate-dataset', 'datasets[4].name', /dataset `orders` is defined twice/],
  ['catalog.yaml', '@table-parts', 'datasets[4].table', /`a\.b\.c` has 3 parts/],
  ['catalog.yaml', '@tenant-column', 'datasets[4].rls.tenant_column', /must be a plain SQL identifier/],
  ['sources.yaml', '@unset-var', 'sources[0].connection.host', /environment variable PGHOST is not set/],
  ['sources.yaml', '@port-range', 'sources[0].connection.port', /must be at most 65535, not 99999/],
  ['sources.yaml', '@duckdb-path', 'sources[1].connection', /a duckdb source needs `connection: \{ path/],
  ['sources.yaml', '@duckdb-path', 'sources[1].connection.host', /`host` is ignored by duckdb/, 'warning'],
  ['sources.yaml', '@native-rls-duckdb', 'sources[1].native_rls', /`native_rls` works only with postgres/],
  ['sources.yaml', '@mysql-database', 'sources[2].connection', /a mysql source needs `connection.database`/],
  ['sources.yaml', '@init-sql-mysql', 'sources[2].init_sql', /`init_sql` works only with duckdb/],
  ['sources.yaml', '@duplicate-source', 'sources[3].name', /source `warehouse` is defined twice \(first at line 2\)/],
  ['sources.yaml', '@source-type', 'sources[3].type', /`postgress` is not a valid `type`\. Did you mean `postgres`\?/],
  ['api-keys.yaml', '@bad-hash', 'api_keys[0].key_hash', /`sha256:` followed by 64 hex digits/],
  ['api-keys.yaml', '@no-tenant', 'api_keys[1]', /a key with role `analyst` needs a `tenant:`/],
  ['api-keys.yaml', '@no-tenant', 'api_keys[1].key', /plaintext key/, 'warning'],
  ['api-keys.yaml', '@duplicate-key', 'api_keys[2].key', /the same key as the entry at line 5/],
  ['api-keys.yaml', '@duplicate-key', 'api_keys[2].key', /plaintext key/, 'warning'],
  ['api-keys.yaml', '@rate-limit', 'api_keys[2].rate_limit', /must look like `100\/minute`/],
  ['api-keys.yaml', '@expires', 'api_keys[2].expires_at', /`next tuesday` is not a date/],
  ['api-keys.yaml', '@allowed-datasets', 'api_keys[2].allowed_datasets[0]', /dataset `ordrs` is not in catalog.yaml\. Did you mean `orders`\?/],
  ['api-keys.yaml', '@key-and-hash', 'api_keys[3].key', /either `key` or `key_hash`, not both/],
  ['api-keys.yaml', '@tenant-pattern', 'api_keys[3].tenant', /must be 1 to 64 letters, digits, _ or -/],
  ['api-keys.yaml', '@unknown-role', 'api_keys[3].role', /role `analist` is not built in.*Did you mean `analyst`\?/, 'warning'],
  ['api-keys.yaml', '@enabled-type', 'api_keys[3].enabled', /must be `true` or `false`, not "yes"/],
  ['api-keys.yaml', '@default-rate', 'defaults.rate_limit', /`10\/minutes` must look like `100\/minute`/],
  ['api-keys.yaml', '@tenant-schema', 'tenants.acme.schema', /`acme-schema` must be a plain SQL identifier/],
  ['api-keys.yaml', '@tenant-id', 'tenants["bad id!"]', /tenant id `bad id!` must be 1 to 64/],
];

function expectAll(result: LoadResult, dir: string, expected: Expected[]): void {
  for (const [file, marker, field, message, severity = 'error'] of expected) {
    const line = fixtureLine(dir, file, `# ${marker}`);
    const hit = result.issues.find((i) => basename(i.file) === file && i.line === line && i.field === field && message.test(i.message));
    expect(hit, `${marker}: expected ${severity} at ${file}:${line} ${field}; got:\n${listIssues(result.issues)}`).toBeDefined();
    expect(hit!.severity, marker).toBe(severity);
  }
}

describe('the broken fixture', () => {
  let result: LoadResult;
  beforeAll(async () => {
    result = await loadConfig(join(FIXTURES, 'broken'), { env: {} });
  });

  it('reports every mistake of all three files, each at its line and field', () => {
    expect(result.catalog).toBeNull();
    expectAll(result, 'broken', BROKEN);
  });

  it('reports nothing else', () => {
    // `{region}` in `{revenu} - {region}` is not flagged: the (duplicate) metric `region` exists.
    expect(result.issues, listIssues(result.issues)).toHaveLength(BROKEN.length);
  });

  it('covers at least ten different mistakes in each file', () => {
    for (const file of ['catalog.yaml', 'api-keys.yaml'] as const) {
      expect(BROKEN.filter((e) => e[0] === file && (e[4] ?? 'error') === 'error').length).toBeGreaterThanOrEqual(10);
    }
    expect(BROKEN.filter((e) => e[0] === 'sources.yaml').length).toBeGreaterThanOrEqual(8);
  });

  it('formats as file:line:column field: severity: message', () => {
    const line = fixtureLine('broken', 'catalog.yaml', '# @unknown-source');
    const text = formatIssues(result.issues, FIXTURES);
    expect(text.split('\n')[0]).toBe(`broken/catalog.yaml:${line}:13 datasets[0].source: error: source \`warehous\` is not defined in sources.yaml. Did you mean \`warehouse\`?`);
  });
});

describe('YAML syntax errors', () => {
  it('reports yaml\'s own errors in each file, and nothing invented after them', async () => {
    const result = await loadConfig(join(FIXTURES, 'syntax'), { env: {} });
    expect(result.catalog).toBeNull();
    const at = (file: FileName, marker: string): [string, number] => [file, fixtureLine('syntax', file, `# ${marker}`)];
    expect(result.issues.map((i) => [basename(i.file), i.line, i.severity, i.message.replace(/ \(.*$/, '')])).toEqual([
      [...at('catalog.yaml', '@unclosed-quote'), 'error', 'YAML syntax error: Missing closing "quote'],
      [...at('sources.yaml', '@duplicate-key'), 'error', 'YAML syntax error: Map keys must be unique'],
      [...at('api-keys.yaml', '@tab'), 'error', 'YAML syntax error: Tabs are not allowed as indentation'],
      ['api-keys.yaml', at('api-keys.yaml', '@tab')[1] + 1, 'error', 'YAML syntax error: All mapping items must start at the same column'],
    ]);
    // The column of the unclosed quote is the quote itself.
    const text = readFileSync(join(FIXTURES, 'syntax', 'catalog.yaml'), 'utf8').split('\n');
    expect(result.issues[0]!.column).toBe(text[result.issues[0]!.line - 1]!.indexOf('"') + 1);
  });
});
