/**
 * `GET /odata/$metadata` (CSDL XML, OData 4.0) and `GET /odata/` (the JSON service document)
 * for the entity model one key may see (src/odata/model.ts). Power Query asks for the
 * metadata as XML only and Tableau assumes XML too, so there is no JSON CSDL.
 */
import { KEY_PROPERTY, type EntityModel, type EntitySet, type ODataProperty } from './model.ts';
import { containerAnnotations, description, entitySetAnnotations, indent, VOCABULARIES, xmlAttr } from './vocabularies.ts';

/** The schema namespace: entity types are `semgate.<dataset>`. */
export const SCHEMA_NAMESPACE = 'semgate';
export const CONTAINER_NAME = 'Container';
/** OData JSON answers, numbers as numbers (IEEE754Compatible=true: Int64 and Decimal as strings). */
export const JSON_CONTENT_TYPE = 'application/json;odata.metadata=minimal;odata.streaming=true;IEEE754Compatible=false;charset=utf-8';
/** The media type `$metadata` is served with (Power Query rejects anything but XML). */
export const METADATA_CONTENT_TYPE = 'application/xml';

/**
 * Type facets. CSDL 4.0 defaults Edm.Decimal to Scale 0 (integers only!), so decimals say
 * `Scale="variable"` (and no Precision: the engines' numerics have none we could promise).
 * Edm.DateTimeOffset defaults to Precision 0 (whole seconds), while the executors return
 * milliseconds, hence Precision 3.
 */
function facets(p: ODataProperty): string {
  switch (p.type) {
    case 'Edm.Decimal': return ' Scale="variable"';
    case 'Edm.DateTimeOffset': return ' Precision="3"';
    default: return '';
  }
}

function property(p: ODataProperty): string[] {
  const nullable = p.name === KEY_PROPERTY ? 'false' : 'true';
  const open = `<Property Name="${xmlAttr(p.name)}" Type="${p.type}"${facets(p)} Nullable="${nullable}"`;
  const notes = description(p.description);
  if (notes.length === 0) return [`${open}/>`];
  return [`${open}>`, ...indent(notes), '</Property>'];
}

function entityType(set: EntitySet): string[] {
  return [
    `<EntityType Name="${xmlAttr(set.name)}">`,
    `  <Key><PropertyRef Name="${KEY_PROPERTY}"/></Key>`,
    ...indent(set.properties.flatMap(property)),
    // On the type and on the set alike: clients that list sets and those that browse types
    // each find it where they look.
    ...indent(description(set.description)),
    '</EntityType>',
  ];
}

function entitySet(set: EntitySet): string[] {
  return [
    `<EntitySet Name="${xmlAttr(set.name)}" EntityType="${SCHEMA_NAMESPACE}.${xmlAttr(set.name)}">`,
    ...indent(entitySetAnnotations(set)),
    '</EntitySet>',
  ];
}

/**
 * The entity container. The XSD requires at least one entity set in a container, so a key
 * that may see no dataset gets a schema without one (still a valid, empty service).
 */
function container(model: EntityModel): string[] {
  if (model.sets.length === 0) return [];
  return [
    `<EntityContainer Name="${CONTAINER_NAME}">`,
    ...indent(model.sets.flatMap(entitySet)),
    ...indent(containerAnnotations()),
    '</EntityContainer>',
  ];
}

/** The CSDL XML document describing `model`. */
export function metadataXml(model: EntityModel): string {
  const lines = [
    '<?xml version="1.0" encoding="utf-8"?>',
    '<edmx:Edmx xmlns:edmx="http://docs.oasis-open.org/odata/ns/edmx" Version="4.0">',
    ...VOCABULARIES.flatMap((v) => indent([
      `<edmx:Reference Uri="${v.uri}">`,
      `  <edmx:Include Namespace="${v.namespace}" Alias="${v.alias}"/>`,
      '</edmx:Reference>',
    ])),
    '  <edmx:DataServices>',
    `    <Schema xmlns="http://docs.oasis-open.org/odata/ns/edm" Namespace="${SCHEMA_NAMESPACE}">`,
    ...indent(model.sets.flatMap(entityType), '      '),
    ...indent(container(model), '      '),
    '    </Schema>',
    '  </edmx:DataServices>',
    '</edmx:Edmx>',
  ];
  return lines.join('\n') + '\n';
}

export interface ServiceDocument {
  readonly '@odata.context': string;
  readonly value: readonly { name: string; kind: 'EntitySet'; url: string; title?: string }[];
}

/**
 * The service document (OData JSON Format 4.0, section 5): one entry per entity set, `url`
 * relative to the service root. `baseUrl` is the service root (`https://host/odata/`); a
 * missing trailing slash is added, since relative URLs resolve against it.
 */
export function serviceDocument(model: EntityModel, baseUrl: string): ServiceDocument {
  const root = baseUrl.endsWith('/') ? baseUrl : `${baseUrl}/`;
  return {
    '@odata.context': `${root}$metadata`,
    value: model.sets.map((s) => ({
      name: s.name, kind: 'EntitySet' as const, url: s.name,
      ...(s.label !== s.name ? { title: s.label } : {}),
    })),
  };
}
