/**
 * The line reader of the api-keys.yaml fast path (fast-yaml.ts `parseFast`): the generated
 * shape is read without js-yaml, into the same plain data js-yaml makes; every other shape
 * (comments aside) goes to js-yaml, so the data stays the same; what js-yaml refuses, this
 * refuses too (the file is then read the slow way). In a full load, a mistake in the middle
 * of a large generated file is reported at its line and field.
 */
import { createHash } from 'node:crypto';
import { CORE_SCHEMA, load, mergeTag } from 'js-yaml';
import { describe, expect, it } from 'vitest';
import { FAST_PATH_BYTES, parseFast, readFast } from '../../src/catalog/fast-yaml.ts';
import { errorsOf, expectIssue, listIssues, loadFiles } from './helpers.ts';

const sha = (s: string): string => createHash('sha256').update(s).digest('hex');
const jsYaml = (text: string): unknown => load(text, { schema: CORE_SCHEMA.withTags(mergeTag) });

/** Generated entries: `- key_hash: "sha256:..."`, `tenant:`, `role:`, at `indent`. */
function generated(n: number, indent = '  ', from = 0): string[] {
  const out: string[] = [];
  for (let i = from; i < from + n; i++) {
    out.push(`${indent}- key_hash: "sha256:${sha(`key-${i}`)}"`, `${indent}  tenant: t${i % 50}`, `${indent}  role: analyst`);
  }
  return out;
}

const file = (...parts: (string | string[])[]): string => parts.flat().join('\n');

describe('the api-keys.yaml line reader', () => {
  const shapes: Record<string, string> = {
    generated: file('api_keys:', generated(50), ''),
    'no final newline': file('api_keys:', generated(3)),
    'items at column 0': file('api_keys:', generated(5, ''), 'tenants:', '  t1: { rate_limit: "1/second" }', ''),
    'other keys around the list': file('# made by the job', 'defaults: { rate_limit: "600/minute" }', 'api_keys:   # the keys', generated(5), 'tenants:', '  t1: { schema: t1 }', ''),
    'comments and blank lines': file('api_keys:', '  # first batch', generated(3), '', '    # a comment in an item', `  - key_hash: 'sha256:${sha('x')}'   # single quotes`, '    tenant: x1 # trailing', '    role: "viewer"', '', ''),
    'booleans and other fields': file('api_keys:', generated(2), '    enabled: false', '    explain: True', '    description: "BI refresh; owner: ops"', '    rate_limit: "10/second"', '    expires_at: "2099-01-31"', generated(2, '  ', 9), ''),
    'odd items in between (flow, block, escapes, anchors)': file(
      'api_keys:', generated(3),
      '  - { key_hash: "sha256:' + sha('flow') + '", tenant: f1, role: analyst }',
      generated(2, '  ', 10),
      '  - key_hash: "sha256:' + sha('anchor') + '"', '    tenant: &t anchored', '    role: analyst', '    allowed_datasets: [orders, "customers"]',
      '  - key_hash: "sha256:' + sha('alias') + '"', '    tenant: *t', '    role: analyst',
      '    description: |', '      two lines', '      - not an item',
      '  - key_hash: "sha256:' + sha('esc') + '"', '    tenant: "e\\u0031"', '    role: analyst', '    description: "tab\\there"',
      generated(2, '  ', 20),
      '  - key_hash: "sha256:' + sha('null') + '"', '    tenant: e2', '    role: analyst', '    description: null', '    rate_limit: ~', '    expires_at: 2099-01-31',
      '  - <<: { tenant: m1, role: analyst }', '    key_hash: "sha256:' + sha('merge') + '"',
      '  - key_hash: "sha256:' + sha('num') + '"', '    tenant: 123', '    role: 1.5e3', '    description: .inf',
      '  - key_hash: "sha256:' + sha('utf') + '"', '    tenant: u1', '    role: analyst', '    description: "café"',
      '  - key_hash: "sha256:' + sha('deep') + '"', '    tenant: d1', '    role: analyst', '    description: two', '      words',
      generated(2, '  ', 30), '',
    ),
    'CRLF line ends': file('api_keys:', generated(3), 'tenants:', '  t1: {}', '').replace(/\n/g, '\r\n'),
    'an empty list': file('api_keys:', 'tenants:', '  t1: {}', ''),
    '__proto__ as a field': file('api_keys:', generated(1), '    __proto__: x', generated(1, '  ', 5), ''),
  };
  for (const [name, text] of Object.entries(shapes)) {
    it(`gives js-yaml's data: ${name}`, () => {
      expect(parseFast(text, 'api-keys.yaml')).toEqual(jsYaml(text));
    });
  }

  it('refuses what js-yaml refuses', () => {
    const refused = [
      file('api_keys:', generated(1), '    tenant: again', ''), // a field written twice
      file('api_keys:', generated(1), '    tenant: "open', generated(1, '  ', 3), ''), // an unclosed quote
      file('api_keys:', generated(1), '  - key_hash: "sha256:' + sha('a') + '"', '    tenant: *nowhere', '    role: analyst', ''), // an unknown alias
      file('api_keys:', generated(1), '\tfield: tab', ''),
    ];
    for (const text of refused) {
      expect(() => jsYaml(text)).toThrow();
      expect(() => parseFast(text, 'api-keys.yaml')).toThrow();
    }
  });

  it('reads the generated shape of a large file through the fast path, every key as js-yaml reads it', () => {
    const text = file('api_keys:', generated(6000), '');
    expect(text.length).toBeGreaterThan(FAST_PATH_BYTES);
    const fast = readFast('apiKeys', 'api-keys.yaml', text, {});
    expect(fast).not.toBeNull();
    expect(fast!.data).toEqual(jsYaml(text));
  });
});

