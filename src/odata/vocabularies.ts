/**
 * The vocabulary annotations `$metadata` carries: what a client may expect to fold into the
 * request instead of fetching everything and filtering locally. Terms and their XML shapes
 * follow the OASIS vocabularies (Org.OData.Core.V1, Org.OData.Capabilities.V1,
 * Org.OData.Aggregation.V1); anything not listed here is not claimed.
 */
import { KEY_PROPERTY, type EntitySet } from './model.ts';

/** The `edmx:Reference`s: the vocabularies' published locations, included under their usual aliases. */
export const VOCABULARIES = [
  { namespace: 'Org.OData.Core.V1', alias: 'Core', uri: 'https://oasis-tcs.github.io/odata-vocabularies/vocabularies/Org.OData.Core.V1.xml' },
  { namespace: 'Org.OData.Capabilities.V1', alias: 'Capabilities', uri: 'https://oasis-tcs.github.io/odata-vocabularies/vocabularies/Org.OData.Capabilities.V1.xml' },
  { namespace: 'Org.OData.Aggregation.V1', alias: 'Aggregation', uri: 'https://oasis-tcs.github.io/odata-vocabularies/vocabularies/Org.OData.Aggregation.V1.xml' },
] as const;

/**
 * What `$filter` may use (Capabilities.FilterFunctions lists "functions and operators"). The
 * translator (src/odata/translate.ts) must accept every entry and refuse anything else with a
 * 400, so a client that trusts this list never gets a silently unfiltered result.
 */
export const FILTER_FUNCTIONS: readonly string[] = [
  'eq', 'ne', 'gt', 'ge', 'lt', 'le', 'and', 'or', 'not', 'in',
  'contains', 'startswith', 'endswith', 'tolower', 'toupper', 'year', 'month', 'day', 'date',
];

/** `$apply` transformations the translator folds. */
export const APPLY_TRANSFORMATIONS: readonly string[] = ['aggregate', 'groupby', 'filter'];

/**
 * Methods allowed in `aggregate(<metric> with <method> as <alias>)`. Declared because an
 * omitted list means "every standard method" (min, max, average, countdistinct too), which a
 * client could then push down and get a 400 for. The translator must accept these.
 */
export const AGGREGATION_METHODS: readonly string[] = ['sum'];

const INVALID_XML_CHARS = /[^\t\n\r\u0020-\uD7FF\uE000-\uFFFD\u{10000}-\u{10FFFF}]/gu;
const ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&apos;', '\t': '&#x9;', '\n': '&#xA;', '\r': '&#xD;' };

/**
 * Text safe inside a double-quoted XML attribute. Tabs and line breaks become character
 * references because attribute-value normalisation would turn them into spaces; characters
 * XML 1.0 cannot carry at all (control characters, lone surrogates) become U+FFFD, since a
 * description from the catalog must never make the whole document unparseable.
 */
