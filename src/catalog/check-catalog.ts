/** Rules of catalog.yaml that the JSON Schema cannot express: sources, tables, tenant layouts. */
import type { IssueSink } from './positions.ts';
import type { SourceFacts } from './check-sources.ts';
import { checkFields } from './check-fields.ts';
import { checkJoins } from './check-joins.ts';
import { obj, objects, str, strings, type RawObject } from './raw.ts';
import { declaredLayouts, parseTableRef, TENANT_ID_PLACEHOLDER, TENANT_PLACEHOLDER } from './rules.ts';
import { didYouMeanOrList } from '../suggest.ts';

/** What api-keys.yaml is checked against. */
export interface CatalogFacts {
  readonly datasets: ReadonlySet<string>;
  /** Roles named anywhere in the catalog (`access.roles`, field `roles`). */
  readonly roles: ReadonlySet<string>;
}

/** `sources` is null when sources.yaml could not be read: source checks are skipped then. */
export function checkCatalog(raw: unknown, sources: ReadonlyMap<string, SourceFacts> | null, sink: IssueSink): CatalogFacts {
  const datasets = new Map<string, number>();
  const roles = new Set<string>();
  for (const { item, index } of objects(obj(raw)?.['datasets'])) {
    const name = str(item['name']);
    if (name !== undefined) {
      const first = datasets.get(name);
      if (first !== undefined) {
        const line = sink.positionOf(['datasets', first, 'name']).line;
        sink.error(['datasets', index, 'name'], `dataset \`${name}\` is defined twice (first at line ${line}); dataset names must be unique.`);
      } else {
        datasets.set(name, index);
      }
    }
    checkSource(item, index, sources, sink);
    checkTableOrSql(item, index, sink);
    checkLayout(item, index, sources, sink);
    for (const r of strings(obj(item['access'])?.['roles'])) roles.add(r);
    for (const r of checkFields(item, index, sink)) roles.add(r);
  }
  checkJoins(raw, sink);
  return { datasets: new Set(datasets.keys()), roles };
}

function checkSource(item: RawObject, index: number, sources: ReadonlyMap<string, SourceFacts> | null, sink: IssueSink): void {
  const source = str(item['source']);
  if (source === undefined || source === '' || source === TENANT_PLACEHOLDER || sources === null || sources.has(source)) return;
  const known = [...sources.keys()];
  const hint = didYouMeanOrList(source, known, 'Defined sources', ' sources.yaml defines no sources.');
  sink.error(['datasets', index, 'source'], `source \`${source}\` is not defined in sources.yaml.${hint}`);
}

function checkTableOrSql(item: RawObject, index: number, sink: IssueSink): void {
  const table = str(item['table']);
  const sql = str(item['sql']);
  if (item['table'] !== undefined && item['sql'] !== undefined) {
    sink.error(['datasets', index, 'sql'], 'a dataset reads either a `table:` or an `sql:` query, not both; remove one of them.', { key: true });
  } else if (item['table'] === undefined && item['sql'] === undefined) {
    sink.error(['datasets', index], `dataset \`${str(item['name']) ?? index}\` has no data: add \`table: schema.name\` or \`sql: SELECT ...\`.`);
  }
  if (table !== undefined && table !== '') {
    const parsed = parseTableRef(table);
    if ('error' in parsed) sink.error(['datasets', index, 'table'], parsed.error);
  }
  if (sql !== undefined && sql.trim() !== '') {
    if (!/^\s*\(?\s*(select|with)\b/i.test(sql)) {
      sink.error(['datasets', index, 'sql'], '`sql` must be a query starting with SELECT or WITH; it is used as a subquery.');
    } else if (/;\s*$/.test(sql)) {
      sink.error(['datasets', index, 'sql'], '`sql` is used as a subquery: remove the trailing `;`.');
    }
  }
}

/** One tenant layout per dataset, declared explicitly, so no table is exposed by omission. */
function checkLayout(item: RawObject, index: number, sources: ReadonlyMap<string, SourceFacts> | null, sink: IssueSink): void {
  const name = str(item['name']) ?? `#${index + 1}`;
  const rls = item['rls'];
  const source = str(item['source']);
  const layouts = declaredLayouts(
    { tenantColumn: str(obj(rls)?.['tenant_column']), table: str(item['table']), sql: str(item['sql']), source },
    (s) => sources?.get(s)?.perTenant === true,
  );

  const sql = str(item['sql']);
  if (sql !== undefined && sql.includes(TENANT_ID_PLACEHOLDER) && rls === 'none') {
    sink.error(['datasets', index, 'sql'], `dataset \`${name}\` uses \`${TENANT_ID_PLACEHOLDER}\` in \`sql\` but says \`rls: none\` (the same rows for every tenant): declare how it keeps tenants apart instead.`);
  } else if (sql !== undefined && layouts.some((l) => l.kind === 'shared') && !sql.includes(TENANT_ID_PLACEHOLDER)) {
    // The outer tenant predicate filters the SQL's output only: a window function or an
    // aggregate inside it would run over every tenant's rows.
    sink.error(['datasets', index, 'sql'], `dataset \`${name}\` is a shared table (\`rls.tenant_column\`) read through \`sql\`, which must filter every tenant table it reads with \`${TENANT_ID_PLACEHOLDER}\` (for example \`... FROM orders o WHERE o.tenant_id = ${TENANT_ID_PLACEHOLDER}\`): the outer tenant filter applies only to the query's output, after any window function or aggregate inside it has seen every tenant's rows.`);
  }
  if (rls === 'none') {
    if (layouts.length > 0) {
      sink.error(['datasets', index, 'rls'], `dataset \`${name}\` says \`rls: none\` (same rows for every tenant) but also uses ${layouts.map((l) => l.what).join(' and ')}. Remove \`rls: none\`, or remove the \`{tenant}\`.`);
    }
    return;
  }
  if (layouts.length > 1) {
    sink.error(['datasets', index, layouts[1]!.field], `dataset \`${name}\` mixes tenant layouts: ${layouts.map((l) => l.what).join(' and ')}. Choose one layout per dataset.`);
    return;
  }
  // Without sources.yaml we cannot tell whether the source is per tenant: stay quiet then.
  if (layouts.length === 0 && rls === undefined && sources !== null) {
    sink.error(['datasets', index], `dataset \`${name}\` does not declare tenant isolation: add \`rls: { tenant_column: <column> }\`, use \`{tenant}\` in \`table\`/\`sql\` or \`source\`, or say \`rls: none\` if every tenant may see all of its rows.`);
  }
}
