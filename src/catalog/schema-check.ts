/**
 * Structural validation with the JSON Schemas in ./schemas (kept as files so editors and
 * other tools can use them too), with ajv's errors rewritten for a BI administrator.
 */
import { readFileSync } from 'node:fs';
import { Ajv2020, type ErrorObject, type ValidateFunction } from 'ajv/dist/2020.js';
import { pointerToPath, type FieldPath, type IssueSink } from './positions.ts';
import type { InterpolatedPaths } from './interpolate.ts';
import { didYouMean, listNames } from '../suggest.ts';

export type ConfigFileKind = 'catalog' | 'sources' | 'apiKeys';

const SCHEMA_FILES: Record<ConfigFileKind, string> = {
  catalog: 'catalog.schema.json',
  sources: 'sources.schema.json',
  apiKeys: 'api-keys.schema.json',
};

/** What to write at the top of each file, for "the file is empty / not a mapping". */
export const TOP_LEVEL_HINT: Record<ConfigFileKind, string> = {
  catalog: 'a `datasets:` list',
  sources: 'a `sources:` list',
  apiKeys: 'an `api_keys:` list (and optionally `defaults:`, `tenants:`, `key_store:`, `jwt:` and `guest_tokens:`)',
};

const ajv = new Ajv2020({ allErrors: true, verbose: true, strict: true, strictTypes: false });
const validators = new Map<ConfigFileKind, ValidateFunction>();

function validatorFor(kind: ConfigFileKind): ValidateFunction {
  let v = validators.get(kind);
  if (!v) {
    const url = new URL(`./schemas/${SCHEMA_FILES[kind]}`, import.meta.url);
    v = ajv.compile(JSON.parse(readFileSync(url, 'utf8')) as object);
    validators.set(kind, v);
  }
  return v;
}

/** Validates `data` in place (env-provided values may be converted); true when it conforms. */
export function checkSchema(kind: ConfigFileKind, data: unknown, envPaths: InterpolatedPaths, sink: IssueSink): boolean {
  const validate = validatorFor(kind);
  if (validate(data)) return true;
  // `port: ${PGPORT}` is text after interpolation; read it as the number the schema wants.
  if (coerceFromEnv(data, validate.errors ?? [], envPaths) && validate(data)) return true;
  for (const err of validate.errors ?? []) {
    // Errors inside `propertyNames` repeat the propertyNames error itself: report that one.
    if (err.propertyName !== undefined) continue;
    const issue = explain(kind, err);
    if (issue) sink.error(issue.path, issue.message, { key: issue.key ?? false });
  }
  return false;
}

function coerceFromEnv(data: unknown, errors: readonly ErrorObject[], envPaths: InterpolatedPaths): boolean {
  let changed = false;
  for (const err of errors) {
    if (err.keyword !== 'type' || !envPaths.has(err.instancePath) || typeof err.data !== 'string') continue;
    const wanted = String(err.params['type']);
    const text = err.data.trim();
    let value: number | boolean | undefined;
    if (wanted === 'integer' && /^[-+]?\d+$/.test(text)) value = Number(text);
    else if (wanted === 'number' && text !== '' && Number.isFinite(Number(text))) value = Number(text);
    else if (wanted === 'boolean' && /^(true|false)$/i.test(text)) value = text.toLowerCase() === 'true';
    if (value === undefined) continue;
    const path = pointerToPath(err.instancePath);
    const parent = path.slice(0, -1).reduce<unknown>((o, k) => (o as Record<string | number, unknown>)?.[k], data);
    const last = path[path.length - 1];
    if (parent && typeof parent === 'object' && last !== undefined) {
      (parent as Record<string | number, unknown>)[last] = value;
      changed = true;
    }
  }
  return changed;
}

const PATTERN_HELP: Record<string, string> = {
  '^[a-z][a-z0-9_]*$': 'must start with a lowercase letter and use only lowercase letters, digits and _ (for example `order_date`)',
  '^[A-Za-z_][A-Za-z0-9_$]*$': 'must be a plain SQL identifier: letters, digits, _ or $, not starting with a digit (for example `tenant_id`)',
  '^[A-Za-z0-9_-]{1,64}$': 'must be 1 to 64 letters, digits, _ or - (for example `acme_corp`)',
  '^\\d+/(second|minute|hour)$': 'must look like `100/minute`: a number, a slash, and second, minute or hour',
  '^sha256:[0-9a-fA-F]{64}$': 'must be `sha256:` followed by 64 hex digits; `semgate keys create` prints one ready to paste',
  '^[A-Za-z_][A-Za-z0-9_]*\\.[A-Za-z_][A-Za-z0-9_]*$': 'must be a custom PostgreSQL setting with a dot, for example `app.current_tenant_id`',
};

const TYPE_WORDS: Record<string, string> = {
  integer: 'a whole number',
  number: 'a number',
  string: 'text',
  boolean: '`true` or `false`',
  object: 'a mapping of `field: value` lines',
  array: 'a list (`- item` lines, or `[a, b]`)',
  null: 'empty',
};

