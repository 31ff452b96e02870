import { describe, expect, it } from 'vitest';
import { errorsOf, expectIssue, lineOf, listIssues, loadFiles } from './helpers.ts';

/** A catalog with one dataset; `body` is appended under it (indent 4). */
const dataset = (body: string, head = 'source: warehouse\n    table: public.orders'): string =>
  `datasets:\n  - name: orders   # @dataset\n    ${head}\n${body}`;
const SHARED = '    rls: { tenant_column: tenant_id }\n';

describe('datasets', () => {
  it('a source must exist in sources.yaml, with a suggestion; {tenant} is accepted', async () => {
    const r = await loadFiles({ catalog: dataset(SHARED, 'source: warehose   # @source\n    table: public.orders') });
    expectIssue(r, 'catalog.yaml', '# @source', 'datasets[0].source', /source `warehose` is not defined in sources.yaml\. Did you mean `warehouse`\?/);
    const ok = await loadFiles({ catalog: dataset('', 'source: "{tenant}"\n    table: orders') });
    expect(errorsOf(ok.issues), listIssues(ok.issues)).toEqual([]);
    expect(ok.catalog!.datasets.get('orders')!.layout.kind).toBe('database');
  });

  it('needs exactly one of table and sql', async () => {
    const both = await loadFiles({ catalog: dataset(`${SHARED}    sql: SELECT * FROM t   # @sql\n`) });
    expectIssue(both, 'catalog.yaml', '# @sql', 'datasets[0].sql', /either a `table:` or an `sql:` query, not both/);
    const neither = await loadFiles({ catalog: dataset(SHARED, 'source: warehouse') });
    expectIssue(neither, 'catalog.yaml', '# @dataset', 'datasets[0]', /has no data: add `table: schema.name` or `sql: SELECT/);
  });

  it('parses table references and refuses anything else', async () => {
    const cases: [string, RegExp][] = [
      ['a.b.c', /has 3 parts/],
      ['"orders.{tenant}"', /`\{tenant\}` can only stand for the schema part/],
      ['public.my-table', /`my-table` is not a plain identifier/],
      ['\'"my schema".orders\'', /schema `"my schema"` is not a plain identifier/],
    ];
    for (const [table, message] of cases) {
      const r = await loadFiles({ catalog: dataset(SHARED, `source: warehouse\n    table: ${table}   # @table`) });
      expectIssue(r, 'catalog.yaml', '# @table', 'datasets[0].table', message);
    }
  });

  it('sql must be a SELECT usable as a subquery', async () => {
    const r = await loadFiles({ catalog: dataset(SHARED, 'source: warehouse\n    sql: DELETE FROM orders   # @sql') });
    expectIssue(r, 'catalog.yaml', '# @sql', 'datasets[0].sql', /must be a query starting with SELECT or WITH/);
    const semi = await loadFiles({ catalog: dataset(SHARED, 'source: warehouse\n    sql: "SELECT 1;"   # @sql') });
    expectIssue(semi, 'catalog.yaml', '# @sql', 'datasets[0].sql', /remove the trailing `;`/);
  });

  it('dataset names are unique', async () => {
    const r = await loadFiles({ catalog: `${dataset(SHARED)}  - name: orders   # @again\n    source: warehouse\n    table: t\n    rls: none\n` });
    expectIssue(r, 'catalog.yaml', '# @again', 'datasets[1].name', /dataset `orders` is defined twice \(first at line 2\)/);
  });

  it('unknown fields are errors with a suggestion', async () => {
    const r = await loadFiles({ catalog: dataset(`    rls: { tenant_colum: tenant_id }   # @rls\n    dimension: []   # @dims\n`) });
    expectIssue(r, 'catalog.yaml', '# @rls', 'datasets[0].rls.tenant_colum', /unknown field `tenant_colum`\. Did you mean `tenant_column`\?/);
    expectIssue(r, 'catalog.yaml', '# @rls', 'datasets[0].rls.tenant_column', /missing required field `tenant_column`/);
    expectIssue(r, 'catalog.yaml', '# @dims', 'datasets[0].dimension', /Did you mean `dimensions`\?/);
  });
});

