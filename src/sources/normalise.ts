/**
 * One result shape whatever the engine: each value is converted by the type the catalog
 * declared for its column, not by what the driver happened to return. Drivers are set up
 * to hand over exact text for NUMERIC/DECIMAL/BIGINT, dates and timestamps, so nothing is
 * rounded or shifted by a time zone before it gets here.
 */
import type { FieldType } from '../catalog/types.ts';
import type { Row } from './types.ts';

export type JsonValue = string | number | boolean | null;

const INTEGER_TEXT = /^[+-]?\d+$/;
const DECIMAL_TEXT = /^([+-]?)(\d*)(?:\.(\d*))?$/;
// YYYY-MM-DD[ T]HH:MM[:SS[.fff...]][Z|±HH[:MM[:SS]]]
const TIMESTAMP_TEXT =
  /^(\d{4}-\d{2}-\d{2})(?:[ T](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d+))?)?\s*(Z|[+-]\d{2}(?::?\d{2}(?::?\d{2})?)?)?)?$/;

/** Normalises one row (values in SELECT order) by the declared column types. */
export function normaliseRow(values: readonly unknown[], types: readonly FieldType[]): Row {
  const row: Row = new Array<JsonValue>(values.length);
  for (let i = 0; i < values.length; i++) row[i] = normaliseValue(values[i], types[i] ?? 'string');
  return row;
}

/**
 * normaliseRow writing into the driver's own row array (a fresh one per row from every
 * driver here): no second array per row on a streamed export of millions.
 */
export function normaliseRowInPlace(values: unknown[], types: readonly FieldType[]): Row {
  for (let i = 0; i < values.length; i++) values[i] = normaliseValue(values[i], types[i] ?? 'string');
  return values as Row;
}

export function normaliseValue(value: unknown, type: FieldType): JsonValue {
  if (value === null || value === undefined) return null;
  switch (type) {
    case 'string':
      return asString(value);
    case 'number':
    case 'integer':
      return asNumber(value);
    case 'boolean':
      return asBoolean(value);
    case 'date':
      return asDate(value);
    case 'timestamp':
      return asTimestamp(value);
  }
}

/** DuckDB value classes (DuckDBDecimalValue, DuckDBDateValue, ...) all print exactly. */
function text(value: unknown): string {
  if (value instanceof Date) return value.toISOString();
  if (value instanceof Uint8Array) return Buffer.from(value).toString('utf8');
  return String(value);
}

function asString(value: unknown): string {
  return typeof value === 'string' ? value : text(value);
}

function asNumber(value: unknown): number | string | null {
  // `+ 0` turns -0 into 0, so a negative zero never reaches JSON or a comparison.
  if (typeof value === 'number') return Number.isFinite(value) ? value + 0 : null;
  if (typeof value === 'bigint') {
    return value <= BigInt(Number.MAX_SAFE_INTEGER) && value >= BigInt(Number.MIN_SAFE_INTEGER)
      ? Number(value)
      : value.toString();
  }
  if (typeof value === 'boolean') return value ? 1 : 0;
  return numberFromText(text(value).trim());
}

/** Exact decimal text -> a JSON number, or the canonical text when a double would lose it. */
export function numberFromText(s: string): number | string | null {
  if (INTEGER_TEXT.test(s)) {
    const n = Number(s);
    return Number.isSafeInteger(n) ? n + 0 : canonicalInteger(s);
  }
  const m = DECIMAL_TEXT.exec(s);
  if (m === null || (m[2] === '' && (m[3] ?? '') === '')) {
    // Doubles printed with an exponent, and NaN/Infinity (pg NUMERIC and float text).
    const n = Number(s);
    return Number.isFinite(n) ? n + 0 : null;
  }
  const sign = m[1] === '-' ? '-' : '';
  const intPart = (m[2] ?? '').replace(/^0+(?=\d)/, '') || '0';
  const frac = (m[3] ?? '').replace(/0+$/, '');
  if (Number(intPart) <= Number.MAX_SAFE_INTEGER) return Number(s) + 0;
  return `${sign}${intPart}${frac === '' ? '' : `.${frac}`}`;
}

function canonicalInteger(s: string): string {
  const neg = s.startsWith('-');
  const digits = s.replace(/^[+-]/, '').replace(/^0+(?=\d)/, '');
  return neg && digits !== '0' ? `-${digits}` : digits;
}

function asBoolean(value: unknown): boolean | null {
  if (typeof value === 'boolean') return value;
  if (typeof value === 'number') return Number.isNaN(value) ? null : value !== 0;
  if (typeof value === 'bigint') return value !== 0n;
  const s = text(value).trim().toLowerCase();
  if (s === 't' || s === 'true' || s === '1' || s === 'yes' || s === 'on') return true;
  if (s === 'f' || s === 'false' || s === '0' || s === 'no' || s === 'off') return false;
  return null;
}

function isInfinite(s: string): boolean {
  return /^[+-]?infinity$/i.test(s);
}

function asDate(value: unknown): string | null {
  if (value instanceof Date) return Number.isNaN(value.getTime()) ? null : value.toISOString().slice(0, 10);
  const s = text(value).trim();
  if (isInfinite(s)) return null;
  const m = TIMESTAMP_TEXT.exec(s);
  if (m === null) return s;
  // A zoned value is an instant: dated in UTC. A plain date or zoneless timestamp keeps
  // the calendar date as written.
  return m[6] === undefined ? (m[1] ?? s) : (timestampFromText(s) ?? s).slice(0, 10);
}

function asTimestamp(value: unknown): string | null {
  if (value instanceof Date) return Number.isNaN(value.getTime()) ? null : value.toISOString();
  const s = text(value).trim();
  if (isInfinite(s)) return null;
  return timestampFromText(s) ?? s;
}

/**
 * `2024-01-31 12:34:56.789123+02` -> `2024-01-31T10:34:56.789Z`. Fractions are truncated
 * to milliseconds (not rounded) so every engine gives the same text; no zone means UTC.
 */
export function timestampFromText(s: string): string | null {
  const m = TIMESTAMP_TEXT.exec(s);
  if (m === null) return null;
  const [, date, hh = '00', mi = '00', ss = '00', fraction = '', zone] = m;
  const ms = (fraction + '000').slice(0, 3);
  const local = `${date}T${hh}:${mi}:${ss}.${ms}`;
  if (zone === undefined || zone === 'Z' || /^[+-]00(:?00)?(:?00)?$/.test(zone)) return `${local}Z`;
  const z = /^([+-])(\d{2}):?(\d{2})?:?(\d{2})?$/.exec(zone);
  if (z === null) return null;
  const offsetSeconds =
    (z[1] === '-' ? -1 : 1) * (Number(z[2]) * 3600 + Number(z[3] ?? 0) * 60 + Number(z[4] ?? 0));
  const instant = Date.parse(`${local}Z`) - offsetSeconds * 1000;
  return Number.isNaN(instant) ? null : new Date(instant).toISOString();
}