export function xmlAttr(s: string): string {
  return s.replace(INVALID_XML_CHARS, '\uFFFD').replace(/[&<>"'\t\n\r]/g, (c) => ESCAPES[c]!);
}

/** `<Annotation Term="Core.Description" String="..."/>`, or nothing for a missing/blank text. */
export function description(text: string | null | undefined): string[] {
  if (text === null || text === undefined || text.trim() === '') return [];
  return [`<Annotation Term="Core.Description" String="${xmlAttr(text)}"/>`];
}

const bool = (term: string, value: boolean): string => `<Annotation Term="${term}" Bool="${value}"/>`;

/** Lines shifted right (by two spaces unless told), for nesting XML elements. */
export function indent(lines: readonly string[], by = '  '): string[] {
  return lines.map((l) => by + l);
}

/** `<PropertyValue Property="p"><Collection>items</Collection></PropertyValue>` */
function collectionValue(property: string, items: readonly string[]): string[] {
  return [`<PropertyValue Property="${property}">`, '  <Collection>', ...indent(items, '    '), '  </Collection>', '</PropertyValue>'];
}

function record(term: string, values: readonly string[]): string[] {
  return [`<Annotation Term="${term}">`, '  <Record>', ...indent(values, '    '), '  </Record>', '</Annotation>'];
}

const paths = (names: readonly string[]): string[] => names.map((n) => `<PropertyPath>${xmlAttr(n)}</PropertyPath>`);
const strings = (values: readonly string[]): string[] => values.map((v) => `<String>${xmlAttr(v)}</String>`);

/**
 * The annotations of one entity set. Read-only, no key lookup, no $expand/$search/$batch: said
 * explicitly, because the Capabilities vocabulary assumes support when a term is absent.
 * `_key` is synthetic (built from the row's dimension values after grouping), so it is declared
 * neither filterable nor sortable: a client must not push `$filter=_key eq ...` to the server.
 */
export function entitySetAnnotations(set: EntitySet): string[] {
  const dimensions = set.properties.filter((p) => p.kind === 'dimension').map((p) => p.name);
  const metrics = set.properties.filter((p) => p.kind === 'metric');
  const apply: string[] = [
    ...collectionValue('Transformations', strings(APPLY_TRANSFORMATIONS)),
    '<PropertyValue Property="Rollup" EnumMember="Aggregation.RollupType/None"/>',
    '<PropertyValue Property="From" Bool="false"/>',
  ];
  // An empty collection would mean "no restriction", so an empty list is left out instead.
  if (dimensions.length > 0) apply.push(...collectionValue('GroupableProperties', paths(dimensions)));
  if (metrics.length > 0) {
    const methods = indent(collectionValue('SupportedAggregationMethods', strings(AGGREGATION_METHODS)));
    apply.push(...collectionValue('AggregatableProperties', metrics.flatMap((m) => [
      '<Record>', `  <PropertyValue Property="Property" PropertyPath="${xmlAttr(m.name)}"/>`, ...methods, '</Record>',
    ])));
  }
  return [
    ...description(set.description),
    bool('Capabilities.TopSupported', true),
    bool('Capabilities.SkipSupported', true),
    bool('Capabilities.IndexableByKey', false),
    ...record('Capabilities.CountRestrictions', ['<PropertyValue Property="Countable" Bool="true"/>']),
    '<Annotation Term="Capabilities.FilterFunctions">', '  <Collection>', ...indent(strings(FILTER_FUNCTIONS), '    '), '  </Collection>', '</Annotation>',
    ...record('Capabilities.FilterRestrictions', [
      '<PropertyValue Property="Filterable" Bool="true"/>',
      ...collectionValue('NonFilterableProperties', paths([KEY_PROPERTY])),
    ]),
    ...record('Capabilities.SortRestrictions', [
      '<PropertyValue Property="Sortable" Bool="true"/>',
      ...collectionValue('NonSortableProperties', paths([KEY_PROPERTY])),
    ]),
    ...record('Capabilities.SearchRestrictions', ['<PropertyValue Property="Searchable" Bool="false"/>']),
    ...record('Capabilities.ExpandRestrictions', ['<PropertyValue Property="Expandable" Bool="false"/>']),
    ...record('Capabilities.InsertRestrictions', ['<PropertyValue Property="Insertable" Bool="false"/>']),
    ...record('Capabilities.UpdateRestrictions', ['<PropertyValue Property="Updatable" Bool="false"/>']),
    ...record('Capabilities.DeleteRestrictions', ['<PropertyValue Property="Deletable" Bool="false"/>']),
    ...record('Aggregation.ApplySupported', apply),
    // A metric is already an aggregate with its own definition (SUM, COUNT, a ratio of other
    // metrics, ...): a custom aggregate named like the property says `aggregate(revenue)`
    // computes it that way, where `revenue with sum` would re-add ratios and averages.
    ...metrics.map((m) => `<Annotation Term="Aggregation.CustomAggregate" Qualifier="${xmlAttr(m.name)}" String="${m.type}"/>`),
  ];
}

/** Annotations of the entity container: the service as a whole. */
export function containerAnnotations(): string[] {
  return [bool('Capabilities.BatchSupported', false)];
}
