/**
 * Identifiers and fixed fragments, made once and reused. A kysely RawBuilder is immutable,
 * so one `sql.id('t')` can stand in every query; building (and freezing) a fresh node for
 * each of the hundreds of names in a join query was a fifth of its compile time.
 */
import { sql } from 'kysely';
import type { Expr } from './dialects/types.ts';

const ids = new Map<string, Expr>();
/** Bounded: names come from the catalog and the compiler, plus one schema per tenant. */
const MAX_IDS = 20_000;

/** `sql.id(...names)`, shared. */
export function id(...names: string[]): Expr {
  const key = names.length === 1 ? names[0]! : names.join('\u0000');
  let e = ids.get(key);
  if (e === undefined) {
    e = sql.id(...names);
    if (ids.size < MAX_IDS) ids.set(key, e);
  }
  return e;
}

const raws = new Map<string, Expr>();

/** `sql.raw(text)` for the compiler's own fixed text (never a request value), shared. */
export function raw(text: string): Expr {
  let e = raws.get(text);
  if (e === undefined) {
    e = sql.raw(text);
    if (raws.size < MAX_IDS) raws.set(text, e);
  }
  return e;
}
