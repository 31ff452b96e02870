/**
 * The aggregation parts of $apply (OData Data Aggregation 4.0 ABNF): `aggregate(...)`
 * items, `from` clauses, and the restricted property paths of groupby / aggregate.
 * `aggregate(x with sum as t)`, `$count as n` and custom aggregates `m [as n]` become
 * typed items; anything else (paths through collections, casts, `from`) is parsed exactly
 * and reported as `other` so the translator can refuse it by position.
 */
import type { AggregateItem, PropertyRef } from '../ast.ts';
import { type Cursor, firstOf } from './cursor.ts';
import { isCollection, type ValueKind } from './model.ts';
import { parseExpr } from './expr.ts';

const METHODS = ['sum', 'min', 'max', 'average', 'countdistinct'];

export interface AggrPath {
  segs: string[];
  plain: boolean; // only property names (no casts)
  kind: ValueKind;
  count: boolean; // ends with /$count
  lastIsProperty: boolean;
}

function isCast(c: Cursor, parts: string[]): boolean {
  if (parts.length > 1) return true;
  const m = c.model;
  if (m.open) return false;
  const t = m.typeName(parts[0]!);
  return m.property(parts[0]!) === undefined && (t === 'entity' || t === 'complex');
}

/** A type cast names an entity or complex type (in a known namespace), unless the model is open. */
export function checkCast(c: Cursor, parts: string[], at: number): void {
  const m = c.model;
  const t = m.typeName(parts[parts.length - 1]!);
  if (!m.open && (!(t === 'entity' || t === 'complex') || (parts.length > 1 && !m.namespace(parts.slice(0, -1))))) {
    c.fail(`'${parts.join('.')}' is neither a property nor a structured type`, at);
  }
}

/**
 * aggrPrimPath / aggrPathPrefix / aggrCastPath [/$count]: property paths that may step
 * through collections (aggregate(Sales/Amount with sum as t)). Stops before anything else.
 */
export function parseAggrPath(c: Cursor): AggrPath {
  const m = c.model;
  const p: AggrPath = { segs: [], plain: true, kind: 'unknown', count: false, lastIsProperty: false };
  for (;;) {
    const at = c.pos;
    if (p.segs.length > 0 && c.isWord('$count', true)) {
      c.pos += 6;
      p.count = true;
      return p;
    }
    const parts = c.qualifiedName();
    if (parts === null) c.fail(`expected a property name, found ${c.found()}`);
    if (isCast(c, parts)) {
      checkCast(c, parts, at);
      p.plain = false;
      p.lastIsProperty = false;
      p.kind = isCollection(p.kind) ? p.kind : 'entity';
    } else {
      const k = m.property(parts[0]!);
      if (k === undefined) c.fail(`'${parts[0]}' is not a known property`, at);
      p.kind = k;
      p.lastIsProperty = true;
    }
    p.segs.push(parts.join('.'));
    if (c.peek() !== '/') return p;
    const primitive = p.kind === 'prim' || p.kind === 'primCol' || p.kind === 'stream';
    if (primitive && !c.isWord('$count', true, c.pos + 1)) return p;
    c.pos++;
  }
}

/**
 * groupingProperty: [cast/] single-valued navigation/complex steps, ending in a property
 * (a final type cast, a collection step or a step after a primitive is an error).
 */
export function parseGroupingPath(c: Cursor): { ref: PropertyRef; plain: boolean } {
  const m = c.model;
  const start = c.pos;
  const segs: string[] = [];
  let plain = true;
  for (;;) {
    const at = c.pos;
    const parts = c.qualifiedName();
    if (parts === null) c.fail(`expected a property name, found ${c.found()}`);
    if (isCast(c, parts)) {
      checkCast(c, parts, at);
      if (c.peek() !== '/') c.fail(`a type cast must be followed by '/' and a property name`);
      plain = false;
      segs.push(parts.join('.'));
      c.pos++;
      continue;
    }
    const k = m.property(parts[0]!);
    if (k === undefined) c.fail(`'${parts[0]}' is not a known property`, at);
    segs.push(parts[0]!);
    if (isCollection(k)) c.fail(`'${segs.join('/')}' is collection-valued: group by single-valued properties only`, c.peek() === '/' ? c.pos : at);
    if (c.peek() !== '/') break;
    if (k === 'prim' || k === 'stream') c.fail(`'${segs.join('/')}' is a primitive value: it has no properties`);
    c.pos++;
  }
  return { ref: { kind: 'property', path: segs, pos: c.orig(start) }, plain };
}