describe('tenant layouts', () => {
  const sources = `sources:
  - name: warehouse
    type: postgres
    connection: { host: h, database: analytics }
  - name: per_tenant
    type: postgres
    connection: { host: h, database: "t_{tenant}" }
`;
  it('a dataset must choose a layout', async () => {
    const r = await loadFiles({ catalog: dataset('') });
    expectIssue(r, 'catalog.yaml', '# @dataset', 'datasets[0]', /dataset `orders` does not declare tenant isolation: add `rls: \{ tenant_column: <column> \}`, use `\{tenant\}`.*or say `rls: none`/);
    expect(r.catalog).toBeNull();
  });

  it('rls: none contradicts {tenant} in the table, the sql or a per-tenant source', async () => {
    for (const head of ['source: warehouse\n    table: "{tenant}.orders"', 'source: warehouse\n    sql: SELECT * FROM {tenant}.orders', 'source: per_tenant\n    table: orders', 'source: "{tenant}"\n    table: orders']) {
      const r = await loadFiles({ sources, catalog: dataset('    rls: none   # @none\n', head) });
      expectIssue(r, 'catalog.yaml', '# @none', 'datasets[0].rls', /says `rls: none` .* but also uses .*Remove `rls: none`, or remove the `\{tenant\}`/);
    }
  });

  it('one layout per dataset', async () => {
    const r = await loadFiles({ sources, catalog: dataset(SHARED, 'source: warehouse\n    table: "{tenant}.orders"   # @table') });
    expectIssue(r, 'catalog.yaml', '# @table', 'datasets[0].table', /mixes tenant layouts: a shared table .* and a schema per tenant .*Choose one layout/);
    const db = await loadFiles({ sources, catalog: dataset('', 'source: per_tenant   # @source\n    table: "{tenant}.orders"') });
    expectIssue(db, 'catalog.yaml', '# @source', 'datasets[0].source', /mixes tenant layouts/);
  });

  it('rls.tenant_column must be an identifier; rls must be none or a mapping', async () => {
    const r = await loadFiles({ catalog: dataset('    rls: { tenant_column: "tenant-id" }   # @col\n') });
    expectIssue(r, 'catalog.yaml', '# @col', 'datasets[0].rls.tenant_column', /must be a plain SQL identifier/);
    const word = await loadFiles({ catalog: dataset('    rls: off   # @rls\n') });
    expectIssue(word, 'catalog.yaml', '# @rls', 'datasets[0].rls', /`rls` must be `none` \(the same rows for every tenant\) or `\{ tenant_column: <column> \}`, not "off"/);
  });
});