const SECRET_FIELDS = new Set(['key', 'key_hash', 'password', 'secret', 'public_key']);

interface Explained {
  path: FieldPath;
  message: string;
  key?: boolean;
}

function explain(kind: ConfigFileKind, err: ErrorObject): Explained | null {
  const path = pointerToPath(err.instancePath);
  const field = String(path[path.length - 1] ?? '');
  const p = err.params as Record<string, unknown>;
  const parentSchema = (err.parentSchema ?? {}) as { properties?: Record<string, unknown> };
  switch (err.keyword) {
    case 'if':
      return null; // the `then`/`else` branch error below says what is wrong
    case 'additionalProperties': {
      const name = String(p['additionalProperty']);
      const allowed = Object.keys(parentSchema.properties ?? {});
      const hint = didYouMean(name, allowed);
      return {
        path: [...path, name],
        key: true,
        message: `unknown field \`${name}\`.${hint || ` Allowed here: ${listNames(allowed)}.`}`,
      };
    }
    case 'required': {
      const name = String(p['missingProperty']);
      return { path: [...path, name], message: `missing required field \`${name}\`${requiredHint(name)}.` };
    }
    case 'type': {
      if (path.length === 0) return { path, message: `the file must be a mapping with ${TOP_LEVEL_HINT[kind]} at the top.` };
      const wanted = String(p['type']);
      const got = describe(err.data, SECRET_FIELDS.has(field));
      const quoteHint = wanted === 'string' && (typeof err.data === 'number' || typeof err.data === 'boolean')
        ? ' Put the value in quotes.' : '';
      if (field === 'rls') return { path, message: rlsMessage(got) };
      return { path, message: `\`${field}\` must be ${TYPE_WORDS[wanted] ?? wanted}, not ${got}.${quoteHint}` };
    }
    case 'const':
      if (field === 'rls') return { path, message: rlsMessage(describe(err.data, false)) };
      return { path, message: `\`${field}\` must be \`${String(p['allowedValue'])}\`.` };
    case 'enum': {
      const allowed = (p['allowedValues'] as unknown[]).map(String);
      const value = String(err.data);
      const label = typeof path[path.length - 1] === 'number' ? String(path[path.length - 2]) : field;
      return { path, message: `\`${value}\` is not a valid \`${label}\`.${didYouMean(value, allowed)} Use ${listNames(allowed)}.` };
    }
    case 'pattern': {
      const help = PATTERN_HELP[String(p['pattern'])] ?? `must match ${String(p['pattern'])}`;
      const shown = SECRET_FIELDS.has(field) ? '' : ` \`${String(err.data)}\``;
      return { path, message: `\`${field}\`${shown} ${help}.` };
    }
    case 'propertyNames': {
      const name = String(p['propertyName']);
      if (field === 'on') return { path: [...path, name], key: true, message: `join column \`${name}\` ${PATTERN_HELP['^[A-Za-z_][A-Za-z0-9_$]*$']}.` };
      return { path: [...path, name], key: true, message: `tenant id \`${name}\` ${PATTERN_HELP['^[A-Za-z0-9_-]{1,64}$']}.` };
    }
    case 'minimum':
    case 'maximum':
      return { path, message: `\`${field}\` must be ${err.keyword === 'minimum' ? 'at least' : 'at most'} ${String(p['limit'])}, not ${String(err.data)}.` };
    case 'minLength':
      return { path, message: `\`${field}\` must not be empty.` };
    case 'minItems':
      return { path, message: `\`${field}\` must list at least one entry; remove the field to allow all.` };
    case 'uniqueItems':
      return { path, message: `\`${field}\` lists the same entry twice (items ${String(p['j'])} and ${String(p['i'])}).` };
    default:
      return { path, message: `\`${field}\` ${err.message ?? 'is invalid'}.` };
  }
}

function rlsMessage(got: string): string {
  return `\`rls\` must be \`none\` (the same rows for every tenant) or \`{ tenant_column: <column> }\`, not ${got}.`;
}

function requiredHint(name: string): string {
  const hints: Record<string, string> = {
    source: ': the name of a source in sources.yaml',
    connection: ': `{ host, database, user, password }`, or `{ path }` for duckdb',
    expr: ': an SQL expression, for example `SUM(amount)`',
    tenant_column: ': the column holding the tenant id',
    role: ': `analyst`, `viewer`, `admin` or a role named in the catalog',
  };
  return hints[name] ?? '';
}

function describe(value: unknown, secret: boolean): string {
  if (value === null || value === undefined) return 'empty';
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'object') return 'a mapping';
  if (secret) return typeof value === 'string' ? 'text' : `a ${typeof value}`;
  return typeof value === 'string' ? `"${value}"` : String(value);
}

/** YAML may produce Date objects (`!!timestamp`); the schemas and checks expect ISO text. */
export function normaliseDates(value: unknown): unknown {
  if (value instanceof Date) return Number.isNaN(value.getTime()) ? String(value) : value.toISOString();
  if (Array.isArray(value)) return value.map(normaliseDates);
  if (value && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, normaliseDates(v)]));
  }
  return value;
}

