import type { Catalog, Dataset, Dimension, Ident, Metric, TimeGrain } from '../catalog/types.ts';
import { TIME_GRAINS } from '../catalog/types.ts';
import { badQuery, forbidden } from '../errors.ts';
import { LIST_NAMES_AT_MOST, suggestionSuffix } from '../suggest.ts';
import type { PlannedField, Principal } from './types.ts';

/** A role sees a field when the field names no roles, or names the role; admin sees all. */
export function roleMaySee(roles: readonly string[] | null, principal: Principal): boolean {
  return principal.isAdmin || roles === null || roles.includes(principal.role);
}

/** The datasets a principal may see: by role, then by the key's allow-list. */
export function datasetVisible(ds: Dataset, principal: Principal): boolean {
  if (!roleMaySee(ds.roles, principal)) return false;
  return principal.allowedDatasets === null || principal.allowedDatasets.includes(ds.name);
}

/**
 * The datasets `base` reaches that a principal may read through it: the dataset and every
 * one on the way to it must be visible to the key (a join reads the rows it passes through).
 */
export function visibleJoined(catalog: Catalog, base: Dataset, principal: Principal): Dataset[] {
  const out: Dataset[] = [];
  for (const [name] of base.reach) {
    const path = joinPath(base, name);
    if (path.every((n) => { const d = catalog.datasets.get(n); return d !== undefined && datasetVisible(d, principal); })) {
      out.push(catalog.datasets.get(name)!);
    }
  }
  return out;
}

/** The datasets from `base` (excluded) to `name` (included), in join order. */
export function joinPath(base: Dataset, name: string): string[] {
  const path: string[] = [];
  for (let at = name; at !== base.name;) {
    path.unshift(at);
    const step = base.reach.get(at);
    if (!step) break;
    at = step.via;
  }
  return path;
}

/** Names of one dataset's fields a principal may see, prefixed (`customers.`) when joined. */
function ownFieldNames(ds: Dataset, principal: Principal, prefix: string): string[] {
  const names: string[] = [];
  for (const d of ds.dimensions) {
    if (!roleMaySee(d.roles, principal)) continue;
    names.push(`${prefix}${d.name}`);
    for (const g of d.timeGrains) names.push(`${prefix}${d.name}.${g}`);
  }
  for (const m of ds.metrics) if (roleMaySee(m.roles, principal)) names.push(`${prefix}${m.name}`);
  return names;
}

/** Names of the fields a principal may see, joined ones included, for suggestions that leak nothing hidden. */
export function visibleFieldNames(catalog: Catalog, ds: Dataset, principal: Principal): string[] {
  return [ds, ...visibleJoined(catalog, ds, principal)].flatMap((d) => ownFieldNames(d, principal, d === ds ? '' : `${d.name}.`));
}

/**
 * Planned fields are frozen values of the catalog's fields (and a grain, a prefix): made
 * once per field and reused by every query, as the catalog they come from never changes.
 */
const planned = new WeakMap<Dimension | Metric, Map<string, PlannedField>>();
function memo(field: Dimension | Metric, key: string, make: () => PlannedField): PlannedField {
  let byKey = planned.get(field);
  if (!byKey) planned.set(field, (byKey = new Map()));
  let f = byKey.get(key);
  if (!f) byKey.set(key, (f = make()));
  return f;
}

function dimensionField(ds: Dataset, d: Dimension, grain: TimeGrain | null, prefix: string): PlannedField {
  return memo(d, `${prefix}|${grain ?? ''}`, () => makeDimensionField(ds, d, grain, prefix));
}

function makeDimensionField(ds: Dataset, d: Dimension, grain: TimeGrain | null, prefix: string): PlannedField {
  const column = d.expr === null ? (d.name as Ident) : null;
  return Object.freeze({
    alias: `${prefix}${grain === null ? d.name : `${d.name}.${grain}`}`,
    kind: 'dimension' as const,
    dataset: ds.name,
    sql: d.expr ?? d.name,
    column,
    grain,
    type: grain === null ? d.type : grain === 'hour' ? 'timestamp' : 'date',
  });
}

/**
 * A metric of `ds`. A derived metric reaching other datasets' metrics keeps its formula,
 * each reference resolved the same way: the compiler aggregates every referenced metric on
 * its own dataset's grain first, then computes the formula over the results.
 */
function metricField(catalog: Catalog, ds: Dataset, m: Metric, prefix: string): PlannedField {
  return memo(m, prefix, () => makeMetricField(catalog, ds, m, prefix));
}