describe('fields', () => {
  it('dimensions, metrics and segments share one namespace', async () => {
    const r = await loadFiles({ catalog: dataset(`${SHARED}    dimensions:
      - { name: region, type: string }   # @dim
    metrics:
      - { name: region, type: number, expr: "SUM(x)" }   # @metric
    segments:
      - { name: region, expr: "x > 1" }   # @segment
`) });
    const first = lineOf(r.texts['catalog.yaml'], '# @dim');
    expectIssue(r, 'catalog.yaml', '# @metric', 'datasets[0].metrics[0].name', new RegExp(`\`region\` is already a dimension of this dataset \\(line ${first}\\)`));
    expectIssue(r, 'catalog.yaml', '# @segment', 'datasets[0].segments[0].name', /already a dimension/);
  });

  it('time grains only on date/timestamp, and hour only on timestamp', async () => {
    const r = await loadFiles({ catalog: dataset(`${SHARED}    dimensions:
      - name: region
        type: string
        time_grains: [day]   # @string
      - name: day
        type: date
        time_grains: [day, hour]   # @date
      - name: at
        type: timestamp
        time_grains: [hour, day, week, mnth]   # @timestamp
`) });
    expectIssue(r, 'catalog.yaml', '# @string', 'datasets[0].dimensions[0].time_grains', /only apply to dimensions of type date or timestamp, not string/);
    expectIssue(r, 'catalog.yaml', '# @date', 'datasets[0].dimensions[1].time_grains[1]', /a date has no hours/);
    expectIssue(r, 'catalog.yaml', '# @timestamp', 'datasets[0].dimensions[2].time_grains[3]', /`mnth` is not a valid `time_grains`\. Did you mean `month`\?/);
    expect(errorsOf(r.issues)).toHaveLength(3);
  });

  it('names, types and roles follow their patterns', async () => {
    const r = await loadFiles({ catalog: dataset(`    rls: { tenant_column: tenant_id }
    access: { roles: [] }   # @access
    dimensions:
      - { name: Region, type: text, roles: [Analyst] }   # @dim
`) });
    expectIssue(r, 'catalog.yaml', '# @access', 'datasets[0].access.roles', /must list at least one entry/);
    expectIssue(r, 'catalog.yaml', '# @dim', 'datasets[0].dimensions[0].name', /must start with a lowercase letter/);
    expectIssue(r, 'catalog.yaml', '# @dim', 'datasets[0].dimensions[0].type', /`text` is not a valid `type`/);
    expectIssue(r, 'catalog.yaml', '# @dim', 'datasets[0].dimensions[0].roles[0]', /`Analyst` must start with a lowercase letter/);
  });

  it('{tenant} is not replaced in field expressions', async () => {
    const r = await loadFiles({ catalog: dataset(`${SHARED}    dimensions:\n      - { name: t, type: string, expr: "'{tenant}'" }   # @dim\n`) });
    expectIssue(r, 'catalog.yaml', '# @dim', 'datasets[0].dimensions[0].expr', /a dimension cannot use `\{tenant\}`/);
  });

  it('YAML anchors and merge keys work', async () => {
    const r = await loadFiles({ apiKeys: `base: &base { tenant: acme, role: analyst }\napi_keys:\n  - { <<: *base, key_hash: "sha256:${'a'.repeat(64)}" }\n` });
    expectIssue(r, 'api-keys.yaml', 'base:', 'base', /unknown field `base`/);
    const ok = await loadFiles({ apiKeys: `api_keys:\n  - &k { tenant: acme, role: analyst, key_hash: "sha256:${'a'.repeat(64)}" }\n  - { <<: *k, key_hash: "sha256:${'b'.repeat(64)}", role: viewer }\n` });
    expect(errorsOf(ok.issues), listIssues(ok.issues)).toEqual([]);
    expect(ok.catalog!.apiKeys.list().map((k) => [k.tenant, k.role])).toEqual([['acme', 'analyst'], ['acme', 'viewer']]);
  });

  it('a segment is a row filter', async () => {
    const r = await loadFiles({ catalog: dataset(`${SHARED}    segments:\n      - { name: big, expr: "SUM(amount) > 10" }   # @seg\n`) });
    expectIssue(r, 'catalog.yaml', '# @seg', 'datasets[0].segments[0].expr', /cannot use aggregates/);
  });
});

