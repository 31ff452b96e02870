/**
 * commonExpr / boolCommonExpr: a Pratt parser over the operators of OData URL
 * Conventions 4.01 §5.1.1.15, from loosest to tightest binding:
 *   or < and < eq ne < gt ge lt le < add sub < mul div divby mod < unary - not < has in
 * (`has` and `in` are "primary" operators in the spec, so `not x in (1,2)` is
 * `not (x in (1,2))`). Binary operators are left-associative.
 */
import type { BinaryOp, Expr, Literal } from '../ast.ts';
import { type Cursor, firstOf } from './cursor.ts';
import { parseEnumBody, parseLiteral, looksLikeEnumValue } from './literals.ts';
import { parseJson } from './json.ts';
import { parseMember, parseTypeName, parseVariable } from './paths.ts';

const BP: Record<string, number> = {
  or: 1, and: 2, eq: 3, ne: 3, gt: 4, ge: 4, lt: 4, le: 4, add: 5, sub: 5, mul: 6, div: 6, divby: 6, mod: 6, has: 8, in: 8,
};
const OPS = Object.keys(BP);
export const UNARY_BP = 7;

/** Canonical functions we turn into `call` nodes, with [min, max] argument counts. */
export const CANONICAL: Readonly<Record<string, readonly [number, number]>> = {
  concat: [2, 2], contains: [2, 2], endswith: [2, 2], indexof: [2, 2], length: [1, 1], matchespattern: [2, 2],
  startswith: [2, 2], substring: [2, 3], tolower: [1, 1], toupper: [1, 1], trim: [1, 1],
  year: [1, 1], month: [1, 1], day: [1, 1], hour: [1, 1], minute: [1, 1], second: [1, 1],
  fractionalseconds: [1, 1], totalseconds: [1, 1], date: [1, 1], time: [1, 1], totaloffsetminutes: [1, 1],
  mindatetime: [0, 0], maxdatetime: [0, 0], now: [0, 0], round: [1, 1], floor: [1, 1], ceiling: [1, 1],
  'geo.distance': [2, 2], 'geo.length': [1, 1], 'geo.intersects': [2, 2], hassubset: [2, 2], hassubsequence: [2, 2],
};

const ORDINAL = ['first', 'second', 'third'];

/** A full commonExpr (the caller checks what follows). */
export function parseExpr(c: Cursor, minBp = 0, after?: string): Expr {
  c.enter();
  try {
    let left = parseUnary(c, after);
    for (;;) {
      const save = c.pos;
      if (c.ws() === 0) break;
      const op = OPS.find((o) => c.isWord(o));
      if (op === undefined || BP[op]! <= minBp) {
        c.pos = save;
        break;
      }
      c.pos += op.length;
      if (c.atEnd) c.fail(`expected a value after '${op}', found the end of the text`);
      c.rws(`expected a space after '${op}'`);
      if (op === 'in') left = parseInRight(c, left);
      else if (op === 'has') left = { kind: 'binary', op: 'has', left, right: parseHasRight(c), pos: left.pos };
      else left = { kind: 'binary', op: op as BinaryOp, left, right: parseExpr(c, BP[op], `'${op}'`), pos: left.pos };
    }
    return left;
  } finally {
    c.leave();
  }
}

function parseUnary(c: Cursor, after?: string): Expr {
  const start = c.pos;
  if (c.peek() === '-') {
    const lit = parseLiteral(c);
    if (lit) return lit;
    c.pos++;
    c.ws();
    return { kind: 'unary', op: 'negate', operand: parseExpr(c, UNARY_BP, "'-'"), pos: c.orig(start) };
  }
  // `not` needs a space after it per the ABNF; `not(...)` is accepted too because common
  // clients write it and it cannot mean anything else.
  if (c.isWord('not') && (c.peek(3) === ' ' || c.peek(3) === '\t' || c.peek(3) === '(')) {
    c.pos += 3;
    c.ws();
    return { kind: 'unary', op: 'not', operand: parseExpr(c, UNARY_BP, "'not'"), pos: c.orig(start) };
  }
  return parsePrimary(c, after);
}

function parsePrimary(c: Cursor, after?: string): Expr {
  const start = c.pos;
  const ch = c.peek();
  const where = after ? ` after ${after}` : '';
  if (c.atEnd) c.fail(`expected a value, a property name or a function${where}, found the end of the text`);
  if (ch === '(') {
    c.pos++;
    c.ws();
    const inner = parseExpr(c, 0, "'('");
    c.ws();
    c.expect(')', `expected ')' to close the '(' at position ${c.orig(start)}`);
    return inner;
  }
  if (ch === '[' || ch === '{') return parseJson(c).node;
  if (ch === '"') c.fail("text values are written in single quotes, e.g. 'Milk' (double quotes only appear in JSON arrays)");
  const lit = parseLiteral(c);
  if (lit) return lit;
  if (ch === '$' || ch === '@') return parseVariable(c);
  const parts = c.qualifiedName();
  if (parts === null) c.fail(`expected a value, a property name or a function${where}, found ${c.found()}`);
  const lower = parts.join('.').toLowerCase();
  if (c.peek() === "'" && parts.length >= 2) return parseEnumLiteral(c, start, parts);
  if (c.peek() === '(') {
    const range = CANONICAL[lower];
    if (range) return parseCall(c, start, lower, range);
    if (parts.length === 1 && (lower === 'cast' || lower === 'isof')) return parseCastOrIsof(c, start, lower);
    if (parts.length === 1 && lower === 'case') return parseCase(c, start);
    if (parts.length === 1 && lower === 'isdefined') return parseIsDefined(c, start);
  }
  return parseMember(c, start, parts);
}