function makeMetricField(catalog: Catalog, ds: Dataset, m: Metric, prefix: string): PlannedField {
  const base = { alias: `${prefix}${m.name}`, kind: 'metric' as const, dataset: ds.name, column: null, grain: null, type: m.type };
  if (!m.crossDataset || m.formula === null) return Object.freeze({ ...base, sql: m.sql });
  const refs = m.formula.refs.map((r) => {
    const target = catalog.datasets.get(r.dataset)!;
    return metricField(catalog, target, target.metrics.find((x) => x.name === r.metric)!, `${r.dataset}.`);
  });
  return Object.freeze({ ...base, sql: '', formula: Object.freeze({ parts: m.formula.parts, refs: Object.freeze(refs) }) });
}

/**
 * " Did you mean 'x'?" and, when there are few (at most LIST_NAMES_AT_MOST), " Valid fields:
 * a, b, c."; with more, the closest alone, or where to find them all.
 */
export function suggestOrList(ref: string, names: readonly string[], dataset?: string, label = 'Valid fields'): string {
  const hint = suggestionSuffix(ref, names);
  if (names.length === 0) return hint;
  if (names.length <= LIST_NAMES_AT_MOST) return `${hint} ${label}: ${names.join(', ')}.`;
  if (hint !== '' || dataset === undefined) return hint;
  return ` GET /v1/datasets/${dataset} lists all ${names.length}.`;
}

/**
 * Which dataset a reference names: `region` and `order_date.month` are the queried
 * dataset's; `customers.segment` and `customers.signup_date.month` are those of a dataset
 * it reaches by joins (a reached dataset named like a time dimension is a load error).
 */
export function splitRef(catalog: Catalog, base: Dataset, ref: string): { ds: Dataset; rest: string; prefix: string } {
  const dot = ref.indexOf('.');
  if (dot > 0) {
    const head = ref.slice(0, dot);
    const joined = base.reach.has(head) ? catalog.datasets.get(head) : undefined;
    if (joined) return { ds: joined, rest: ref.slice(dot + 1), prefix: `${head}.` };
  }
  return { ds: base, rest: ref, prefix: '' };
}

/** A joined dataset's reference may be read only where the key may see every dataset on its way. */
export function checkJoinedVisible(catalog: Catalog, base: Dataset, ds: Dataset, principal: Principal, path: string): void {
  if (ds === base) return;
  for (const name of joinPath(base, ds.name)) {
    if (!datasetVisible(catalog.datasets.get(name)!, principal)) {
      throw forbidden('dataset_forbidden', `This key may not query dataset '${name}' (reached from '${base.name}' by joins).`, { field: path });
    }
  }
}

/**
 * Resolves `name`, `name.grain` or `dataset.name[.grain]` against the queried dataset for
 * this principal. Unknown: 400 with a suggestion among visible fields. Hidden by role, or
 * in a dataset the key may not read: 403 naming it.
 */
export function resolveField(catalog: Catalog, base: Dataset, principal: Principal, ref: string, path: string): PlannedField {
  const { ds, rest, prefix } = splitRef(catalog, base, ref);
  checkJoinedVisible(catalog, base, ds, principal, path);
  const dot = rest.indexOf('.');
  const name = dot < 0 ? rest : rest.slice(0, dot);
  const grainText = dot < 0 ? null : rest.slice(dot + 1);
  const dim = ds.dimensions.find((d) => d.name === name);
  const metric = dim ? undefined : ds.metrics.find((m) => m.name === name);
  if (!dim && !metric) {
    throw badQuery('unknown_field', `Dataset '${base.name}' has no dimension or metric '${ref}'.${suggestOrList(ref, visibleFieldNames(catalog, base, principal), base.name)}`,
      { field: path });
  }
  const roles = dim ? dim.roles : metric!.roles;
  if (!roleMaySee(roles, principal)) {
    throw forbidden('field_forbidden', `Role '${principal.role}' may not query field '${name}' of dataset '${ds.name}'.`, { field: path });
  }
  if (metric) {
    if (grainText !== null) throw badQuery('unknown_field', `Metric '${prefix}${name}' has no time grains.`, { field: path });
    return metricField(catalog, ds, metric, prefix);
  }
  if (grainText === null) return dimensionField(ds, dim!, null, prefix);
  const grain = TIME_GRAINS.find((g) => g === grainText);
  if (!grain || !dim!.timeGrains.includes(grain)) {
    const offered = dim!.timeGrains.length > 0 ? ` It offers: ${dim!.timeGrains.join(', ')}.` : ' It has no time grains.';
    throw badQuery('unknown_grain', `Dimension '${prefix}${name}' has no time grain '${grainText}'.${offered}`, { field: path });
  }
  return dimensionField(ds, dim!, grain, prefix);
}
