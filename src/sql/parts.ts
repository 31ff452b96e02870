/**
 * No metric is multiplied by a join. When a plan's metrics are not all the queried
 * dataset's, or a join it needs repeats the queried dataset's rows (one_to_many), each
 * dataset's metrics are aggregated on their own grain, then combined on the requested
 * dimensions:
 *
 * - the queried dataset's metrics, when no join repeats its rows: one grouped SELECT over
 *   the joins the dimensions and filters need (it has a row for every group);
 * - any other dataset's (or the queried one's when repeated): the distinct (dimensions,
 *   primary key) pairs of the joined rows that pass the filters, joined to that dataset's
 *   own scan on its primary key, so each of its rows counts once per group it belongs to;
 * - the groups themselves (when no part above has every one): the distinct dimensions.
 *
 * The parts are stacked with UNION ALL and grouped by the dimensions (which treats NULLs as
 * equal, as a full outer join on them would not), each metric read as the MAX of its one
 * value. A group a part has no row for gets the metric's value over no rows (COUNT 0, SUM
 * NULL), computed by the metric itself. Derived metrics across datasets are computed last,
 * over those values. The result equals aggregating each table separately by hand.
 */
import { sql } from './fragment.ts';
import { id, raw } from './ident.ts';
import type { Dataset } from '../catalog/types.ts';
import type { Condition, PlannedField, QueryPlan } from '../query/types.ts';
import { aggregateExpr, conditionExpr, withGrain, type Reader } from './conditions.ts';
import { levelReader, rowWhere } from './rows.ts';
import type { Expr, SqlDialect } from './dialects/types.ts';
import { fromExpr, Level, ownExpr, tenantPredicate } from './scans.ts';

/** The metrics a plan aggregates (outputs, metric filters, and what derived metrics reference), once each. */
function baseMetrics(plan: QueryPlan): PlannedField[] {
  const out = new Map<string, PlannedField>();
  for (const f of plan.metrics) addBaseMetric(out, f);
  addConditionMetrics(out, plan.having);
  return [...out.values()];
}

function addBaseMetric(out: Map<string, PlannedField>, f: PlannedField): void {
  if (f.formula) {
    for (const ref of f.formula.refs) addBaseMetric(out, ref);
    return;
  }
  const key = metricKey(f);
  if (!out.has(key)) out.set(key, f);
}

function addConditionMetrics(out: Map<string, PlannedField>, c: Condition | null): void {
  if (!c) return;
  if (c.kind === 'compare') { if (c.field.kind === 'metric') addBaseMetric(out, c.field); }
  else if (c.kind === 'not') addConditionMetrics(out, c.item);
  else if (c.kind === 'and' || c.kind === 'or') for (const item of c.items) addConditionMetrics(out, item);
}

const metricKeys = new WeakMap<PlannedField, string>();

/** What makes two planned metrics the same aggregate (planned fields are made once and reused). */
function metricKey(f: PlannedField): string {
  let key = metricKeys.get(f);
  if (key === undefined) {
    key = metricKeyOf(f);
    metricKeys.set(f, key);
  }
  return key;
}

function metricKeyOf(f: PlannedField): string {
  return JSON.stringify([f.dataset, f.sql, f.aggregateOf ? [f.aggregateOf.fn, f.aggregateOf.field.dataset, f.aggregateOf.field.sql, f.aggregateOf.field.grain] : null]);
}

/** Datasets the rows of a grouped SELECT need: those its dimensions and filters read. */
function rowDatasets(plan: QueryPlan): Set<string> {
  const names = new Set<string>();
  for (const f of plan.dimensions) names.add(f.dataset);
  conditionDatasets(names, plan.where);
  return names;
}

function conditionDatasets(names: Set<string>, c: Condition | null): void {
  if (!c) return;
  if (c.kind === 'compare') names.add(c.field.dataset);
  else if (c.kind === 'segment') names.add(c.dataset);
  else if (c.kind === 'not') conditionDatasets(names, c.item);
  else for (const item of c.items) conditionDatasets(names, item);
}

/** Whether a join the rows need repeats the queried dataset's rows. */
function repeatsBase(plan: QueryPlan): boolean {
  return [...rowDatasets(plan)].some((n) => plan.dataset.reach.get(n)?.fansOut === true);
}

/** A plan with metrics of several datasets, or of a repeated queried dataset, needs parts. */
export function needsParts(plan: QueryPlan): boolean {
  // One dataset read: nothing to join, nothing repeated (the common case, decided at once).
  if (plan.datasets.size === 1) return false;
  const metrics = baseMetrics(plan);
  if (metrics.length === 0) return false;
  return plan.metrics.some((f) => f.formula !== undefined) || metrics.some((f) => f.dataset !== plan.dataset.name) || repeatsBase(plan);
}

