/**
 * `semgate validate --connect` and `serve` at start: the configuration against the live
 * databases. Each source is reached (a templated one for each tenant of api-keys.yaml, or
 * the first N), and every dataset's table, tenant column, dimension, metric, segment and
 * join `on` column is compiled by the real planner and compiler for that engine and sent
 * with `LIMIT 0` (`limit + 1` of a plan whose limit is -1): the database resolves every
 * name and type but reads no row. A finding names file, line and field like a load finding.
 */
import { existsSync } from 'node:fs';
import { resolve as resolvePath } from 'node:path';
import { sql } from '../sql/fragment.ts';
import { locateConfig, type ConfigLocator } from '../catalog/locate.ts';
import type { LoadOptions } from '../catalog/load.ts';
import type { FieldPath } from '../catalog/positions.ts';
import { metricRefs, TENANT_PLACEHOLDER } from '../catalog/rules.ts';
import type { Catalog, ConfigIssue, Dataset, Source } from '../catalog/types.ts';
import type { ConfigFileKind } from '../catalog/schema-check.ts';
import { planQuery } from '../query/plan.ts';
import { resolveTenantScope, type ResolvedScope } from '../query/scope.ts';
import type { Principal, QueryPlan, SemanticQuery } from '../query/types.ts';
import { compilePlan } from '../sql/compile.ts';
import { dialectFor } from '../sql/dialects/index.ts';
import type { Expr } from '../sql/dialects/types.ts';
import { fromExpr, Level, tenantPredicate } from '../sql/scans.ts';
import { SourceRegistry } from '../sources/registry.ts';
import { describeFailure, type Failure } from './live-failure.ts';

export interface LiveCheckOptions {
  /** Check datasets of a schema or database per tenant for the first N tenants only (default: all). */
  readonly sample?: number;
  /** Other file names, as given to loadConfig (for positions). */
  readonly files?: LoadOptions['files'];
  /** Per statement (and per connection attempt); default 10 s. */
  readonly timeoutMs?: number;
  /** Pools to use (a serving gateway's, left open and warm); default: pools of its own, closed at the end. */
  readonly registry?: SourceRegistry;
}

export interface LiveCheckResult {
  readonly issues: ConfigIssue[];
  /** The tenants templated datasets were checked for. */
  readonly tenants: readonly string[];
  /** Statements sent, connection checks included. */
  readonly statements: number;
}

/** A tenant id that names nobody: bound as a parameter where a shared table needs one. */
const ANY_TENANT = 'semgate_validate';
const ENGINE: Readonly<Record<Source['type'], string>> = { postgres: 'PostgreSQL', mysql: 'MySQL/MariaDB', duckdb: 'DuckDB' };

interface Finding {
  readonly file: ConfigFileKind;
  readonly path: FieldPath;
  readonly message: string;
  readonly tenant: string | null;
  readonly key?: boolean;
  readonly severity: 'error' | 'warning';
}

const asTenant = (tenant: string): Principal =>
  Object.freeze({ keyId: 'semgate-validate', tenant, role: 'admin', isAdmin: true, allowedDatasets: null });

/** Datasets whose rows depend on which tenant asks: one schema or database each. */
function templated(ds: Dataset): boolean {
  return ds.layout.kind === 'schema' || ds.layout.kind === 'database' || ds.source === TENANT_PLACEHOLDER;
}

/** Every tenant api-keys.yaml names (keys and `tenants:`), sorted, the first `sample` of them. */
export function tenantsToCheck(catalog: Catalog, sample?: number): string[] {
  const all = [...new Set([...catalog.apiKeys.tenants(), ...catalog.tenants.keys()])].sort();
  return sample === undefined ? all : all.slice(0, Math.max(0, sample));
}

/** Runs `work` over `items`, at most `n` at a time. */
async function inParallel<T>(items: readonly T[], n: number, work: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(Array.from({ length: Math.min(n, items.length) }, async () => {
    while (next < items.length) await work(items[next++]!);
  }));
}

