import { createRequire } from 'node:module';
import { Ajv, type ErrorObject } from 'ajv';
import { formatPath, pointerToPath } from '../catalog/positions.ts';
import { badQuery } from '../errors.ts';
import type { SemanticQuery } from './types.ts';

const require = createRequire(import.meta.url);
/** The JSON Schema is a file so OpenAPI can be generated from the same source. */
export const semanticQuerySchema = require('./schemas/semantic-query.schema.json') as Record<string, unknown>;

const ajv = new Ajv({ allErrors: false, strict: true, allowUnionTypes: true });
const validate = ajv.compile<SemanticQuery>(semanticQuerySchema);

function describe(e: ErrorObject, path: string): { code: string; message: string; field: string } {
  const where = path === '' ? 'the query' : `'${path}'`;
  switch (e.keyword) {
    case 'additionalProperties': {
      // The key is the caller's text, of any length: echo a bounded part of it.
      const raw = String((e.params as { additionalProperty: string }).additionalProperty);
      const prop = raw.length > 64 ? `${raw.slice(0, 64)}…` : raw;
      const field = path === '' ? prop : `${path}.${prop}`;
      return { code: 'unknown_field', message: `Unknown field '${field}' in the query.`, field };
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
    default:
      if (path === '' && e.keyword === 'type') return { code: 'invalid_query', message: 'The query must be a JSON object.', field: '' };
      return { code: 'invalid_query', message: `${where} ${e.message ?? 'is invalid'}.`, field: path };
  }
}

/** Validates untrusted JSON as a SemanticQuery; a 400 names the field's JSON path. */
export function parseSemanticQuery(input: unknown): SemanticQuery {
  if (validate(input)) return input;
  const e = validate.errors![0]!;
  const { code, message, field } = describe(e, formatPath(pointerToPath(e.instancePath)));
  throw badQuery(code, message, { field });
}
