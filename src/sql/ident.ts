/**
 * Identifiers and fixed fragments, made once and reused. A fragment is immutable, so one
 * `sql.id('t')` can stand in every query, and its quoted text is kept per engine: building
 * a fresh one for each of the hundreds of names in a join query was a fifth of its compile
 * time.
 */
import { sql } from './fragment.ts';
import type { Expr } from './dialects/types.ts';

/** One name, and qualified names (a map per leading name: no key can be confused). */
const ids = new Map<string, Expr>();
const qualified = new Map<string, Map<string, Expr>>();
/** Bounded: names come from the catalog and the compiler, plus one schema per tenant. */
const MAX_IDS = 20_000;
let qualifiedCount = 0;

/** `sql.id(name)` or `sql.id(qualifier, name)`, shared. */
export function id(...names: string[]): Expr {
  if (names.length === 1) {
    let e = ids.get(names[0]!);
    if (e === undefined) {
      e = sql.id(names[0]!);
      if (ids.size < MAX_IDS) ids.set(names[0]!, e);
    }
    return e;
  }
  if (names.length !== 2) return sql.id(...names);
  let inner = qualified.get(names[0]!);
  if (inner === undefined) {
    inner = new Map();
    if (qualified.size < MAX_IDS) qualified.set(names[0]!, inner);
  }
  let e = inner.get(names[1]!);
  if (e === undefined) {
    e = sql.id(names[0]!, names[1]!);
    if (qualifiedCount < MAX_IDS) {
      inner.set(names[1]!, e);
      qualifiedCount++;
    }
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
