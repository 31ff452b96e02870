import type { Dataset, Dimension, Ident, Metric, TimeGrain } from '../catalog/types.ts';
import { TIME_GRAINS } from '../catalog/types.ts';
import { badQuery, forbidden } from '../errors.ts';
import { suggestionSuffix } from '../suggest.ts';
import type { PlannedField, Principal } from './types.ts';

/** A role sees a field when the field names no roles, or names the role; admin sees all. */
export function roleMaySee(roles: readonly string[] | null, principal: Principal): boolean {
  return principal.isAdmin || roles === null || roles.includes(principal.role);
}

/** Names of the fields a principal may see, for suggestions that leak nothing hidden. */
export function visibleFieldNames(ds: Dataset, principal: Principal): string[] {
  const names: string[] = [];
  for (const d of ds.dimensions) {
    if (!roleMaySee(d.roles, principal)) continue;
    names.push(d.name);
    for (const g of d.timeGrains) names.push(`${d.name}.${g}`);
  }
  for (const m of ds.metrics) if (roleMaySee(m.roles, principal)) names.push(m.name);
  return names;
}

function dimensionField(ds: Dataset, d: Dimension, grain: TimeGrain | null): PlannedField {
  const column = d.expr === null ? (d.name as Ident) : null;
  return Object.freeze({
    alias: grain === null ? d.name : `${d.name}.${grain}`,
    kind: 'dimension' as const,
    dataset: ds.name,
    sql: d.expr ?? d.name,
    column,
    grain,
    type: grain === null ? d.type : grain === 'hour' ? 'timestamp' : 'date',
  });
}

function metricField(ds: Dataset, m: Metric): PlannedField {
  return Object.freeze({
    alias: m.name, kind: 'metric' as const, dataset: ds.name, sql: m.sql, column: null, grain: null, type: m.type,
  });
}

/** Fields few enough to list when nothing is close to what was asked for. */
const LIST_AT_MOST = 30;

/** " Did you mean 'x'?", else " Valid fields: a, b, c." when there are few, else "". */
export function suggestOrList(ref: string, names: readonly string[]): string {
  const hint = suggestionSuffix(ref, names);
  if (hint !== '' || names.length === 0 || names.length > LIST_AT_MOST) return hint;
  return ` Valid fields: ${names.join(', ')}.`;
}

/**
 * Resolves `name` or `name.grain` against the dataset for this principal.
 * Unknown: 400 with a suggestion among visible fields. Hidden by role: 403 naming the field.
 */
export function resolveField(ds: Dataset, principal: Principal, ref: string, path: string): PlannedField {
  const dot = ref.indexOf('.');
  const name = dot < 0 ? ref : ref.slice(0, dot);
  const grainText = dot < 0 ? null : ref.slice(dot + 1);
  const dim = ds.dimensions.find((d) => d.name === name);
  const metric = dim ? undefined : ds.metrics.find((m) => m.name === name);
  if (!dim && !metric) {
    throw badQuery('unknown_field', `Dataset '${ds.name}' has no dimension or metric '${ref}'.${suggestOrList(ref, visibleFieldNames(ds, principal))}`,
      { field: path });
  }
  const roles = dim ? dim.roles : metric!.roles;
  if (!roleMaySee(roles, principal)) {
    throw forbidden('field_forbidden', `Role '${principal.role}' may not query field '${name}' of dataset '${ds.name}'.`, { field: path });
  }
  if (metric) {
    if (grainText !== null) throw badQuery('unknown_field', `Metric '${name}' has no time grains.`, { field: path });
    return metricField(ds, metric);
  }
  if (grainText === null) return dimensionField(ds, dim!, null);
  const grain = TIME_GRAINS.find((g) => g === grainText);
  if (!grain || !dim!.timeGrains.includes(grain)) {
    const offered = dim!.timeGrains.length > 0 ? ` It offers: ${dim!.timeGrains.join(', ')}.` : ' It has no time grains.';
    throw badQuery('unknown_grain', `Dimension '${name}' has no time grain '${grainText}'.${offered}`, { field: path });
  }
  return dimensionField(ds, dim!, grain);
}
