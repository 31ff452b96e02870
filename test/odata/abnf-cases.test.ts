/**
 * OASIS OData ABNF conformance cases (../shared/odata-abnf/*-testcases.yaml, read at test
 * time) run against src/odata/parser with a model built from each file's `Constraints`.
 * Every supported case that should parse must parse; every FailAt case must fail (how many
 * fail exactly at the stated offset is printed). Rules outside what the parser covers are
 * listed in SKIPPED_RULES with the reason; single cases in EXCLUDED_CASES.
 */
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import type { Expr, Literal } from '../../src/odata/ast.ts';
import {
  ODataSyntaxError, type ParserModel, type ValueKind, parseCompute, parseFilter, parseQueryOptions, parseSearch,
  UNSUPPORTED_OPTIONS,
} from '../../src/odata/parser/index.ts';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const dir = path.resolve(repoRoot, '../shared/odata-abnf');
const present = fs.existsSync(path.join(dir, 'odata-abnf-testcases.yaml'));
if (!present) {
  if (process.env['SEMGATE_REQUIRE_SERVICES'] === '1') throw new Error(`OData ABNF test cases not found in ${dir}`);
  console.warn(`\n*** SKIPPING OData ABNF conformance cases: ${dir} not found ***\n`);
}

interface Case { Name: string; Rule: string; Input: string; FailAt?: number }
interface Suite { Constraints: Record<string, string[] | null>; TestCases: Case[] }

const SKIPPED_RULES: Record<string, string> = {
  odataUri: 'service root and resource path: the URL layer routes paths, the parser only sees query option values',
  odataRelativeUri: 'resource paths, $metadata/$batch/$entity and context URLs are not query option syntax',
  resourcePath: 'resource path syntax (routing), not a query option',
  context: 'context URL fragments appear in responses, not in requests',
  entitySetName: 'resource path rule',
  functionParameter: 'resource path rule (function import parameters in the path)',
  expand: '$expand is refused as not supported; its grammar is not implemented',
  header: 'HTTP header values, not query options', preference: 'HTTP Prefer header values', prefer: 'HTTP Prefer header',
  'request-id': 'HTTP header value', maxpagesizePreference: 'HTTP Prefer header value',
  includeAnnotationsPreference: 'HTTP Prefer header value',
};
// CSDL/payload value syntax (no percent-encoding, no quotes around durations, unquoted enums): not URL literals.
for (const r of ['booleanValue', 'byteValue', 'dateValue', 'dateTimeOffsetValue', 'decimalValue', 'doubleValue',
  'durationValue', 'enumValue', 'int16Value', 'int32Value', 'int64Value', 'primitiveValue', 'sbyteValue',
  'singleValue', 'timeOfDayValue']) {
  SKIPPED_RULES[r] = 'CSDL / payload value syntax (not the URL literal syntax the parser implements)';
}

const AMP = "a raw '&' inside one option's value: splitting the query string on '&' is the URL layer's job, and in the decoded values the parser receives '&' is ordinary text";
const EXCLUDED_CASES: Record<string, string> = {
  'Next Link: no Ampersand | $skiptoken=Not&this': AMP,
  // As a whole query string, `more` after the '&' is a valid customQueryOption by the ABNF's own
  // rules (compare `find=O%27Neil&!special`, which must parse), so after splitting on '&' there
  // is nothing left for the parser to reject.
  '5.1.7 Search - simple term with unencoded ampersand | $search=more&more': AMP,
};

const ANY_NUMBER = ['int', 'decimal', 'double'];
/** Rules naming a single literal: parsed with parseFilter, and the result must be that literal. */
const LITERAL_RULES: Record<string, (l: Literal) => boolean> = {
  primitiveLiteral: () => true,
  null: (l) => l.type === 'null',
  boolean: (l) => l.type === 'boolean',
  stringLiteral: (l) => l.type === 'string',
  date: (l) => l.type === 'date',
  dateTimeOffsetLiteral: (l) => l.type === 'dateTimeOffset',
  dateTimeOffsetValueInUrl: (l) => l.type === 'dateTimeOffset',
  timeOfDayLiteral: (l) => l.type === 'timeOfDay',
  durationLiteral: (l) => l.type === 'duration' || (l.type === 'string' && /^-?P[\dDTHMS.]*$/.test(String(l.value))),
  decimalLiteral: (l) => ANY_NUMBER.includes(l.type), doubleLiteral: (l) => ANY_NUMBER.includes(l.type),
  singleLiteral: (l) => ANY_NUMBER.includes(l.type),
  sbyteLiteral: (l) => l.type === 'int', int16Literal: (l) => l.type === 'int', int32Literal: (l) => l.type === 'int',
  int64Literal: (l) => l.type === 'int',
  guid: (l) => l.type === 'guid',
  binaryLiteral: (l) => l.type === 'binary',
  enumLiteral: (l) => l.type === 'enum' || l.type === 'string',
};
for (const g of ['Collection', 'LineString', 'MultiLineString', 'MultiPoint', 'MultiPolygon', 'Point', 'Polygon']) {
  LITERAL_RULES[`geography${g}`] = (l) => l.type === 'geo' && /^geography'/i.test(l.raw);
  LITERAL_RULES[`geometry${g}`] = (l) => l.type === 'geo' && /^geometry'/i.test(l.raw);
}
const EXPR_RULES = new Set(['commonExpr', 'boolCommonExpr', 'boolcommonExpr', 'notExpr', 'isofExpr', 'firstMemberExpr', 'propertyPathExpr']);
const QUERY_RULES = new Set(['queryOptions', 'systemQueryOption', 'filter', 'orderby', 'orderBy', 'select', 'skiptoken',
  'deltatoken', 'customQueryOption', 'compute', 'search']);

