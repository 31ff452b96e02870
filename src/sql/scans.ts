/**
 * How one SELECT reads the datasets of a plan. Each SELECT has a home dataset whose columns
 * its trusted expressions name unqualified (as `expr:`s are written); every other dataset
 * is a LEFT JOINed subquery that carries its own tenant predicate (or `{tenant}` schema)
 * and exposes only generated names (`__sg0`, ...), so an expression can never read another
 * table's column by accident, and no tenant-scoped scan is ever without its tenant.
 */
import { sql } from './fragment.ts';
import { id, raw } from './ident.ts';
import type { Dataset } from '../catalog/types.ts';
import { TENANT_ID_PLACEHOLDER, TENANT_PLACEHOLDER } from '../catalog/rules.ts';
import { GatewayError } from '../errors.ts';
import type { PlannedField, TenantScope } from '../query/types.ts';
import type { Expr, SqlDialect } from './dialects/types.ts';

const scopeMismatch = (): GatewayError => new GatewayError('internal.scope_mismatch', 500, 'The query could not be scoped to a tenant.');

/** The tenant a scope is for: only a tenant's scope has one (fail closed otherwise). */
function tenantOf(scope: TenantScope): { tenant: string; schema: string } {
  if (scope.kind !== 'tenant') throw scopeMismatch();
  return scope;
}

/** `{tenant}` becomes the tenant's schema (a quoted identifier), `{tenant_id}` the tenant id (a parameter). */
function withTenant(text: string, scope: TenantScope): Expr {
  if (!text.includes(TENANT_PLACEHOLDER) && !text.includes(TENANT_ID_PLACEHOLDER)) return raw(text);
  const pieces = text.split(/(\{tenant\}|\{tenant_id\})/);
  return sql.join(pieces.map((p) => (p === TENANT_PLACEHOLDER ? id(tenantOf(scope).schema)
    : p === TENANT_ID_PLACEHOLDER ? sql`${tenantOf(scope).tenant}` : raw(p))), raw(''));
}

/** A dataset's rows, before its tenant predicate: its table, or its `sql:` as a subquery. */
export function fromExpr(ds: Dataset, scope: TenantScope): Expr {
  if (ds.table) {
    const schema = ds.table.schema === TENANT_PLACEHOLDER ? tenantOf(scope).schema : ds.table.schema;
    return schema === null ? id(ds.table.name) : id(schema, ds.table.name);
  }
  return sql`(${withTenant(ds.sql!, scope)})`;
}

/**
 * The tenant predicate of one scan of `ds` (aliased `alias`), or null where the layout
 * needs none: a shared table read for one tenant compares its tenant column exactly.
 */
export function tenantPredicate(ds: Dataset, scope: TenantScope, alias: string, d: SqlDialect): Expr | null {
  if (ds.layout.kind !== 'shared' || scope.kind !== 'tenant') return null;
  return d.tenantEquals(id(alias, ds.layout.tenantColumn), scope.tenant);
}

/** The SQL of a field over its own dataset's columns (unqualified), before any time grain. */
export function ownExpr(f: PlannedField): Expr {
  return f.column !== null ? id(f.column) : sql`${raw(f.sql)}`;
}

/** A joined dataset's subquery and the columns it exposes. */
interface Scan {
  readonly ds: Dataset;
  readonly alias: string;
  /** Exposed name by the text of its expression. */
  readonly columns: Map<string, { name: string; expr: Expr }>;
}

/**
 * One SELECT's datasets: the home one read directly (`t`), the others joined in through
 * scans. Expressions are registered as they are compiled; `from()` then writes the FROM
 * clause with every scan the expressions needed, and the joins on the way to them.
 */
export class Level {
  readonly #scans = new Map<string, Scan>();
  #next = 0;

  constructor(readonly home: Dataset, private readonly base: Dataset, private readonly datasets: ReadonlyMap<string, Dataset>,
    private readonly scope: TenantScope, private readonly d: SqlDialect) {}

  /** A dataset's expression as this SELECT reads it: as written at home, else through its scan. */
  read(dataset: string, expr: Expr, key: string): Expr {
    if (dataset === this.home.name) return expr;
    const scan = this.#scan(dataset);
    let col = scan.columns.get(key);
    if (!col) {
      col = { name: `__sg${this.#next++}`, expr };
      scan.columns.set(key, col);
    }
    return id(scan.alias, col.name);
  }

  /** A field's SQL in this SELECT, before any time grain. */
  field(f: PlannedField): Expr {
    return this.read(f.dataset, ownExpr(f), f.column !== null ? `c:${f.column}` : `e:${f.sql}`);
  }

  /** A column of a dataset (a join key), qualified at home so no joined name can shadow it. */
  column(dataset: string, column: string): Expr {
    return dataset === this.home.name ? id('t', column) : this.read(dataset, id(column), `c:${column}`);
  }

  #scan(name: string): Scan {
    let scan = this.#scans.get(name);
    if (!scan) {
      const ds = this.datasets.get(name);
      if (!ds) throw scopeMismatch(); // the planner lists every dataset a plan reads
      scan = { ds, alias: `j_${name}`, columns: new Map() };
      this.#scans.set(name, scan);
      // The dataset it is joined from is read too (its join column), nearest first.
      const step = this.base.reach.get(name);
      if (step && step.via !== this.home.name) this.#scan(step.via);
    }
    return scan;
  }

  /** The FROM clause: the home dataset as `t`, then each scan joined on its `on` columns. */
  from(): Expr {
    // Join columns first: they may add scans (and columns) of their own.
    const joins: { scan: Scan; on: Expr }[] = [];
    const order = [...this.base.reach.keys()].filter((n) => this.#scans.has(n));
    for (const name of order) {
      const scan = this.#scans.get(name)!;
      const step = this.base.reach.get(name)!;
      const on = sql.join(step.join.on.map((p) => sql`${this.column(step.via, p.from)} = ${this.read(name, id(p.to), `c:${p.to}`)}`), raw(' and '));
      joins.push({ scan, on });
    }
    let out = sql`${fromExpr(this.home, this.scope)} as ${id('t')}`;
    for (const { scan, on } of joins) {
      const cols = [...scan.columns.values()].map((c) => sql`${c.expr} as ${id(c.name)}`);
      const tenant = tenantPredicate(scan.ds, this.scope, 't', this.d);
      const sub = sql`select ${sql.join(cols)} from ${fromExpr(scan.ds, this.scope)} as ${id('t')}${tenant ? sql` where ${tenant}` : sql``}`;
      out = sql`${out} left join (${sub}) as ${id(scan.alias)} on ${on}`;
    }
    return out;
  }

  /** The home dataset's tenant predicate, for this SELECT's WHERE. */
  homeTenant(): Expr | null {
    return tenantPredicate(this.home, this.scope, 't', this.d);
  }
}