export async function checkLive(catalog: Catalog, opts: LiveCheckOptions = {}): Promise<LiveCheckResult> {
  const timeoutMs = opts.timeoutMs ?? 10_000;
  const tenants = tenantsToCheck(catalog, opts.sample);
  const findings: Finding[] = [];
  const registry = opts.registry ?? new SourceRegistry(catalog.sources);
  let statements = 0;
  const reached = new Map<string, Promise<boolean>>();

  /** Whether a pool answers; its failure is one finding for the source (and tenant), once. */
  const reach = (source: Source, tenant: string | null): Promise<boolean> => {
    const id = JSON.stringify([source.name, tenant]);
    let p = reached.get(id);
    if (!p) {
      p = (async () => {
        const path = duckdbPath(source, tenant);
        if (path !== null && !existsSync(path)) {
          findings.push({ file: 'sources', path: ['sources', locator.sourceIndex(source.name), 'connection', 'path'], tenant, severity: 'error',
            message: `source '${source.name}': the DuckDB file ${path} does not exist (opening it would create an empty database)` });
          return false;
        }
        statements++;
        try {
          await withTimeout(registry.executor(source.name, tenant).ping(), timeoutMs + 1_000);
          return true;
        } catch (err) {
          const f = describeFailure(err);
          // DuckDB opens by running init_sql: an SQL error then is init_sql's.
          const inInit = source.type === 'duckdb' && source.initSql !== null && /^[A-Z][A-Za-z ]* Error:/.test(f.message) && !/^IO Error/.test(f.message);
          const where = inInit ? ['init_sql'] : f.connectionField ? ['connection', f.connectionField] : [];
          findings.push({ file: 'sources', path: ['sources', locator.sourceIndex(source.name), ...where],
            tenant, severity: 'error', message: `cannot connect to source '${source.name}' (${ENGINE[source.type]}): ${f.message}; its datasets were not checked` });
          return false;
        }
      })();
      reached.set(id, p);
    }
    return p;
  };

  const locator: ConfigLocator = await locateConfig(catalog.dir, opts.files);
  try {
    const jobs: { ds: Dataset; tenant: string; index: number }[] = [];
    for (const ds of catalog.datasets.values()) {
      const index = locator.datasetIndex(ds.name);
      if (!templated(ds)) jobs.push({ ds, tenant: tenants[0] ?? ANY_TENANT, index });
      else if (tenants.length === 0) {
        findings.push({ file: 'catalog', path: ['datasets', index, 'name'], tenant: null, severity: 'warning',
          message: `dataset '${ds.name}' keeps each tenant apart by schema or database, and api-keys.yaml names no tenant: it was not checked against a database` });
      } else for (const tenant of tenants) jobs.push({ ds, tenant, index });
    }
    // Sources no dataset reads are reached all the same (a per-tenant one through its datasets, per tenant).
    const plain = [...catalog.sources.values()].filter((s) => !s.perTenant);
    await inParallel(plain, 4, async (s) => { await reach(s, null); });
    await inParallel(jobs, 4, async ({ ds, tenant, index }) => {
      const check = new DatasetCheck(catalog, ds, index, tenant, templated(ds) ? tenant : null, timeoutMs, registry, findings);
      const target = check.target();
      if (target === null) return;
      if (!(await reach(catalog.sources.get(target.target.source)!, target.target.tenant))) return;
      await check.run(target);
      statements += check.statements;
    });
  } finally {
    if (opts.registry === undefined) await registry.close();
  }
  return { issues: toIssues(findings, locator), tenants, statements };
}

/** One dataset, for one tenant: the table, then every field, segment and join. */
class DatasetCheck {
  statements = 0;
  readonly #failedMetrics = new Set<string>();

  constructor(private readonly catalog: Catalog, private readonly ds: Dataset, private readonly index: number,
    private readonly tenant: string, private readonly shownTenant: string | null, private readonly timeoutMs: number,
    private readonly registry: SourceRegistry, private readonly findings: Finding[]) {}

  target(): ResolvedScope | null {
    try {
      return resolveTenantScope(this.catalog, [this.ds], asTenant(this.tenant));
    } catch {
      this.#report(['source'], `dataset '${this.ds.name}' has no source for tenant '${this.tenant}': that tenant's queries are refused`, 'warning');
      return null;
    }
  }

