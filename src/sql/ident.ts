/**
 * Identifiers and fixed fragments, made once and reused. A kysely RawBuilder is immutable,
 * so one `sql.id('t')` can stand in every query; building (and freezing) a fresh node for
 * each of the hundreds of names in a join query was a fifth of its compile time.
 */
import { sql } from 'kysely';
import type { Expr } from './dialects/types.ts';

/** One name, and qualified names (JSON of the parts: no two lists share a key). */
const ids = new Map<string, Expr>();
const qualified = new Map<string, Expr>();
/** Bounded: names come from the catalog and the compiler, plus one schema per tenant. */
const MAX_IDS = 20_000;

/** `sql.id(...names)`, shared. */
export function id(...names: string[]): Expr {
  const [map, key] = names.length === 1 ? [ids, names[0]!] : [qualified, JSON.stringify(names)];
  let e = map.get(key);
  if (e === undefined) {
    e = sql.id(...names);
    if (map.size < MAX_IDS) map.set(key, e);
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
