import type { Catalog, Dataset, FieldType } from '../catalog/types.ts';
import { roleMaySee, visibleJoined } from '../query/fields.ts';
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
  /** A field of a dataset reached by joins: returned only when named (not part of `*`). */
  readonly joined?: boolean;
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

/**
 * The properties of one dataset's fields: `region`, `order_date_month`, and for a dataset
 * reached by joins `customers_segment`, `customers_signup_date_month` (OData names have no
 * dots). A name an earlier property has is skipped: that field stays reachable over REST.
 */
function fieldProperties(ds: Dataset, p: Principal, joined: boolean, names: Set<string>, props: ODataProperty[]): void {
  const prefix = joined ? `${ds.name}_` : '';
  const refPrefix = joined ? `${ds.name}.` : '';
  const add = (prop: ODataProperty): void => {
    if (names.has(prop.name) && joined) return;
    names.add(prop.name);
    props.push(joined ? { ...prop, joined: true } : prop);
  };
  const about = (text: string | undefined): string | null => (joined ? `${ds.label ?? ds.name}: ${text ?? ''}`.replace(/: $/, '') : text ?? null);
  for (const d of ds.dimensions) {
    if (!roleMaySee(d.roles, p)) continue;
    add({ name: `${prefix}${d.name}`, field: `${refPrefix}${d.name}`, kind: 'dimension', type: edmType(d.type), valueType: d.type, description: about(d.description) });
    for (const g of d.timeGrains) {
      const name = `${prefix}${d.name}_${g}`;
      if (names.has(name)) continue; // a field of that name exists: the grain stays reachable over REST
      add({
        name, field: `${refPrefix}${d.name}.${g}`, kind: 'dimension', type: g === 'hour' ? 'Edm.DateTimeOffset' : 'Edm.Date', valueType: g === 'hour' ? 'timestamp' : 'date',
        description: about(`${d.name} truncated to the ${g}${g === 'week' ? ' (ISO weeks start on Monday)' : ''}`),
      });
    }
  }
  for (const m of ds.metrics) {
    if (!roleMaySee(m.roles, p)) continue;
    add({ name: `${prefix}${m.name}`, field: `${refPrefix}${m.name}`, kind: 'metric', type: edmType(m.type), valueType: m.type, description: about(m.description) });
  }
}

function entitySet(catalog: Catalog, ds: Dataset, p: Principal): EntitySet {
  const props: ODataProperty[] = [{ name: KEY_PROPERTY, field: null, kind: 'key', type: 'Edm.String', valueType: 'string', description: 'Identifies the row: its dimension values' }];
  // The dataset's own names first: a grain property never takes a field's name.
  const names = new Set<string>([KEY_PROPERTY, ...ds.dimensions.map((d) => d.name), ...ds.metrics.map((m) => m.name)]);
  fieldProperties(ds, p, false, names, props);
  for (const joined of visibleJoined(catalog, ds, p)) fieldProperties(joined, p, true, names, props);
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
  return datasetVisible(ds, p) ? entitySet(catalog, ds, p) : 'forbidden';
}

/** The model one principal sees: what `$metadata` describes and what queries may name. */
export function entityModel(catalog: Catalog, p: Principal): EntityModel {
  const sets = [...catalog.datasets.values()].filter((d) => datasetVisible(d, p)).map((d) => entitySet(catalog, d, p));
  return { sets, byName: new Map(sets.map((s) => [s.name, s])) };
}
