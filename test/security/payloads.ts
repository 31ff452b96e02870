/**
 * The attack corpus: values a hostile client can put in any position of a SemanticQuery.
 * Each is plain JSON (as the HTTP layer would parse it) except the few marked "not JSON",
 * which other front ends (OData literals, the CLI) could still produce.
 */
export interface Payload {
  readonly label: string;
  readonly value: unknown;
}

const p = (label: string, value: unknown): Payload => ({ label, value });

// JSON.parse, not an object literal: `{ "__proto__": ... }` must be an own key, as a
// request body would make it, not a prototype assignment.
const protoKey = JSON.parse('{"__proto__":{"polluted":true},"field":"region"}') as unknown;
const constructorKey = JSON.parse('{"constructor":{"prototype":{"polluted":true}}}') as unknown;

export const PAYLOADS: readonly Payload[] = [
  // Quotes and tautologies
  p('single quote', "'"),
  p('double quote', '"'),
  p('backtick', '`'),
  p('two single quotes', "''"),
  p('tautology single', "' OR '1'='1"),
  p('tautology double', '" OR "1"="1'),
  p('tautology comment', "' OR 1=1 --"),
  p('close ident single', "region' --"),
  p('close ident double', 'region" --'),
  p('close ident backtick', 'region` --'),
  p('time-based mysql', "1' AND SLEEP(5)--"),
  p('time-based postgres', "'; SELECT pg_sleep(5); --"),
  // Comments
  p('line comment', '--'),
  p('trailing line comment', 'region -- comment'),
  p('block comment open', '/*'),
  p('block comment close', '*/'),
  p('empty block comment', 'region/**/'),
  p('comment then column', 'region /* x */, tenant_id'),
  p('hash comment', '#'),
  p('hash comment after name', 'region # mysql comment'),
  p('mysql executable comment', '/*! UNION SELECT 1 */'),
  // Stacked queries
  p('stacked drop', '; DROP TABLE orders'),
  p('quoted stacked drop', "'; DROP TABLE orders; --"),
  p('paren stacked drop', '"); DROP TABLE orders; --'),
  p('stacked delete', '1; DELETE FROM orders'),
  p('stacked truncate', 'region; TRUNCATE orders'),
  p('stacked create', "x'; CREATE TABLE pwned (x int); --"),
  p('postgres dollar quoting', '$$; DROP TABLE orders; $$'),
  // UNION
  p('union tenant ids', "' UNION SELECT tenant_id FROM orders --"),
  p('union star', 'region UNION SELECT * FROM orders'),
  p('union all version', '0 UNION ALL SELECT NULL, version()'),
  p('union paren', 'region) UNION (SELECT 1'),
  // Backslashes (MySQL string escapes, LIKE escapes)
  p('backslash', '\\'),
  p('backslash quote', "\\'"),
  p('backslash quote tautology', "\\' OR 1=1 -- x"),
  p('double backslash quote drop', "\\\\'; DROP TABLE orders; --"),
  p('percent backslash', '%\\'),
  p('escaped percent', '\\%'),
  p('escaped underscore', '\\_'),
  p('postgres escape string', "E'\\x27'"),
  // Unicode
  p('modifier apostrophe', 'ʼ OR ʼ1ʼ=ʼ1'),
  p('fullwidth apostrophe', '＇ OR 1=1 --'),
  p('smart quotes', '‘’“”'),
  p('cyrillic homoglyph', 'regіon'),
  p('NUL alone', '\u0000'),
  p('NUL then tautology', "region\u0000' OR 1=1 --"),
  p('RTL override', '\u202Eregion'),
  p('byte order mark', '\uFEFFregion'),
  p('zero-width space', 'region\u200B'),
  p('emoji with quote', "😀' --"),
  p('lone surrogate', '\uD800'),
  p('real unicode value', 'Ünïcödé'),
  // Sizes
  p('10000 letters', 'A'.repeat(10_000)),
  p('5000 quotes', "'".repeat(5_000)),
  p('over 100k', 'x'.repeat(100_001)),
  // Templates and placeholders
  p('tenant template', '{tenant}'),
  p('metric reference', '{revenue}'),
  p('env template', '${VAR}'),
  p('env template default', '${PGPASSWORD:-x}'),
  p('postgres placeholder', '$1'),
  p('postgres placeholder tautology', '$1 OR 1=1'),
  p('mysql placeholder', '?'),
  p('mysql placeholder tautology', '? OR 1=1'),
  p('named placeholder', ':name'),
  p('LIKE percent', '%'),
  p('LIKE underscore', '_'),
  p('double percent', '%%'),
  p('real value with percent', '50% off'),
  p('real value with underscore', 'snake_case'),
  p('real value with quote', "O'Brien"),
  p('real value with backslash', 'back\\slash'),
  p('empty string', ''),
  // Dates and timestamps, valid and not
  p('real date', '2024-02-29'),
  p('date with tautology', "2024-01-01' OR '1'='1"),
  p('date with comment', '2024-01-01--'),
  p('real zoned timestamp', '2024-02-29T23:59:59+05:30'),
  p('timestamp with stacked drop', '2024-01-01T00:00:00Z; DROP TABLE orders'),
  // Identifiers and SQL fragments
  p('tenant column', 'tenant_id'),
  p('qualified tenant column', 't.tenant_id'),
  p('quoted qualified column', '"t"."tenant_id"'),
  p('grain with comment', "order_date.month' --"),
  p('closing paren', 'revenue)'),
  p('aggregate', 'COUNT(*)'),
  p('star', '*'),
  p('digit', '1'),
  p('direction injection', 'asc; DROP TABLE orders'),
  p('nulls first', 'desc NULLS FIRST'),
  p('upper ASC', 'ASC'),
  p('ordinal desc', '1 DESC'),
  p('NULL keyword', 'NULL'),
  p('prototype name', '__proto__'),
  p('constructor name', 'constructor'),
  p('toString name', 'toString'),
  // JSON type confusion
  p('empty object', {}),
  p('empty array', []),
  p('array of name', ['region']),
  p('object with field', { field: 'region' }),
  p('__proto__ key', protoKey),
  p('constructor key', constructorKey),
  p('null', null),
  p('true', true),
  p('false', false),
  p('string true', 'true'),
  p('number as string', '100'),
  p('exponent as string', '1e3'),
  p('negative as string', '-1'),
  p('hex as string', '0x10'),
  // Numbers, for limits, offsets and numeric fields
  p('zero', 0),
  p('minus one', -1),
  p('float', 1.5),
  p('1e308', 1e308),
  p('-1e308', -1e308),
  p('negative zero', -0),
  p('2^64', 2 ** 64),
  p('max safe + 2', Number.MAX_SAFE_INTEGER + 2),
  p('over max limit', 10_000_001),
  p('over max_rows', 50_001),
  p('NaN (not JSON)', Number.NaN),
  p('Infinity (not JSON)', Number.POSITIVE_INFINITY),
];

/** The payload's text when it is a string: what must never appear in SQL. */
export function payloadText(v: unknown): string | null {
  return typeof v === 'string' ? v : null;
}