describe('a mistake in a large generated api-keys.yaml', () => {
  const big = (lines: string[]): string => file('api_keys:', generated(3000), lines, generated(3000, '  ', 5000), 'tenants:', '  t1: {}', '');

  it('a bad key_hash in the middle is reported at its line', async () => {
    const r = await loadFiles({ apiKeys: big(['  - key_hash: "sha256:abc"   # @bad', '    tenant: t1', '    role: analyst']) });
    expectIssue(r, 'api-keys.yaml', '# @bad', 'api_keys[3000].key_hash', /must be `sha256:` followed by 64 hex digits/);
    expect(errorsOf(r.issues), listIssues(r.issues)).toHaveLength(1);
    expect(r.catalog).toBeNull();
  });

  it('an unknown field, a missing role and a duplicate key are reported at their lines', async () => {
    const r = await loadFiles({
      apiKeys: big([
        `  - key_hash: "sha256:${sha('one')}"`, '    tenant: t1', '    role: analyst', '    tenat: t2   # @field',
        `  - key_hash: "sha256:${sha('two')}"   # @role`, '    tenant: t1',
        `  - key_hash: "sha256:${sha('key-7')}"   # @dup`, '    tenant: t1', '    role: analyst',
      ]),
    });
    expectIssue(r, 'api-keys.yaml', '# @field', 'api_keys[3000].tenat', /unknown field `tenat`/);
    expectIssue(r, 'api-keys.yaml', '# @role', 'api_keys[3001].role', /missing required field `role`/);
    expectIssue(r, 'api-keys.yaml', '# @dup', 'api_keys[3002].key_hash', /same key as the entry at line 23/);
    expect(errorsOf(r.issues), listIssues(r.issues)).toHaveLength(3);
  });

  it('tenants that differ only by case are reported at their line', async () => {
    const r = await loadFiles({ apiKeys: big([`  - key_hash: "sha256:${sha('case')}"`, '    tenant: T1   # @case', '    role: analyst']) });
    expectIssue(r, 'api-keys.yaml', '# @case', 'api_keys[3000].tenant', /differs only by case from `t1`/);
  });

  it('a correct file with odd entries loads the same keys as js-yaml reads', async () => {
    const text = big(['  - { key_hash: "sha256:' + sha('flow') + '", tenant: f1, role: viewer }   # flow', '  # a comment']);
    const r = await loadFiles({ apiKeys: text });
    expect(errorsOf(r.issues), listIssues(r.issues)).toEqual([]);
    const keys = r.catalog!.apiKeys;
    expect(keys.length).toBe(6001);
    expect(keys.at(3000)).toMatchObject({ tenant: 'f1', role: 'viewer', id: `k_${sha('flow').slice(0, 12)}` });
    expect(keys.at(3001)).toMatchObject({ tenant: `t${5000 % 50}`, id: `k_${sha('key-5000').slice(0, 12)}` });
  });

  it('${VAR} in generated lines is replaced, and read as the boolean the schema wants', async () => {
    const text = big([`  - key_hash: "sha256:${sha('env')}"`, '    tenant: "${ENV_TENANT}"', '    role: analyst', '    enabled: ${KEY_ON}']);
    expect(readFast('apiKeys', 'api-keys.yaml', text, { ENV_TENANT: 'e1', KEY_ON: 'false' })).not.toBeNull();
    const r = await loadFiles({ apiKeys: text }, { ENV_TENANT: 'e1', KEY_ON: 'false' });
    expect(errorsOf(r.issues), listIssues(r.issues)).toEqual([]);
    expect(r.catalog!.apiKeys.at(3000)).toMatchObject({ tenant: 'e1', enabled: false });
  });
});