function modelFrom(cons: Record<string, string[] | null>): ParserModel {
  const has = (rule: string, name: string): boolean => cons[rule] === undefined || (cons[rule] ?? []).includes(name);
  const listed = (rule: string, name: string): boolean => (cons[rule] ?? []).includes(name);
  const kinds = (table: [string, ValueKind][], name: string): ValueKind | undefined => table.find(([r]) => listed(r, name))?.[1];
  const PROPS: [string, ValueKind][] = [
    ['primitiveKeyProperty', 'prim'], ['primitiveNonKeyProperty', 'prim'], ['customAggregate', 'prim'],
    ['primitiveColProperty', 'primCol'], ['complexProperty', 'complex'], ['complexColProperty', 'complexCol'],
    ['entityNavigationProperty', 'entity'], ['entityColNavigationProperty', 'entityCol'], ['streamProperty', 'stream'],
  ];
  const fnTable = (suffix: string): [string, ValueKind][] => [
    [`entity${suffix}`, 'entity'], [`entityCol${suffix}`, 'entityCol'], [`complex${suffix}`, 'complex'],
    [`complexCol${suffix}`, 'complexCol'], [`primitive${suffix}`, 'prim'], [`primitiveCol${suffix}`, 'primCol'],
  ];
  return {
    open: false,
    property: (n) => kinds(PROPS, n),
    func: (n) => kinds(fnTable('Function'), n),
    functionImport: (n) => kinds(fnTable('FunctionImport'), n),
    typeName: (n) => listed('entityTypeName', n) ? 'entity' : listed('complexTypeName', n) ? 'complex'
      : listed('enumerationTypeName', n) ? 'enum' : has('typeDefinitionName', n) ? 'typedef' : undefined,
    namespace: (parts) => parts.every((p) => has('namespacePart', p)),
    entitySet: (n) => has('entitySetName', n),
    singleton: (n) => has('singletonEntity', n),
    lambdaVariable: (n) => has('lambdaVariableExpr', n),
    parameterName: (n) => has('parameterName', n),
    term: (n) => has('termName', n),
    customAggregate: (n) => listed('customAggregate', n),
    action: (n) => has('action', n),
  };
}

type Outcome = { ok: true } | { ok: false; pos: number | null; message: string };

function attempt(f: () => void, offset = 0): Outcome {
  try {
    f();
    return { ok: true };
  } catch (e) {
    if (e instanceof ODataSyntaxError) return { ok: false, pos: offset + e.pos, message: e.message };
    throw e; // anything else is a parser bug and must fail the test loudly
  }
}

/** A raw query string: split on & and = (no decoding: the ABNF works on the encoded form). */
function runQuery(input: string, model: ParserModel): Outcome {
  const sp = new URLSearchParams();
  const offsets = new Map<string, number>();
  let offset = 0;
  for (const part of input.split('&')) {
    const eq = part.indexOf('=');
    const key = eq < 0 ? part : part.slice(0, eq);
    const value = eq < 0 ? '' : part.slice(eq + 1);
    const at = offset + key.length + 1;
    offset += part.length + 1;
    const name = key.replace(/^\$/, '').toLowerCase();
    // semgate refuses $compute and $search, so parseQueryOptions does not check their syntax;
    // the parser still implements both (for $apply), so they are checked here directly.
    if (name === 'compute' || name === 'search') {
      const r = attempt(() => (name === 'compute' ? parseCompute : parseSearch)(value, { model, option: key }), at);
      if (!r.ok) return r;
      continue;
    }
    offsets.set(key, at);
    sp.append(key, value);
  }
  try {
    parseQueryOptions(sp, { model });
    return { ok: true };
  } catch (e) {
    if (!(e instanceof ODataSyntaxError)) throw e;
    return { ok: false, pos: (offsets.get(e.option) ?? 0) + e.pos, message: e.message };
  }
}