const d_ = (i: number): string => `__sg_d${i}`;
const m_ = (i: number): string => `__sg_m${i}`;
const q_ = (i: number): string => `__sg_q${i}`;
const k_ = (i: number): string => `__sg_k${i}`;

interface Part {
  readonly dataset: Dataset;
  /** Has a row for every group (the queried dataset's own rows, not repeated). */
  readonly complete: boolean;
  readonly metrics: PlannedField[];
  select: Expr;
}

/** `select <dims> ...` of a row-level SELECT over the queried dataset and its joins. */
function dimensionColumns(plan: QueryPlan, r: Reader): Expr[] {
  return plan.dimensions.map((f, i) => sql`${r.value(f)} as ${id(d_(i))}`);
}

function groupBy(n: number): Expr | null {
  return n === 0 ? null : sql`group by ${sql.join(Array.from({ length: n }, (_, i) => raw(String(i + 1))))}`;
}

function clauses(items: (Expr | null)[]): Expr {
  return sql.join(items.filter((x): x is Expr => x !== null), raw(' '));
}

/** The queried dataset's own metrics, grouped over the joined rows (no join repeats them). */
function completePart(plan: QueryPlan, metrics: PlannedField[], first: number, d: SqlDialect): Expr {
  const level = new Level(plan.dataset, plan.dataset, plan.datasets, plan.scope, d);
  const r = levelReader(level, d);
  const cols = [...dimensionColumns(plan, r), ...metrics.map((f, j) => sql`${r.value(f)} as ${id(m_(first + j))}`)];
  const where = rowWhere(level, plan, r, d);
  return clauses([sql`select ${sql.join(cols)} from ${level.from()}`, where ? sql`where ${where}` : null, groupBy(plan.dimensions.length)]);
}

const primaryKeys = new WeakMap<Dataset, PlannedField[]>();

/** A dataset's primary key columns as planned dimensions (made once per dataset). */
function primaryKeyFields(ds: Dataset): PlannedField[] {
  let fields = primaryKeys.get(ds);
  if (fields === undefined) {
    fields = (ds.primaryKey ?? []).map((name): PlannedField => {
      const dim = ds.dimensions.find((x) => x.name === name)!;
      return { alias: name, kind: 'dimension', dataset: ds.name, sql: dim.expr ?? dim.name, column: dim.expr === null ? (dim.name as PlannedField['column']) : null, grain: null, type: dim.type };
    });
    primaryKeys.set(ds, fields);
  }
  return fields;
}

/**
 * Another dataset's metrics (or the queried one's, repeated by a join): the distinct
 * (dimensions, primary key) pairs of the filtered joined rows, joined to the dataset's own
 * scan on its primary key, grouped by the dimensions.
 */
function keyedPart(plan: QueryPlan, ds: Dataset, metrics: PlannedField[], first: number, d: SqlDialect): Expr {
  const level = new Level(plan.dataset, plan.dataset, plan.datasets, plan.scope, d);
  const r = levelReader(level, d);
  const pk = primaryKeyFields(ds);
  const pkRefs = pk.map((p) => level.field(p));
  const keysWhere = rowWhere(level, plan, r, d, pkRefs.map((e) => sql`${e} is not null`));
  const keys = clauses([
    sql`select distinct ${sql.join([...dimensionColumns(plan, r), ...pkRefs.map((e, i) => sql`${e} as ${id(k_(i))}`)])} from ${level.from()}`,
    keysWhere ? sql`where ${keysWhere}` : null,
  ]);
  // The dataset's own rows, read at home: its metric expressions name its columns unqualified.
  const home = new Level(ds, plan.dataset, plan.datasets, plan.scope, d);
  const hr = levelReader(home, d);
  const on = sql.join(pk.map((p, i) => sql`${ownExpr(p)} = ${id('k', k_(i))}`), raw(' and '));
  const tenant = tenantPredicate(ds, plan.scope, 't', d);
  const cols = [
    ...plan.dimensions.map((_, i) => sql`${id('k', d_(i))} as ${id(d_(i))}`),
    ...metrics.map((f, j) => sql`${hr.value(f)} as ${id(m_(first + j))}`),
  ];
  return clauses([
    sql`select ${sql.join(cols)} from (${keys}) as ${id('k')} inner join ${fromExpr(ds, plan.scope)} as ${id('t')} on ${on}`,
    tenant ? sql`where ${tenant}` : null,
    groupBy(plan.dimensions.length),
  ]);
}

