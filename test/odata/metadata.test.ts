/**
 * `$metadata` must be valid CSDL XML for every configuration a user starts from, for every kind
 * of key: validated with libxml2's xmllint (compiled to wasm, so CI needs no system package)
 * against the OASIS XSDs shipped in the npm package odata-csdl, converted by the OASIS
 * XML-to-JSON converter in strict mode (name collisions, unexpected elements), and then read
 * back and compared with what the catalog says the key may see.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { Ajv } from 'ajv';
import { XMLParser } from 'fast-xml-parser';
import { beforeAll, describe, expect, it } from 'vitest';
import { validateXML } from 'xmllint-wasm';
import { loadCatalog } from '../helpers/catalog.ts';
import type { Catalog, Dataset, FieldType } from '../../src/catalog/types.ts';
import { metadataXml, serviceDocument } from '../../src/odata/metadata.ts';
import { entityModel, type EntityModel } from '../../src/odata/model.ts';
import type { Principal } from '../../src/query/types.ts';

const require = createRequire(import.meta.url);
const CSDL_DIR = path.join(path.dirname(require.resolve('odata-csdl/package.json')), 'schemas');
const EDMX_XSD = readFileSync(path.join(CSDL_DIR, 'edmx.xsd'), 'utf8');
const EDM_XSD = readFileSync(path.join(CSDL_DIR, 'edm.xsd'), 'utf8');
const { xml2json } = require('odata-csdl') as { xml2json: (xml: string, opts: { strict: boolean }) => Record<string, unknown> };
const csdlJsonValid = new Ajv({ strict: false, allErrors: true }).compile(JSON.parse(readFileSync(path.join(CSDL_DIR, 'csdl.schema.json'), 'utf8')));

/**
 * xmllint --noout --schema edmx.xsd over several documents in one run (each run starts a wasm
 * worker, ~0.3 s): for each document, its complaints (none when valid).
 */
async function xsdErrors(docs: readonly string[]): Promise<string[][]> {
  const names = docs.map((_, i) => `doc${i}.xml`);
  const r = await validateXML({
    xml: docs.map((contents, i) => ({ fileName: names[i]!, contents })),
    schema: [EDMX_XSD],
    preload: [{ fileName: 'edm.xsd', contents: EDM_XSD }], // edmx.xsd imports it by this name
  });
  // A parser error is followed by context lines without a location: they belong to the file
  // named before them. Nothing may come before the first located line, or a failure could hide.
  const errors = names.map((): string[] => []);
  let current = -1;
  for (const e of r.errors) {
    if (e.loc) current = names.indexOf(e.loc.fileName);
    expect(current, e.rawMessage).toBeGreaterThanOrEqual(0);
    errors[current]!.push(e.rawMessage);
  }
  expect(r.valid).toBe(errors.every((e) => e.length === 0));
  return errors;
}

const ARRAYS = new Set(['edmx:Reference', 'EntityType', 'Property', 'EntitySet', 'Annotation', 'String', 'PropertyPath', 'Record', 'PropertyValue']);
const parser = new XMLParser({
  ignoreAttributes: false, attributeNamePrefix: '', htmlEntities: true, // decodes &#xA; and the like
  isArray: (name, _path, _leaf, isAttribute) => !isAttribute && ARRAYS.has(name),
});
type Node = Record<string, any>;

function parse(xml: string): { refs: Node[]; types: Node[]; sets: Node[] } {
  const edmx = parser.parse(xml)['edmx:Edmx'];
  const schema = edmx['edmx:DataServices'].Schema;
  return { refs: edmx['edmx:Reference'], types: schema.EntityType ?? [], sets: schema.EntityContainer?.EntitySet ?? [] };
}
const annotation = (node: Node, term: string): Node | undefined => (node.Annotation ?? []).find((a: Node) => a.Term === term);

