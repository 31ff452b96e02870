import { badQuery } from '../errors.ts';
import type { FilterOp, PlannedField, ScalarValue } from './types.ts';

const DATE = /^(\d{4})-(\d{2})-(\d{2})$/;
const TIMESTAMP = /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(\.\d{1,9})?)?)?(Z|[+-]\d{2}:?\d{2})?$/;

function validDate(y: number, m: number, d: number): boolean {
  if (m < 1 || m > 12 || d < 1) return false;
  const days = new Date(Date.UTC(y, m, 0)).getUTCDate();
  return d <= days && y >= 1 && y <= 9999;
}

/** A timestamp value as UTC `YYYY-MM-DD HH:MM:SS.ffffff`, the form every engine casts. */
function normaliseTimestamp(text: string): string | null {
  const m = TIMESTAMP.exec(text);
  if (!m) return null;
  const [y, mo, d] = [Number(m[1]), Number(m[2]), Number(m[3])];
  if (!validDate(y, mo, d)) return null;
  const h = Number(m[4] ?? 0), mi = Number(m[5] ?? 0), s = Number(m[6] ?? 0);
  if (h > 23 || mi > 59 || s > 59) return null;
  const frac = (m[7] ?? '.').slice(1).padEnd(6, '0').slice(0, 6);
  let ms = Date.UTC(y, mo - 1, d, h, mi, s);
  const zone = m[8];
  if (zone && zone !== 'Z') {
    const sign = zone[0] === '-' ? -1 : 1;
    const digits = zone.slice(1).replace(':', '');
    ms -= sign * (Number(digits.slice(0, 2)) * 60 + Number(digits.slice(2))) * 60_000;
  }
  const iso = new Date(ms).toISOString();
  if (Number.isNaN(ms) || iso.startsWith('-') || iso.startsWith('+')) return null;
  return `${iso.slice(0, 10)} ${iso.slice(11, 19)}.${frac}`;
}

function typeName(v: unknown): string {
  return v === null ? 'null' : Array.isArray(v) ? 'array' : typeof v;
}

function failValue(field: PlannedField, v: unknown, expected: string, path: string): never {
  throw badQuery('invalid_value',
    `Filter on '${field.alias}' (${field.type}) expects ${expected}, got ${typeName(v)}${typeof v === 'string' ? ` '${v.slice(0, 40)}'` : ''}.`,
    { field: path });
}

/** Checks one request value against the field's type and returns the value to bind. */
export function checkValue(field: PlannedField, op: FilterOp, v: unknown, path: string): ScalarValue {
  const t = field.type;
  // PostgreSQL refuses NUL in text (a 500 from the database); refused here on every engine alike.
  if (typeof v === 'string' && v.includes('\u0000')) {
    throw badQuery('invalid_value', `Filter on '${field.alias}' got a text value with a NUL character.`, { field: path });
  }
  if (op === 'contains' || op === 'starts_with' || op === 'ends_with') {
    return typeof v === 'string' ? v : failValue(field, v, 'a string', path);
  }
  switch (t) {
    case 'string': return typeof v === 'string' ? v : failValue(field, v, 'a string', path);
    case 'number':
    case 'integer':
      return typeof v === 'number' && Number.isFinite(v) ? v : failValue(field, v, 'a number', path);
    case 'boolean': return typeof v === 'boolean' ? v : failValue(field, v, 'true or false', path);
    case 'date': {
      const m = typeof v === 'string' ? DATE.exec(v) : null;
      return m && validDate(Number(m[1]), Number(m[2]), Number(m[3])) ? (v as string) : failValue(field, v, 'a date like 2024-01-31', path);
    }
    case 'timestamp': {
      const n = typeof v === 'string' ? normaliseTimestamp(v) : null;
      return n ?? failValue(field, v, 'an ISO 8601 timestamp like 2024-01-31T12:00:00Z', path);
    }
  }
}

/** Longest text contains/starts_with/ends_with accept. */
export const MAX_PATTERN = 256;

const ARITY: Record<FilterOp, [number, number]> = {
  eq: [1, 1], ne: [1, 1], gt: [1, 1], gte: [1, 1], lt: [1, 1], lte: [1, 1],
  in: [1, 1000], not_in: [1, 1000], between: [2, 2],
  contains: [1, 1], starts_with: [1, 1], ends_with: [1, 1],
  is_null: [0, 0], is_not_null: [0, 0],
};

/** Checks the operator fits the field and the number of values, then each value. */
export function checkFilterValues(field: PlannedField, op: FilterOp, values: unknown[] | undefined, path: string): ScalarValue[] {
  const list = values ?? [];
  const [min, max] = ARITY[op];
  if (list.length < min || list.length > max) {
    const want = min === max ? (min === 0 ? 'no values' : `exactly ${min} value${min > 1 ? 's' : ''}`) : `${min} to ${max} values`;
    throw badQuery('invalid_value', `Operator '${op}' takes ${want}, got ${list.length}.`, { field: `${path}.values` });
  }
  const stringOnly = op === 'contains' || op === 'starts_with' || op === 'ends_with';
  // A LIKE pattern is matched row by row; a long one on a large table costs seconds.
  if (stringOnly && list.some((v) => typeof v === 'string' && v.length > MAX_PATTERN)) {
    throw badQuery('invalid_value', `Operator '${op}' takes a text of at most ${MAX_PATTERN} characters.`, { field: `${path}.values[0]` });
  }
  if (stringOnly && field.type !== 'string') {
    throw badQuery('invalid_operator', `Operator '${op}' works on string fields; '${field.alias}' is ${field.type}.`, { field: `${path}.op` });
  }
  const ordered = op === 'gt' || op === 'gte' || op === 'lt' || op === 'lte' || op === 'between';
  if (ordered && field.type === 'boolean') {
    throw badQuery('invalid_operator', `Operator '${op}' does not apply to boolean field '${field.alias}'.`, { field: `${path}.op` });
  }
  return list.map((v, i) => checkValue(field, op, v, `${path}.values[${i}]`));
}