  async run({ scope, target }: ResolvedScope): Promise<void> {
    const d = dialectFor(target.type);
    const at = (...rest: (string | number)[]): FieldPath => ['datasets', this.index, ...rest];
    const from = sql`select 1 from ${fromExpr(this.ds, scope)} as ${sql.id('t')}`;
    if (!(await this.#probe(sql`${from} limit 0`, at(this.ds.table ? 'table' : 'sql'), this.ds.table ? 'table' : 'sql'))) return;
    const tenantCheck = tenantPredicate(this.ds, scope, 't', d);
    if (tenantCheck && !(await this.#probe(sql`${from} where ${tenantCheck} limit 0`, at('rls', 'tenant_column'), 'tenant column'))) return;

    for (const [j, dim] of this.ds.dimensions.entries()) {
      const field = at('dimensions', j, dim.expr === null ? 'name' : 'expr');
      if (!(await this.#probeQuery({ dimensions: [dim.name] }, field, `dimension '${dim.name}'`))) continue;
      if (dim.timeGrains.length > 0) {
        await this.#probeQuery({ dimensions: dim.timeGrains.map((g) => `${dim.name}.${g}`) }, at('dimensions', j, 'time_grains'), `time grains of '${dim.name}'`);
      }
    }
    let anyMetric: string | null = null;
    for (const [j, m] of this.ds.metrics.entries()) {
      // A derived metric over a broken one would only repeat its finding.
      if (metricRefs(m.expr).some((r) => this.#failedMetrics.has(r.name.includes('.') ? r.name : `${this.ds.name}.${r.name}`))) continue;
      if (await this.#probeQuery({ metrics: [m.name] }, at('metrics', j, 'expr'), `metric '${m.name}'`)) anyMetric ??= m.name;
      else this.#failedMetrics.add(`${this.ds.name}.${m.name}`);
    }
    for (const [j, s] of this.ds.segments.entries()) {
      const fields: SemanticQuery = anyMetric !== null ? { dataset: this.ds.name, metrics: [anyMetric] } : { dataset: this.ds.name, metrics: [{ aggregate: 'count', as: '__semgate_rows' }] };
      await this.#probeQuery({ ...fields, segments: [s.name] }, at('segments', j, 'expr'), `segment '${s.name}'`);
    }
    for (const [k, join] of this.ds.joins.entries()) await this.#probeJoin(k, join.dataset, d);
  }

  /** Each `on` column on its own side, then the join as the compiler writes it (types must compare). */
  async #probeJoin(k: number, name: string, d: ReturnType<typeof dialectFor>): Promise<void> {
    const other = this.catalog.datasets.get(name)!;
    const join = this.ds.joins[k]!;
    let resolved: ResolvedScope;
    try {
      resolved = resolveTenantScope(this.catalog, [this.ds, other], asTenant(this.tenant));
    } catch {
      return; // the planner refuses this pair for this tenant: nothing a query could run
    }
    const { scope } = resolved;
    const at = ['datasets', this.index, 'joins', k, 'on'];
    // The joined dataset's own table is its own finding (its own check reports it).
    if (!(await this.#run(sql`select 1 from ${fromExpr(other, scope)} as ${sql.id('t')} limit 0`, true))) return;
    let ok = true;
    for (const p of join.on) {
      const mine = await this.#probe(sql`select ${sql.id('t', p.from)} from ${fromExpr(this.ds, scope)} as ${sql.id('t')} limit 0`,
        [...at, p.from], `join column '${p.from}' of '${this.ds.name}'`, { key: true });
      const theirs = await this.#probe(sql`select ${sql.id('t', p.to)} from ${fromExpr(other, scope)} as ${sql.id('t')} limit 0`,
        [...at, p.from], `join column '${p.to}' of '${other.name}'`);
      ok &&= mine && theirs;
    }
    if (!ok) return;
    const level = new Level(this.ds, this.ds, new Map([[this.ds.name, this.ds], [other.name, other]]), scope, d);
    level.column(other.name, join.on[0]!.to);
    await this.#probe(sql`select 1 from ${level.from()} limit 0`, ['datasets', this.index, 'joins', k], `join to '${other.name}'`);
  }

  /** A query through the real planner and compiler, fetching no row. */
  async #probeQuery(q: Omit<SemanticQuery, 'dataset'> & { dataset?: string }, path: FieldPath, what: string): Promise<boolean> {
    let plan: QueryPlan;
    try {
      plan = planQuery(this.catalog, asTenant(this.tenant), { dataset: this.ds.name, ...q });
    } catch (err) {
      this.#report(path, `${what} cannot be planned: ${(err as Error).message}`);
      return false;
    }
    // compilePlan fetches limit + 1 rows (to see truncation): -1 makes it LIMIT 0.
    let compiled;
    try {
      compiled = compilePlan({ ...plan, limit: -1, offset: 0 });
    } catch (err) {
      this.#report(path, `${what} cannot be compiled: ${(err as Error).message}`);
      return false;
    }
    return this.#send(compiled.sql, compiled.parameters, plan.target, path, what);
  }

  async #probe(e: Expr, path: FieldPath, what: string, opts: { key?: boolean } = {}): Promise<boolean> {
    const { target } = resolveTenantScope(this.catalog, [this.ds], asTenant(this.tenant));
    const c = e.compile(dialectFor(target.type).db);
    return this.#send(c.sql, c.parameters, target, path, what, opts);
  }

  async #run(e: Expr, quiet: true): Promise<boolean> {
    const { target } = resolveTenantScope(this.catalog, [this.ds], asTenant(this.tenant));
    const c = e.compile(dialectFor(target.type).db);
    return this.#send(c.sql, c.parameters, target, null, '', {}, quiet);
  }

  async #send(text: string, parameters: readonly unknown[], target: QueryPlan['target'], path: FieldPath | null, what: string,
    opts: { key?: boolean } = {}, quiet = false): Promise<boolean> {
    this.statements++;
    try {
      await withTimeout(this.registry.executor(target.source, target.tenant).run({ sql: text, parameters, columnTypes: [], timeoutMs: this.timeoutMs, tenant: target.tenant }),
        this.timeoutMs + 3_000);
      return true;
    } catch (err) {
      if (!quiet && path !== null) {
        const f: Failure = describeFailure(err);
        const source = this.catalog.sources.get(target.source)!;
        this.#report(path, `${what} does not compile against source '${source.name}' (${ENGINE[source.type]}): ${f.message}`, 'error', opts.key);
      }
      return false;
    }
  }

  #report(path: FieldPath, message: string, severity: 'error' | 'warning' = 'error', key?: boolean): void {
    this.findings.push({ file: 'catalog', path, message, tenant: this.shownTenant, severity, ...(key !== undefined && { key }) });
  }
}

/** The file a DuckDB source opens, when it is a file on this machine. */
function duckdbPath(source: Source, tenant: string | null): string | null {
  if (source.type !== 'duckdb') return null;
  const raw = source.connection['path'];
  if (typeof raw !== 'string' || raw === '' || raw === ':memory:' || /^[a-z][a-z0-9+]*:/i.test(raw)) return null;
  if (raw.includes(TENANT_PLACEHOLDER) && tenant === null) return null;
  return resolvePath(tenant === null ? raw : raw.replaceAll(TENANT_PLACEHOLDER, tenant));
}

function withTimeout<T>(p: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => { timer = setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms); });
  return Promise.race([p, late]).finally(() => clearTimeout(timer));
}

/** One issue per field and message; the same finding for several tenants names them all. */
function toIssues(findings: readonly Finding[], locator: ConfigLocator): ConfigIssue[] {
  const groups = new Map<string, { f: Finding; tenants: string[] }>();
  for (const f of findings) {
    const id = JSON.stringify([f.file, f.path, f.key ?? false, f.message, f.severity]);
    const g = groups.get(id);
    if (g) { if (f.tenant !== null) g.tenants.push(f.tenant); } else groups.set(id, { f, tenants: f.tenant === null ? [] : [f.tenant] });
  }
  for (const { f, tenants } of groups.values()) {
    const whose = tenants.length === 0 ? '' : ` (tenant${tenants.length > 1 ? 's' : ''} ${tenants.sort().join(', ')})`;
    const sink = locator.sinks[f.file];
    if (f.severity === 'error') sink.error(f.path, `${f.message}${whose}`, { key: f.key ?? false });
    else sink.warning(f.path, `${f.message}${whose}`, { key: f.key ?? false });
  }
  const order: ConfigFileKind[] = ['catalog', 'sources', 'apiKeys'];
  const fileOrder = order.map((k) => locator.sinks[k].file);
  return [...locator.issues].sort((a, b) => fileOrder.indexOf(a.file) - fileOrder.indexOf(b.file) || a.line - b.line || a.column - b.column);
}