function parseEnumLiteral(c: Cursor, start: number, parts: string[]): Literal {
  const m = c.model;
  if (!m.open && !(m.namespace(parts.slice(0, -1)) && m.typeName(parts[parts.length - 1]!) === 'enum')) {
    c.fail(`'${parts.join('.')}' is not an enumeration type`, start);
  }
  return parseEnumBody(c, start);
}

function parseCall(c: Cursor, start: number, name: string, [min, max]: readonly [number, number]): Expr {
  c.pos++;
  c.ws();
  const args: Expr[] = [];
  if (max === 0) {
    c.expect(')', `expected ')': ${name}() takes no arguments`);
    return { kind: 'call', name, args, pos: c.orig(start) };
  }
  for (;;) {
    args.push(parseExpr(c, 0, `'${name}('`));
    c.ws();
    if (args.length === max) {
      c.expect(')', `expected ')' after the arguments of ${name} (it takes ${max === min ? max : `${min} to ${max}`} arguments)`);
      break;
    }
    if (args.length >= min && c.eat(')')) break;
    const n = ORDINAL[args.length] ?? `next`;
    c.expect(',', args.length < min
      ? `expected ',' and the ${n} argument of ${name} (it takes ${min} arguments)`
      : `expected ',' or ')' after the arguments of ${name}`);
    c.ws();
  }
  return { kind: 'call', name, args, pos: c.orig(start) };
}

/** cast(T) / cast(x, T) / isof(T) / isof(x, T): parsed exactly, returned as `other`. */
function parseCastOrIsof(c: Cursor, start: number, what: string): Expr {
  c.pos++;
  c.ws();
  firstOf(
    c,
    () => {
      parseTypeName(c);
      c.ws();
      c.expect(')', `expected ')' after the type name of ${what}`);
    },
    () => {
      parseExpr(c, 0, `'${what}('`);
      c.ws();
      c.expect(',', `expected ',' and a type name in ${what}(...)`);
      c.ws();
      parseTypeName(c);
      c.ws();
      c.expect(')', `expected ')' after the type name of ${what}`);
    },
  );
  return { kind: 'other', what, pos: c.orig(start) };
}

function parseCase(c: Cursor, start: number): Expr {
  c.pos++;
  do {
    c.ws();
    parseExpr(c, 0, "'case('");
    c.ws();
    c.expect(':', "expected ':' between a condition and its value in case(...)");
    c.ws();
    parseExpr(c, 0, "':'");
    c.ws();
  } while (c.eat(','));
  c.expect(')', "expected ',' or ')' in case(...)");
  return { kind: 'other', what: 'case', pos: c.orig(start) };
}

function parseIsDefined(c: Cursor, start: number): Expr {
  c.pos++;
  c.ws();
  const at = c.pos;
  const target = parsePrimary(c, "'isdefined('");
  if (target.kind !== 'property' && target.kind !== 'other') c.fail('isdefined(...) takes a property path', at);
  c.ws();
  c.expect(')', "expected ')' after the property of isdefined");
  return { kind: 'other', what: 'isdefined', pos: c.orig(start) };
}

/** Right side of `in`: `(lit, ...)`, a JSON array, or an expression yielding a collection. */
function parseInRight(c: Cursor, left: Expr): Expr {
  const start = c.pos;
  const pos = left.pos;
  if (c.peek() === '(') {
    c.pos++;
    c.ws();
    if (c.eat(')')) return { kind: 'in', left, list: [], pos };
    const first = parseExpr(c, 0, "'in ('");
    c.ws();
    if (c.eat(')')) {
      return first.kind === 'literal' ? { kind: 'in', left, list: [first], pos } : { kind: 'other', what: 'in with a collection-valued expression', pos };
    }
    if (first.kind !== 'literal' || c.peek() !== ',') {
      c.fail(first.kind === 'literal'
        ? "expected ',' or ')' in the list after 'in'"
        : "expected ')': the list after 'in' may only contain literal values such as 'a' or 42");
    }
    const list: Expr[] = [first];
    while (c.eat(',')) {
      c.ws();
      const item = parseLiteral(c);
      if (!item) c.fail("the list after 'in' may only contain literal values such as 'a' or 42");
      list.push(item);
      c.ws();
    }
    c.expect(')', "expected ',' or ')' in the list after 'in'");
    return { kind: 'in', left, list, pos };
  }
  if (c.peek() === '[') {
    const json = parseJson(c);
    if (json.items && json.items.every((i) => i.kind === 'literal')) return { kind: 'in', left, list: json.items, pos };
    return { kind: 'other', what: 'in with a JSON array of expressions', pos };
  }
  c.pos = start;
  parseExpr(c, BP['in'], "'in'");
  return { kind: 'other', what: 'in with a collection-valued expression', pos };
}

/** Right side of `has`: an enum literal, `Ns.Type'Member'` or (unqualified) `'Member'`. */
function parseHasRight(c: Cursor): Literal {
  const start = c.pos;
  if (c.peek() === "'") {
    const lit = parseLiteral(c)!;
    if (typeof lit.value === 'string' && looksLikeEnumValue(lit.value)) return { ...lit, type: 'enum' };
  } else {
    const parts = c.qualifiedName();
    if (parts && parts.length >= 2 && c.peek() === "'") return parseEnumLiteral(c, start, parts);
  }
  return c.fail("expected an enumeration value after 'has', e.g. Namespace.Color'Red'", start);
}
