import type { Catalog, Dataset, FieldType } from '../catalog/types.ts';
import { roleMaySee } from '../query/fields.ts';
import { datasetVisible } from '../query/plan.ts';
import type { Principal } from '../query/types.ts';

/**
 * How a dataset looks to an OData client: one entity set and entity type per dataset the
 * key may see; a property per visible dimension, per time grain of a dimension
 * (`order_date_month`) and per metric; and `_key`, a string built from the row's dimension
 * values, because an entity type must have a key and aggregated rows have no natural one.
 */
export type EdmType = 'Edm.String' | 'Edm.Decimal' | 'Edm.Int64' | 'Edm.Boolean' | 'Edm.Date' | 'Edm.DateTimeOffset';

export interface ODataProperty {
  /** The OData name (an odataIdentifier). */
  readonly name: string;
  /** The semgate field it stands for: `region`, `order_date.month`, `revenue`; null for `_key`. */
  readonly field: string | null;
  readonly kind: 'key' | 'dimension' | 'metric';
  readonly type: EdmType;
  /** The semgate type of its values (what a filter literal must be). */
  readonly valueType: FieldType;
  readonly description: string | null;
}

export interface EntitySet {
  readonly name: string;
  readonly dataset: Dataset;
  readonly label: string;
  readonly description: string | null;
  readonly properties: readonly ODataProperty[];
  readonly byName: ReadonlyMap<string, ODataProperty>;
}

export interface EntityModel {
  readonly sets: readonly EntitySet[];
  readonly byName: ReadonlyMap<string, EntitySet>;
}

export const KEY_PROPERTY = '_key';

export function edmType(t: FieldType): EdmType {
  switch (t) {
    case 'string': return 'Edm.String';
    case 'number': return 'Edm.Decimal';
    case 'integer': return 'Edm.Int64';
    case 'boolean': return 'Edm.Boolean';
    case 'date': return 'Edm.Date';
    case 'timestamp': return 'Edm.DateTimeOffset';
  }
}

function entitySet(ds: Dataset, p: Principal): EntitySet {
  const props: ODataProperty[] = [{ name: KEY_PROPERTY, field: null, kind: 'key', type: 'Edm.String', valueType: 'string', description: 'Identifies the row: its dimension values' }];
  const names = new Set<string>([KEY_PROPERTY, ...ds.dimensions.map((d) => d.name), ...ds.metrics.map((m) => m.name)]);
  for (const d of ds.dimensions) {
    if (!roleMaySee(d.roles, p)) continue;
    props.push({ name: d.name, field: d.name, kind: 'dimension', type: edmType(d.type), valueType: d.type, description: d.description ?? null });
    for (const g of d.timeGrains) {
      const name = `${d.name}_${g}`;
      if (names.has(name)) continue; // a field of that name exists: the grain stays reachable over REST
      names.add(name);
      props.push({
        name, field: `${d.name}.${g}`, kind: 'dimension', type: g === 'hour' ? 'Edm.DateTimeOffset' : 'Edm.Date', valueType: g === 'hour' ? 'timestamp' : 'date',
        description: `${d.name} truncated to the ${g}${g === 'week' ? ' (ISO weeks start on Monday)' : ''}`,
      });
    }
  }
  for (const m of ds.metrics) {
    if (!roleMaySee(m.roles, p)) continue;
    props.push({ name: m.name, field: m.name, kind: 'metric', type: edmType(m.type), valueType: m.type, description: m.description ?? null });
  }
  return {
    name: ds.name, dataset: ds, label: ds.label ?? ds.name, description: ds.description ?? null,
    properties: props, byName: new Map(props.map((x) => [x.name, x])),
  };
}

/** One entity set, if the principal may see its dataset: what a request for rows needs. */
/** The entity set of `name`, or why not: 'missing' (no such dataset) or 'forbidden' (not for this key). */
export function entitySetOf(catalog: Catalog, p: Principal, name: string): EntitySet | 'missing' | 'forbidden' {
  const ds = catalog.datasets.get(name);
  if (!ds) return 'missing';
  return datasetVisible(ds, p) ? entitySet(ds, p) : 'forbidden';
}

/** The model one principal sees: what `$metadata` describes and what queries may name. */
export function entityModel(catalog: Catalog, p: Principal): EntityModel {
  const sets = [...catalog.datasets.values()].filter((d) => datasetVisible(d, p)).map((d) => entitySet(d, p));
  return { sets, byName: new Map(sets.map((s) => [s.name, s])) };
}