/** Every group of the query: the distinct dimensions of the filtered joined rows. */
function groupsPart(plan: QueryPlan, d: SqlDialect): Expr {
  const level = new Level(plan.dataset, plan.dataset, plan.datasets, plan.scope, d);
  const r = levelReader(level, d);
  const where = rowWhere(level, plan, r, d);
  return clauses([sql`select distinct ${sql.join(dimensionColumns(plan, r))} from ${level.from()}`, where ? sql`where ${where}` : null]);
}

/** A metric's value over no rows (COUNT 0, SUM NULL), from the metric itself over an empty scan of its dataset. */
function emptyValue(f: PlannedField, ds: Dataset, plan: QueryPlan, d: SqlDialect): Expr {
  const value = aggregateExpr(f, (inner) => withGrain(inner, ownExpr(inner), d));
  const tenant = tenantPredicate(ds, plan.scope, 't', d);
  return sql`(select ${value} from ${fromExpr(ds, plan.scope)} as ${id('t')} where ${tenant ? sql`${tenant} and ` : sql``}1 = 0)`;
}

export function partsSelect(plan: QueryPlan, d: SqlDialect): { select: Expr; value: (f: PlannedField) => Expr } {
  const repeated = repeatsBase(plan);
  const parts: Part[] = [];
  for (const f of baseMetrics(plan)) {
    const owner = plan.datasets.get(f.dataset)!;
    let part = parts.find((p) => p.dataset === owner);
    if (!part) {
      part = { dataset: owner, complete: owner === plan.dataset && !repeated, metrics: [], select: sql`` };
      parts.push(part);
    }
    part.metrics.push(f);
  }
  let first = 0;
  const columnOf = new Map<string, { part: number; column: number }>();
  parts.forEach((p, i) => {
    p.select = p.complete ? completePart(plan, p.metrics, first, d) : keyedPart(plan, p.dataset, p.metrics, first, d);
    p.metrics.forEach((f, j) => columnOf.set(metricKey(f), { part: i, column: first + j }));
    first += p.metrics.length;
  });
  const typeOf = parts.flatMap((p) => p.metrics.map((f) => f.type));
  const nd = plan.dimensions.length;
  // Without dimensions every part is one row (an aggregate over no rows included): no groups to add.
  const needGroups = nd > 0 && !parts.some((p) => p.complete);
  const branch = (select: Expr, part: number | null): Expr => {
    const p = part === null ? null : parts[part]!;
    const cols = [
      ...Array.from({ length: nd }, (_, i) => id(d_(i))),
      ...Array.from({ length: first }, (_, j) => (p && p.metrics.some((f) => columnOf.get(metricKey(f))!.column === j) ? id(m_(j)) : d.typedNull(typeOf[j]!))),
      ...parts.map((_, i) => (i === part ? sql`1` : d.typedNull('integer'))),
    ];
    // Names come from the first branch; the others only line up.
    const named = cols.map((c, i) => sql`${c} as ${id(i < nd ? d_(i) : i < nd + first ? m_(i - nd) : q_(i - nd - first))}`);
    return sql`select ${sql.join(named)} from (${select}) as ${id(`p${part ?? 'g'}`)}`;
  };
  const stacked = sql.join([...parts.map((p, i) => branch(p.select, i)), ...(needGroups ? [branch(groupsPart(plan, d), null)] : [])], raw(' union all '));

  const value = (f: PlannedField): Expr => {
    if (f.formula) {
      const pieces: Expr[] = [raw(f.formula.parts[0]!)];
      f.formula.refs.forEach((ref, i) => pieces.push(sql`(${value(ref)})`, raw(f.formula!.parts[i + 1]!)));
      return sql.join(pieces, raw(''));
    }
    if (f.kind === 'dimension') return id('u', d_(plan.dimensions.findIndex((x) => x.alias === f.alias)));
    const at = columnOf.get(metricKey(f))!;
    const max = sql`MAX(${id('u', m_(at.column))})`;
    if (nd === 0 || parts[at.part]!.complete) return max;
    return sql`CASE WHEN MAX(${id('u', q_(at.part))}) IS NULL THEN ${emptyValue(f, parts[at.part]!.dataset, plan, d)} ELSE ${max} END`;
  };
  const outer: Reader = { value, segment: () => { throw new Error('segments filter rows, before aggregation'); } };
  const columns = [
    ...plan.dimensions.map((f, i) => sql`${id('u', d_(i))} as ${id(f.alias)}`),
    ...plan.metrics.map((f) => sql`${value(f)} as ${id(f.alias)}`),
  ];
  const having = plan.having ? conditionExpr(plan.having, d, outer) : null;
  const select = clauses([
    sql`select ${sql.join(columns)} from (${stacked}) as ${id('u')}`,
    groupBy(nd),
    having ? sql`having ${having}` : null,
  ]);
  return { select, value };
}