const configDirs = ['.', ...readdirSync('examples').map((d) => path.join('examples', d))].filter((d) => existsSync(path.join(d, 'catalog.yaml')));
const catalogs = new Map<string, Catalog>();
for (const dir of configDirs) {
  catalogs.set(dir, await loadCatalog(dir, { env: {} }));
}

const ADMIN: Principal = { keyId: 'k_admin', tenant: null, role: 'admin', isAdmin: true, allowedDatasets: null };
/** The admin, every kind of key the configuration hands out, and a role no `roles:` list names. */
function principals(catalog: Catalog): [string, Principal][] {
  const out = new Map<string, Principal>([['admin', ADMIN]]);
  for (const k of catalog.apiKeys) {
    if (k.role === 'admin') continue;
    const label = `${k.role}${k.allowedDatasets ? ` [${k.allowedDatasets.join(',')}]` : ''}`;
    out.set(label, { keyId: k.id, tenant: k.tenant, role: k.role, isAdmin: false, allowedDatasets: k.allowedDatasets });
  }
  out.set('ungranted role', { keyId: 'k_none', tenant: 't', role: 'sgt_no_grants', isAdmin: false, allowedDatasets: null });
  return [...out];
}

// The expectations below are derived from the catalog on their own, not from model.ts.
const may = (roles: readonly string[] | null, p: Principal): boolean => p.isAdmin || roles === null || roles.includes(p.role);
const visible = (ds: Dataset, p: Principal): boolean => may(ds.roles, p) && (p.allowedDatasets === null || p.allowedDatasets.includes(ds.name));
const EDM: Record<FieldType, string> = {
  string: 'Edm.String', number: 'Edm.Decimal', integer: 'Edm.Int64', boolean: 'Edm.Boolean', date: 'Edm.Date', timestamp: 'Edm.DateTimeOffset',
};

const cases = [...catalogs].flatMap(([dir, catalog]) => principals(catalog).map(([who, p]) => ({ dir, who, catalog, p })));