function runCase(c: Case, model: ParserModel): Outcome | string {
  if (SKIPPED_RULES[c.Rule]) return SKIPPED_RULES[c.Rule]!;
  if (EXCLUDED_CASES[c.Name + ' | ' + c.Input]) return EXCLUDED_CASES[c.Name + ' | ' + c.Input]!;
  if (QUERY_RULES.has(c.Rule)) {
    const names = c.Input.split('&').map((p) => p.split('=')[0]!.replace(/^\$/, '').toLowerCase());
    const refused = names.find((n) => UNSUPPORTED_OPTIONS.includes(n) && n !== 'compute' && n !== 'search'
      && !(n === 'format' && /format=json(&|$)/i.test(c.Input) && names.filter((x) => x === 'format').length === 1));
    if (refused) return `uses $${refused}, which semgate refuses as not supported (syntax not implemented)`;
    if (c.Rule === 'search' && !c.Input.includes('=')) return 'not a query option';
    return runQuery(c.Input, model);
  }
  if (c.Rule === 'searchExpr') return attempt(() => parseSearch(c.Input, { model }));
  if (c.Rule === 'anyExpr') {
    // anyExpr only exists after a collection path; run it as `Products/any(...)` and shift positions back.
    const r = attempt(() => parseFilter('Products/' + c.Input, { model }), -'Products/'.length);
    return r;
  }
  if (c.Rule === 'stringInUrl') {
    // A JSON string only occurs inside JSON arrays/objects: run it as a one-element array.
    let e: Expr | undefined;
    const r = attempt(() => void (e = parseFilter(`[${c.Input}]`, { model })), -1);
    if (r.ok && !(e?.kind === 'other' && e.what === 'JSON array')) return { ok: false, pos: null, message: `parsed as ${e?.kind}` };
    return r;
  }
  if (c.Rule === 'odataIdentifier') {
    let e: Expr | undefined;
    const r = attempt(() => void (e = parseFilter(c.Input, { model: { ...model, lambdaVariable: () => true } })));
    if (r.ok && !(e?.kind === 'property' || (e?.kind === 'other' && e.what === 'lambda variable'))) return { ok: false, pos: null, message: `parsed as ${e?.kind}` };
    return r;
  }
  const check = LITERAL_RULES[c.Rule];
  if (check || EXPR_RULES.has(c.Rule)) {
    let e: Expr | undefined;
    const r = attempt(() => void (e = parseFilter(c.Input, { model })));
    if (r.ok && check && !(e?.kind === 'literal' && check(e))) {
      return { ok: false, pos: null, message: `parsed, but as ${e?.kind === 'literal' ? `a ${e.type} literal` : e?.kind}` };
    }
    return r;
  }
  return `rule '${c.Rule}' has no mapping to a parser entry point`;
}

interface Tally { total: number; passed: number; excluded: Map<string, number>; failAt: number; failAtExact: number; failures: string[] }
const report: string[] = [];

for (const file of ['odata-abnf-testcases.yaml', 'odata-aggregation-testcases.yaml']) {
  describe.skipIf(!present)(`OASIS ABNF cases: ${file}`, () => {
    const suite = present ? (parseYaml(fs.readFileSync(path.join(dir, file), 'utf8')) as Suite) : { Constraints: {}, TestCases: [] };
    const model = modelFrom(suite.Constraints);
    const tallies = new Map<string, Tally>();
    for (const c of suite.TestCases) {
      const t: Tally = tallies.get(c.Rule) ?? { total: 0, passed: 0, excluded: new Map(), failAt: 0, failAtExact: 0, failures: [] };
      tallies.set(c.Rule, t);
      t.total++;
      const r = runCase(c, model);
      if (typeof r === 'string') {
        t.excluded.set(r, (t.excluded.get(r) ?? 0) + 1);
        continue;
      }
      if (c.FailAt === undefined) {
        if (r.ok) t.passed++;
        else t.failures.push(`should parse: ${JSON.stringify(c.Input)} (${c.Name}) -> error at ${r.pos}: ${r.message}`);
      } else {
        t.failAt++;
        if (!r.ok) {
          t.passed++;
          if (r.pos === c.FailAt) t.failAtExact++;
          else if (process.env['ABNF_VERBOSE']) console.log(`FailAt ${c.FailAt} got ${r.pos}: ${c.Input} -- ${r.message}`);
        } else t.failures.push(`should fail at ${c.FailAt}: ${JSON.stringify(c.Input)} (${c.Name}) but parsed`);
      }
    }

    for (const [rule, t] of tallies) {
      const run = t.total - [...t.excluded.values()].reduce((a, b) => a + b, 0);
      it.skipIf(run === 0)(`rule ${rule}`, () => {
        expect(t.failures, t.failures.join('\n')).toEqual([]);
      });
    }

    afterAll(() => {
      report.push(`\n${file}`);
      for (const [rule, t] of [...tallies].sort()) {
        const excl = [...t.excluded.values()].reduce((a, b) => a + b, 0);
        const fa = t.failAt ? `, FailAt ${t.failAt} (exact position ${t.failAtExact})` : '';
        report.push(`  ${rule}: total ${t.total}, passed ${t.passed}, failed ${t.failures.length}, excluded ${excl}${fa}`);
        for (const [why, n] of t.excluded) report.push(`      excluded ${n}: ${why}`);
      }
      if (file.startsWith('odata-aggregation')) console.log(report.join('\n'));
    });
  });
}