describe('metrics', () => {
  const metrics = (lines: string): string => dataset(`${SHARED}    dimensions:\n      - { name: region, type: string }\n    metrics:\n${lines}`);

  it('an aggregate metric must call an aggregate function (any case, spaces allowed)', async () => {
    const r = await loadFiles({ catalog: metrics(`      - { name: a, type: number, expr: "amount * 2" }   # @plain
      - { name: b, type: integer, expr: "count (distinct id)" }
      - { name: c, type: number, expr: "percentile_cont(0.5) within group (order by x)" }
`) });
    expectIssue(r, 'catalog.yaml', '# @plain', 'datasets[0].metrics[0].expr', /metric `a` must aggregate rows, for example `SUM\(amount \* 2\)`/);
    expect(errorsOf(r.issues)).toHaveLength(1);
  });

  it('references must name metrics of the same dataset', async () => {
    const r = await loadFiles({ catalog: metrics(`      - { name: revenue, type: number, expr: "SUM(amount)" }
      - { name: cost, type: number, expr: "SUM(cost)" }
      - name: margin
        type: number
        expr: |
          {revenue}
          - {costs}   # @typo
      - { name: per_region, type: number, expr: "{revenue} / {region}" }   # @dim
`) });
    const typo = expectIssue(r, 'catalog.yaml', '# @typo', 'datasets[0].metrics[2].expr', /`\{costs\}` is not a metric of this dataset\. Did you mean `cost`\?/);
    expect(typo.column).toBe(r.texts['catalog.yaml'].split('\n')[typo.line - 1]!.indexOf('{costs}') + 1);
    expectIssue(r, 'catalog.yaml', '# @dim', 'datasets[0].metrics[3].expr', /`\{region\}` is a dimension; a derived metric can only reference metrics/);
  });

  it('reports each reference cycle once, with its path', async () => {
    const r = await loadFiles({ catalog: metrics(`      - { name: a, type: number, expr: "{b} + 1" }   # @a
      - { name: b, type: number, expr: "{c} + 1" }   # @b
      - { name: c, type: number, expr: "{a} + {b}" }
      - { name: d, type: number, expr: "{d} * 2" }   # @self
`) });
    expectIssue(r, 'catalog.yaml', '# @a', 'datasets[0].metrics[0].expr', /in a circle: `a` -> `b` -> `c` -> `a`/);
    expectIssue(r, 'catalog.yaml', '# @b', 'datasets[0].metrics[1].expr', /in a circle: `b` -> `c` -> `b`/);
    expectIssue(r, 'catalog.yaml', '# @self', 'datasets[0].metrics[3].expr', /in a circle: `d` -> `d`/);
    expect(errorsOf(r.issues)).toHaveLength(3);
  });

  it('expands derived metrics recursively into Metric.sql', async () => {
    const r = await loadFiles({ catalog: metrics(`      - { name: ratio, type: number, expr: "{margin} / NULLIF({revenue}, 0)" }
      - { name: revenue, type: number, expr: "SUM(amount)" }
      - { name: margin, type: number, expr: "{revenue} - SUM(cost)" }
`) });
    expect(errorsOf(r.issues), listIssues(r.issues)).toEqual([]);
    const ratio = r.catalog!.datasets.get('orders')!.metrics[0]!;
    expect(ratio).toMatchObject({ derived: true, sql: '((SUM(amount)) - SUM(cost)) / NULLIF((SUM(amount)), 0)' });
  });
});

describe('sources', () => {
  it('checks per-type connection rules and names', async () => {
    const r = await loadFiles({ sources: `sources:
  - name: warehouse
    type: postgres
    connection: { user: x }   # @pg
    init_sql: "SELECT 1"   # @init
  - name: shop
    type: mysql
    connection: { host: h, database: d }
    native_rls: { setting: app.tenant }   # @rls
  - name: lake
    type: duckdb
    connection: {}   # @duck
  - name: files
    type: duckdb
    connection: { path: ":memory:" }
    init_sql: ./missing.sql   # @file
  - name: shop   # @dup
    type: duckdb
    connection: { path: x.duckdb }
` });
    expectIssue(r, 'sources.yaml', '# @pg', 'sources[0].connection', /a postgres source needs `connection.host`/);
    expectIssue(r, 'sources.yaml', '# @pg', 'sources[0].connection', /a postgres source needs `connection.database`/);
    expectIssue(r, 'sources.yaml', '# @init', 'sources[0].init_sql', /works only with duckdb/);
    expectIssue(r, 'sources.yaml', '# @rls', 'sources[1].native_rls', /`native_rls` works only with postgres/);
    expectIssue(r, 'sources.yaml', '# @duck', 'sources[2].connection', /a duckdb source needs `connection: \{ path: <file.duckdb> \}`/);
    expectIssue(r, 'sources.yaml', '# @file', 'sources[3].init_sql', /init_sql file `.\/missing.sql` does not exist/);
    expectIssue(r, 'sources.yaml', '# @dup', 'sources[4].name', /source `shop` is defined twice \(first at line 6\)/);
  });

  it('a number written where text is expected says to quote it', async () => {
    const r = await loadFiles({ sources: `sources:\n  - name: warehouse\n    type: postgres\n    connection: { host: h, database: d, password: 1234 }   # @pw\n` });
    const issue = expectIssue(r, 'sources.yaml', '# @pw', 'sources[0].connection.password', /must be text, not a number\. Put the value in quotes/);
    expect(issue.message).not.toContain('1234');
  });
});