export function parseGroupingProperties(c: Cursor): boolean {
  let plain = true;
  do {
    c.ws();
    plain = parseGroupingPath(c).plain && plain;
  } while (c.wsEat(','));
  return plain;
}

function parseMethod(c: Cursor): string {
  const at = c.pos;
  const parts = c.qualifiedName();
  const msg = `expected an aggregation method after 'with': ${METHODS.join(', ')} or Namespace.Method`;
  if (parts === null) c.fail(msg);
  if (parts.length === 1 && METHODS.includes(parts[0]!)) return parts[0]!;
  if (parts.length > 1 && (c.model.open || c.model.namespace(parts.slice(0, -1)))) return parts.join('.');
  return c.fail(msg, at);
}

function parseWith(c: Cursor): string {
  c.expectSpacedWord('with', "expected 'with' and an aggregation method, e.g. Amount with sum as Total");
  c.rws("expected a space after 'with'");
  return parseMethod(c);
}

/** aggregateFrom: ` from props with method [from ...]`; true when present. */
function parseFrom(c: Cursor, custom: boolean): boolean {
  let any = false;
  while (c.spacedWord('from')) {
    any = true;
    c.rws("expected a space after 'from'");
    parseGroupingProperties(c);
    if (custom) {
      const save = c.pos;
      if (c.ws() > 0 && c.isWord('with', true)) {
        c.pos = save;
        parseWith(c);
      } else c.pos = save;
    } else parseWith(c);
  }
  return any;
}

function parseAlias(c: Cursor, required: boolean): string | null {
  if (!required && !c.spacedWord('as')) return null;
  if (required) c.expectSpacedWord('as', "expected 'as' and a name for the result, e.g. Amount with sum as Total");
  c.rws("expected a space after 'as'");
  return c.expectIdent("expected a name after 'as'");
}

/**
 * One aggregateExpr (withAlias) or the body of `path/aggregate(...)` (no alias).
 * Returns null for constructs the AST has no item for (from, paths, casts, path/$count).
 */
export function parseAggregateItem(c: Cursor, withAlias: boolean): AggregateItem | null {
  const start = c.pos;
  const pos = c.orig(start);
  if (c.isWord('$count', true)) {
    c.pos += 6;
    const from = parseFrom(c, false);
    const alias = withAlias ? parseAlias(c, true)! : '';
    return from ? null : { kind: 'count', alias, pos };
  }
  const endOfItem = (): void => {
    const save = c.pos;
    c.ws();
    if (c.peek() !== ',' && c.peek() !== ')') c.fail(`expected 'with', 'as', ',' or ')' but found ${c.found()}`);
    c.pos = save;
  };
  return firstOf<AggregateItem | null>(
    c,
    () => {
      const path = parseAggrPath(c);
      const ref: PropertyRef = { kind: 'property', path: path.segs, pos };
      if (path.count) {
        parseFrom(c, false);
        if (withAlias) parseAlias(c, true);
        endOfItem();
        return null;
      }
      const save = c.pos;
      if (c.ws() > 0 && c.isWord('with', true)) {
        c.pos = save;
        const method = parseWith(c);
        const from = parseFrom(c, false);
        const alias = withAlias ? parseAlias(c, true)! : '';
        endOfItem();
        return path.plain && !from ? { kind: 'with', expr: ref, method, alias, pos } : null;
      }
      c.pos = save;
      const last = path.segs[path.segs.length - 1]!;
      if (!path.lastIsProperty || !c.model.customAggregate(last)) parseWith(c); // throws: a property needs 'with'
      const from = parseFrom(c, true);
      const alias = withAlias ? parseAlias(c, from) : null;
      endOfItem();
      return path.segs.length === 1 && !from ? { kind: 'custom', name: last, alias, pos } : null;
    },
    () => {
      const expr = parseExpr(c, 0);
      const method = parseWith(c);
      const from = parseFrom(c, false);
      const alias = withAlias ? parseAlias(c, true)! : '';
      return from ? null : { kind: 'with', expr, method, alias, pos };
    },
  );
}

/** Body of the `path/aggregate(...)` function in expressions. */
export function parseAggregateFunctionBody(c: Cursor): void {
  parseAggregateItem(c, false);
}