describe('$metadata', () => {
  const docs = cases.map(({ catalog, p }) => metadataXml(entityModel(catalog, p)));
  let verdicts: string[][] = [];
  beforeAll(async () => { verdicts = await xsdErrors(docs); });

  it.each(cases.map((c, i) => ({ ...c, i })))('$dir as $who: valid CSDL XML describing exactly what the key may see', ({ catalog, p, i }) => {
    const xml = docs[i]!;
    expect(verdicts[i]).toEqual([]);
    const json = xml2json(xml, { strict: true });
    expect(csdlJsonValid(json), JSON.stringify(csdlJsonValid.errors)).toBe(true);

    const { refs, types, sets } = parse(xml);
    expect(refs.map((r) => [r['edmx:Include'].Namespace, r['edmx:Include'].Alias])).toEqual([
      ['Org.OData.Core.V1', 'Core'], ['Org.OData.Capabilities.V1', 'Capabilities'], ['Org.OData.Aggregation.V1', 'Aggregation'],
    ]);
    const expected = [...catalog.datasets.values()].filter((ds) => visible(ds, p));
    expect(types.map((t) => t.Name)).toEqual(expected.map((ds) => ds.name));
    expect(sets.map((s) => [s.Name, s.EntityType])).toEqual(expected.map((ds) => [ds.name, `semgate.${ds.name}`]));

    for (const ds of expected) {
      const type = types.find((t) => t.Name === ds.name)!;
      const props = new Map<string, Node>(type.Property.map((x: Node) => [x.Name, x]));
      expect(type.Key.PropertyRef.Name).toBe('_key');
      expect(props.get('_key')).toMatchObject({ Type: 'Edm.String', Nullable: 'false' });
      expect(annotation(type, 'Core.Description')?.String).toBe(ds.description);

      const wanted = new Map<string, string>([['_key', 'Edm.String']]);
      const metricNames: string[] = [];
      for (const d of ds.dimensions.filter((f) => may(f.roles, p))) {
        wanted.set(d.name, EDM[d.type]);
        expect(annotation(props.get(d.name)!, 'Core.Description')?.String).toBe(d.description);
        for (const g of d.timeGrains) if (!wanted.has(`${d.name}_${g}`)) wanted.set(`${d.name}_${g}`, g === 'hour' ? 'Edm.DateTimeOffset' : 'Edm.Date');
      }
      for (const m of ds.metrics.filter((f) => may(f.roles, p))) {
        wanted.set(m.name, EDM[m.type]);
        metricNames.push(m.name);
        expect(annotation(props.get(m.name)!, 'Core.Description')?.String).toBe(m.description);
      }
      // Then the fields of every dataset it reaches by joins that the key may read on the
      // whole way there, as `<dataset>_<field>` (a name taken already keeps its first owner).
      const pathTo = (name: string): string[] => (name === ds.name ? [] : [...pathTo(ds.reach.get(name)!.via), name]);
      for (const name of ds.reach.keys()) {
        if (!pathTo(name).every((n) => visible(catalog.datasets.get(n)!, p))) continue;
        const j = catalog.datasets.get(name)!;
        const add = (prop: string, type: string): boolean => (wanted.has(prop) ? false : (wanted.set(prop, type), true));
        for (const d of j.dimensions.filter((f) => may(f.roles, p))) {
          add(`${name}_${d.name}`, EDM[d.type]);
          for (const g of d.timeGrains) add(`${name}_${d.name}_${g}`, g === 'hour' ? 'Edm.DateTimeOffset' : 'Edm.Date');
        }
        for (const m of j.metrics.filter((f) => may(f.roles, p))) if (add(`${name}_${m.name}`, EDM[m.type])) metricNames.push(`${name}_${m.name}`);
      }
      expect(new Map([...props].map(([n, x]) => [n, x.Type]))).toEqual(wanted); // hidden fields absent
      for (const x of props.values()) {
        if (x.Type === 'Edm.Decimal') expect([x.Scale, x.Precision]).toEqual(['variable', undefined]);
        if (x.Name !== '_key') expect(x.Nullable).toBe('true');
      }

      const set = sets.find((s) => s.Name === ds.name)!;
      expect(annotation(set, 'Capabilities.TopSupported')?.Bool).toBe('true');
      expect(annotation(set, 'Capabilities.SkipSupported')?.Bool).toBe('true');
      expect(annotation(set, 'Capabilities.CountRestrictions')?.Record[0].PropertyValue).toEqual([{ Property: 'Countable', Bool: 'true' }]);
      expect(annotation(set, 'Capabilities.FilterFunctions')?.Collection.String).toEqual(expect.arrayContaining(['contains', 'startswith', 'endswith', 'year']));
      expect(annotation(set, 'Capabilities.SortRestrictions')?.Record[0].PropertyValue[0]).toEqual({ Property: 'Sortable', Bool: 'true' });
      const apply = annotation(set, 'Aggregation.ApplySupported')?.Record[0].PropertyValue as Node[];
      expect(apply.find((v) => v.Property === 'Transformations')?.Collection.String).toEqual(['aggregate', 'groupby', 'filter']);
      expect(apply.find((v) => v.Property === 'Rollup')?.EnumMember).toBe('Aggregation.RollupType/None');
      const groupable = apply.find((v) => v.Property === 'GroupableProperties')?.Collection.PropertyPath ?? [];
      expect(groupable).toEqual([...wanted.keys()].filter((n) => n !== '_key' && !metricNames.includes(n)));
      const aggregatable = apply.find((v) => v.Property === 'AggregatableProperties')?.Collection.Record ?? [];
      expect(aggregatable.map((r: Node) => r.PropertyValue[0].PropertyPath)).toEqual(metricNames);
      for (const r of aggregatable) expect(r.PropertyValue[1]).toEqual({ Property: 'SupportedAggregationMethods', Collection: { String: ['sum'] } });
    }
  });

  it('hides fields and datasets for restricted keys in the examples (so the check above is not vacuous)', () => {
    const hidden = cases.filter(({ catalog, p }) => {
      const all = entityModel(catalog, ADMIN).sets.reduce((n, s) => n + s.properties.length, 0);
      return entityModel(catalog, p).sets.reduce((n, s) => n + s.properties.length, 0) < all;
    });
    expect(hidden.length).toBeGreaterThanOrEqual(3);
    const analyst = entityModel(catalogs.get(path.join('examples', 'shared-postgres'))!, { ...ADMIN, isAdmin: false, role: 'analyst', tenant: 'acme' });
    expect([...analyst.byName.get('orders')!.byName.keys()]).not.toContain('cost');
    expect(metadataXml(analyst)).not.toMatch(/"cost"|"margin"/);
  });

  it('escapes descriptions: markup, quotes, line breaks and characters XML cannot carry', async () => {
    const base = entityModel(catalogs.get('.')!, ADMIN);
    const nasty = 'a < b && c > "d" \'e\'\nsecond line\ttab </Annotation> \u0001 \uD800 é 😀';
    const sets = base.sets.map((s) => ({ ...s, description: nasty, properties: s.properties.map((x) => ({ ...x, description: nasty })) }));
    const xml = metadataXml({ sets, byName: new Map(sets.map((s) => [s.name, s])) });
    expect(await xsdErrors([xml])).toEqual([[]]);
    const { types } = parse(xml);
    const survived = 'a < b && c > "d" \'e\'\nsecond line\ttab </Annotation> \uFFFD \uFFFD é 😀';
    expect(annotation(types[0]!, 'Core.Description')?.String).toBe(survived);
    expect(annotation(types[0]!.Property[1], 'Core.Description')?.String).toBe(survived);
    expect(xml).toContain('&#xA;second line&#x9;tab'); // a literal newline in an attribute would read back as a space
  });

  it('the validator rejects broken documents', async () => {
    const good = metadataXml(entityModel(catalogs.get('.')!, ADMIN));
    const [ok, ...broken] = await xsdErrors([
      good,
      good.replace('Type="Edm.String" Nullable="false"', 'Nullable="false"'), // Property without Type
      good.replace('Scale="variable"', 'Scale="wide"'),
      good.replace('<Key><PropertyRef Name="_key"/></Key>', '<Key></Key>'),
      good.replace('<String>contains</String>', '<Strin>contains</String>'), // not well-formed
    ]);
    expect(ok).toEqual([]);
    for (const errors of broken) expect(errors).not.toEqual([]);
  });

  it('an empty model (a key that sees no dataset) is still a valid document', async () => {
    const xml = metadataXml({ sets: [], byName: new Map() });
    expect(await xsdErrors([xml])).toEqual([[]]);
    expect(parse(xml)).toMatchObject({ types: [], sets: [] });
  });
});

describe('service document', () => {
  const model: EntityModel = entityModel(catalogs.get(path.join('examples', 'shared-postgres'))!, ADMIN);

  it('lists every entity set with a relative url and the metadata context', () => {
    const doc = serviceDocument(model, 'https://bi.example.com/odata/');
    expect(doc['@odata.context']).toBe('https://bi.example.com/odata/$metadata');
    expect(doc.value.map((e) => [e.name, e.kind, e.url])).toEqual(model.sets.map((s) => [s.name, 'EntitySet', s.name]));
    const orders = catalogs.get(path.join('examples', 'shared-postgres'))!.datasets.get('orders')!;
    expect(doc.value.find((e) => e.name === 'orders')?.title).toBe(orders.label);
    expect(Object.keys(doc)).toEqual(['@odata.context', 'value']);
  });

  it('adds the trailing slash the relative urls resolve against', () => {
    expect(serviceDocument(model, 'http://127.0.0.1:8080/odata')['@odata.context']).toBe('http://127.0.0.1:8080/odata/$metadata');
  });
});
