import { createRequire } from 'node:module';
import { Ajv2020, type ErrorObject } from 'ajv/dist/2020.js';
import { formatPath, pointerToPath } from '../catalog/positions.ts';
import { badQuery } from '../errors.ts';
import { LIST_NAMES_AT_MOST, suggestionSuffix } from '../suggest.ts';
import type { SemanticQuery } from './types.ts';

const require = createRequire(import.meta.url);
/** The JSON Schema is a file so OpenAPI can be generated from the same source. */
export const semanticQuerySchema = require('./schemas/semantic-query.schema.json') as Record<string, unknown>;

const ajv = new Ajv2020({ allErrors: false, strict: true, allowUnionTypes: true, strictTypes: false });
const validate = ajv.compile<SemanticQuery>(semanticQuerySchema);

/** Nesting of and/or/not past this is refused before the schema walks it (its recursion has no bound). */
export const MAX_FILTER_DEPTH = 16;

/** What a JSON value is, for "expected a JSON object" messages: `a JSON array`, `JSON null`, ... */
export function jsonKind(value: unknown): string {
  if (value === null) return 'JSON null';
  if (Array.isArray(value)) return 'a JSON array';
  return `a JSON ${typeof value === 'object' ? 'object' : typeof value === 'bigint' ? 'number' : typeof value}`;
}

export function isJsonObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

/**
 * What `value`, which is not a JSON object, is and what was expected (`what`: "The query",
 * "The body"), e.g. "The body is a JSON array: expected a JSON object with dataset and tenant."
 */
export function notAnObject(value: unknown, what: string, expected: string): string {
  return `${what} is ${jsonKind(value)}: expected a JSON object with ${expected}.`;
}

/** The members an object at `path` may have, for "did you mean" on an unknown one. */
function allowedMembers(path: (string | number)[]): string[] {
  const defs = (semanticQuerySchema['$defs'] ?? {}) as Record<string, { properties?: Record<string, unknown> }>;
  const top = Object.keys(semanticQuerySchema['properties'] as object);
  if (path.length === 0) return top;
  const list = path[0];
  if (path.length === 2 && list === 'order_by') return ['field', 'direction'];
  if (path.length === 2 && list === 'metrics') return Object.keys(defs['metricSpec']?.properties ?? {});
  if (list === 'filters' || list === 'having') return [...Object.keys(defs['comparison']?.properties ?? {}), 'and', 'or', 'not'];
  return [];
}

function describe(e: ErrorObject, at: (string | number)[], input: unknown): { code: string; message: string; field: string } {
  const path = formatPath(at);
  const where = path === '' ? 'the query' : `'${path}'`;
  switch (e.keyword) {
    case 'additionalProperties': {
      // The key is the caller's text, of any length: echo a bounded part of it.
      const raw = String((e.params as { additionalProperty: string }).additionalProperty);
      const prop = raw.length > 64 ? `${raw.slice(0, 64)}…` : raw;
      const field = path === '' ? prop : `${path}.${prop}`;
      const known = allowedMembers(at);
      const inFilter = at[0] === 'filters' || at[0] === 'having';
      // `value` for `values` is the commonest slip in a filter, and its fix changes the shape too.
      const hint = inFilter && prop === 'value' ? ` Did you mean 'values'? It is a list, even for one value: "values": ["EU"].`
        : suggestionSuffix(prop, known);
      const owner = path === '' ? 'The query' : at.length === 2 && inFilter ? 'A filter' : `'${path}'`;
      const list = known.length > 0 && known.length <= LIST_NAMES_AT_MOST ? ` ${owner} may have: ${known.join(', ')}.` : '';
      return { code: 'unknown_field', message: `Unknown field '${field}' in the query.${hint}${list}`, field };
    }
    case 'required': {
      const prop = String((e.params as { missingProperty: string }).missingProperty);
      return { code: 'invalid_query', message: `${where} needs '${prop}'.`, field: path === '' ? prop : `${path}.${prop}` };
    }
    case 'enum':
      return {
        code: 'invalid_query',
        message: `${where} must be one of: ${(e.params as { allowedValues: unknown[] }).allowedValues.join(', ')}.`,
        field: path,
      };
    case 'anyOf':
      return { code: 'invalid_query', message: `${where} must be a metric's name or an object {field, aggregate, as}.`, field: path };
    default:
      if (path === '' && e.keyword === 'type') {
        const expected = '"dataset" and "metrics" and/or "dimensions", like {"dataset": "orders", "metrics": ["revenue"]}';
        return { code: 'invalid_query', message: notAnObject(input, 'The query', expected), field: '' };
      }
      return { code: 'invalid_query', message: `${where} ${e.message ?? 'is invalid'}.`, field: path };
  }
}

/** The deepest and/or/not nesting of a list of filters, counted only up to `limit + 1`. */
function tooDeep(filters: unknown, depth: number): string | null {
  if (!Array.isArray(filters)) return null;
  for (const [i, f] of filters.entries()) {
    if (f === null || typeof f !== 'object') continue;
    const node = f as Record<string, unknown>;
    const children = Array.isArray(node['and']) ? node['and'] : Array.isArray(node['or']) ? node['or']
      : node['not'] !== undefined ? [node['not']] : null;
    if (children === null) continue;
    if (depth >= MAX_FILTER_DEPTH) return `[${i}]`;
    const deeper = tooDeep(children, depth + 1);
    if (deeper !== null) return `[${i}]${deeper}`;
  }
  return null;
}

/** Validates untrusted JSON as a SemanticQuery; a 400 names the field's JSON path. */
export function parseSemanticQuery(input: unknown): SemanticQuery {
  if (input !== null && typeof input === 'object' && !Array.isArray(input)) {
    for (const list of ['filters', 'having'] as const) {
      const deep = tooDeep((input as Record<string, unknown>)[list], 1);
      if (deep !== null) {
        throw badQuery('invalid_query', `'${list}' nests and/or/not more than ${MAX_FILTER_DEPTH} levels deep.`, { field: `${list}${deep}` });
      }
    }
  }
  if (validate(input)) return input;
  // With if/then/else, the error that matters is the deepest one ajv reports.
  const e = validate.errors!.reduce((a, b) => (b.instancePath.length > a.instancePath.length ? b : a));
  const { code, message, field } = describe(e, pointerToPath(e.instancePath), input);
  throw badQuery(code, message, { field });
}
