/**
 * Compares the gateway's rows with a hand-written answer read through a raw driver. The
 * raw values are normalised here, independently of src/sources/normalise.ts, by the type
 * the catalog gives each output column, so a bug in the product's normaliser shows up.
 */
import type { FieldType } from '../../src/catalog/types.ts';

export type Cell = string | number | boolean | null;

const pad = (n: number, w = 2): string => String(n).padStart(w, '0');

/** node-postgres builds DATE and TIMESTAMP (no zone) values as local-time Dates. */
function localDate(d: Date): string {
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}`;
}

function localTimestamp(d: Date): string {
  return `${localDate(d)}T${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}.${pad(d.getMilliseconds(), 3)}Z`;
}

/** One raw driver value as the spec's JSON value of a column of `type`. */
export function rawCell(v: unknown, type: FieldType): Cell {
  if (v === null || v === undefined) return null;
  switch (type) {
    case 'number':
    case 'integer':
      return Number(typeof v === 'bigint' ? v.toString() : v);
    case 'boolean':
      return v === true || v === 1 || v === '1' || v === 't' || v === 'true';
    case 'date':
      return v instanceof Date ? localDate(v) : String(v).slice(0, 10);
    case 'timestamp': {
      if (v instanceof Date) return localTimestamp(v);
      const m = /^(\d{4}-\d{2}-\d{2})[ T](\d{2}:\d{2}:\d{2})(?:\.(\d+))?$/.exec(String(v));
      if (m === null) throw new Error(`unexpected timestamp text ${String(v)}`);
      return `${m[1]}T${m[2]}.${((m[3] ?? '') + '000').slice(0, 3)}Z`;
    }
    case 'string':
      return String(v);
  }
}

/** Non-integer numbers: engines divide decimals to different scales (MySQL to 4 more digits). */
const RELATIVE_TOLERANCE = 1e-9;

export function sameCell(a: Cell, b: Cell, type: FieldType): boolean {
  if (type === 'number' && typeof a !== 'boolean' && typeof b !== 'boolean' && a !== null && b !== null) {
    const x = Number(a);
    const y = Number(b);
    return x === y || Math.abs(x - y) <= RELATIVE_TOLERANCE * Math.max(Math.abs(x), Math.abs(y));
  }
  // Big integers arrive as strings from the gateway; compare their values.
  if (type === 'integer' && a !== null && b !== null) return Number(a) === Number(b);
  return a === b;
}

/**
 * Returns null when the rows match in order, else a short description of the first
 * difference (with both row lists, so a failure message is enough to debug).
 */
export function diffRows(actual: readonly Cell[][], expected: readonly Cell[][], types: readonly FieldType[]): string | null {
  const show = (): string => `\nactual:   ${JSON.stringify(actual)}\nexpected: ${JSON.stringify(expected)}`;
  if (actual.length !== expected.length) return `${actual.length} rows, expected ${expected.length}${show()}`;
  for (let r = 0; r < actual.length; r++) {
    const a = actual[r]!;
    const e = expected[r]!;
    if (a.length !== e.length) return `row ${r} has ${a.length} columns, expected ${e.length}${show()}`;
    for (let c = 0; c < a.length; c++) {
      if (!sameCell(a[c]!, e[c]!, types[c]!)) {
        return `row ${r} column ${c}: ${JSON.stringify(a[c])} != ${JSON.stringify(e[c])}${show()}`;
      }
    }
  }
  return null;
}

/** Raw answer rows (objects in SELECT order) -> normalised cells by the result's column types. */
export function normaliseAnswer(rows: readonly Record<string, unknown>[], types: readonly FieldType[]): Cell[][] {
  return rows.map((row) => {
    const values = Object.values(row);
    if (values.length !== types.length) throw new Error(`answer has ${values.length} columns, the query ${types.length}`);
    return values.map((v, i) => rawCell(v, types[i]!));
  });
}
