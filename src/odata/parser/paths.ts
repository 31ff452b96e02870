/**
 * Member paths (`Address/City`, `Items/$count`, `Products/any(p:p/Price gt 5)`,
 * `Model.Fn(x=1)/Name`, `$it/Name`, `$root/Products('A')`, `@alias`, annotations) and
 * JSON arrays/objects. A path of plain property names becomes a `property` node; every
 * other construct is parsed exactly and returned as `other` naming the first feature
 * that made it so. Which segment may follow which depends on what the previous one
 * yields (a collection needs any/all/$count/..., a primitive has no properties); the
 * model says that, and without a model (OPEN_MODEL) every name is accepted.
 */
import type { Expr } from '../ast.ts';
import { type Cursor, firstOf } from './cursor.ts';
import { isCollection, type ValueKind } from './model.ts';
import { parseExpr } from './expr.ts';
import { parseLiteral } from './literals.ts';
import { parseJson } from './json.ts';
import { checkCast, parseAggregateFunctionBody } from './aggregate.ts';
import { parseNestedOptions } from './options.ts';

interface Path {
  segs: string[];
  what: string | null; // first non-property feature, null while the path is plain properties
  kind: ValueKind;
}

const STRUCTURED: readonly ValueKind[] = ['entity', 'complex', 'unknown'];
const PRIMITIVE_TYPES = new Set([
  'Binary', 'Boolean', 'Byte', 'Date', 'DateTimeOffset', 'Decimal', 'Double', 'Duration', 'Guid', 'Int16', 'Int32',
  'Int64', 'SByte', 'Single', 'Stream', 'String', 'TimeOfDay',
]);
const SPATIAL = /^(?:Geography|Geometry)(?:Collection|LineString|MultiLineString|MultiPoint|MultiPolygon|Point|Polygon)?$/;

function result(c: Cursor, start: number, p: Path): Expr {
  return p.what === null ? { kind: 'property', path: p.segs, pos: c.orig(start) } : { kind: 'other', what: p.what, pos: c.orig(start) };
}
function mark(p: Path, what: string): void {
  if (p.what === null) p.what = what;
}

/** A member expression whose first (possibly qualified) name is already consumed. */
export function parseMember(c: Cursor, start: number, parts: string[]): Expr {
  const m = c.model;
  const name = parts[parts.length - 1]!;
  const p: Path = { segs: [...parts], what: null, kind: 'unknown' };
  if (c.peek() === '(') {
    const qualified = parts.length > 1;
    const fn = qualified ? (m.namespace(parts.slice(0, -1)) ? m.func(name, true) : undefined) : m.func(name, false);
    if (fn !== undefined) {
      parseFunctionParams(c);
      mark(p, `function ${parts.join('.')}`);
      p.kind = fn;
    } else if (!qualified && m.property(name) === 'entityCol') {
      p.kind = m.property(name)!;
    } else {
      c.fail(qualified ? `'${parts.join('.')}' is not a known function` : `'${name}' is not a known function`);
    }
  } else if (parts.length > 1) {
    parseCast(c, p, parts, true);
  } else {
    const k = m.property(name);
    const t = k === undefined ? m.typeName(name) : undefined;
    if (k !== undefined) p.kind = k;
    else if (t === 'entity' || t === 'complex') parseCast(c, p, parts, true);
    else if (m.lambdaVariable(name)) mark(p, 'lambda variable');
    else c.fail(`'${name}' is not a known property`, start);
  }
  continuePath(c, p);
  return result(c, start, p);
}

/** A type cast segment: only entity/complex types, and at the start it needs a '/' after it. */
function parseCast(c: Cursor, p: Path, parts: string[], needsSlash: boolean): void {
  const m = c.model;
  const t = m.typeName(parts[parts.length - 1]!);
  if (needsSlash && c.peek() !== '/') {
    c.fail(parts.length > 1
      ? `expected '(' after the function name or '/' after the type name '${parts.join('.')}'`
      : `'${parts[0]}' is a type name: expected '/' and a property after it`);
  }
  checkCast(c, parts, c.pos - parts.join('.').length);
  mark(p, 'type cast');
  p.kind = isCollection(p.kind) ? p.kind : t === 'complex' ? 'complex' : t === 'entity' ? 'entity' : 'unknown';
}

/** Key predicates and `/segment`s after the first segment. */
function continuePath(c: Cursor, p: Path): void {
  const m = c.model;
  for (;;) {
    if (c.peek() === '(' && (p.kind === 'entityCol' || (m.open && p.what !== null && p.kind === 'unknown'))) {
      if (m.open) parseParensOpen(c);
      else parseKeyPredicate(c);
      mark(p, 'key predicate');
      p.kind = p.kind === 'entityCol' ? 'entity' : 'unknown';
      continue;
    }
    if (c.peek() !== '/') return;
    const slash = c.pos;
    c.pos++;
    const at = c.pos;
    const coll = isCollection(p.kind) || p.kind === 'unknown';
    const single = STRUCTURED.includes(p.kind);
    if (c.peek() === '$') {
      if (coll && c.word('$count', true)) {
        if (c.peek() === '(') parseNestedOptions(c, ['filter', 'search']);
        mark(p, '$count');
        p.kind = 'prim';
        return;
      }
      if (coll && c.word('$filter', true)) {
        c.expect('(', "expected '(' after $filter");
        c.ws();
        parseExpr(c, 0, "'$filter('");
        c.ws();
        c.expect(')', "expected ')' after the condition of $filter(...)");
        mark(p, '$filter path segment');
        continue;
      }
      c.fail(coll ? "expected $count, $filter(...), any(...), all(...) or a name after '/'" : `unexpected ${c.found()} after '/'`);
    }
    if (c.peek() === '@') {
      parseAnnotation(c);
      mark(p, 'annotation');
      p.kind = 'unknown';
      continue;
    }
    const parts = c.qualifiedName();
    if (parts === null) c.fail(`expected a property name after '/', found ${c.found()}`);
    const name = parts[parts.length - 1]!;
    const qualified = parts.length > 1;
    if (c.peek() === '(') {
      if (!qualified && coll && (name === 'any' || name === 'all')) {
        parseLambda(c, name);
        mark(p, `lambda ${name}`);
        p.kind = 'prim';
        return;
      }
      if (!qualified && coll && name === 'aggregate') {
        c.pos++;
        c.ws();
        parseAggregateFunctionBody(c);
        c.ws();
        c.expect(')', "expected ')' after the aggregate expression");
        mark(p, 'aggregate function');
        p.kind = 'prim';
        return;
      }
      const fn = qualified ? (m.namespace(parts.slice(0, -1)) ? m.func(name, true) : undefined) : m.func(name, false);
      if (fn !== undefined || m.open) {
        // Without a model `x/name(...)` may be a bound function or a key lookup; both are `other`.
        if (fn !== undefined) parseFunctionParams(c);
        else parseParensOpen(c);
        mark(p, fn !== undefined ? `function ${parts.join('.')}` : `key predicate or bound function ${parts.join('.')}`);
        p.kind = fn ?? 'unknown';
        continue;
      }
      // Otherwise only `navigation(key)` remains: the key predicate is read at the loop's top.
      if (qualified || m.property(name) !== 'entityCol') c.fail(`'${parts.join('.')}' is not a known function`, at);
    }
    if (qualified || (!m.open && m.property(name) === undefined)) {
      if (p.kind === 'prim' || p.kind === 'primCol' || p.kind === 'stream') c.fail(`a type cast cannot follow '${p.segs.join('/')}'`, slash);
      parseCast(c, p, parts, false);
      continue;
    }
    if (!single) {
      c.fail(coll
        ? `'${p.segs.join('/')}' is a collection: use any(...), all(...), $count or a function after it, not a property`
        : `'${p.segs.join('/')}' is a primitive value: it has no properties`, slash);
    }
    p.segs.push(name);
    p.kind = m.property(name) ?? 'unknown';
  }
}

function parseAnnotation(c: Cursor): void {
  const at = c.pos;
  c.pos++;
  const parts = c.qualifiedName();
  if (parts === null) c.fail("expected a name after '@'");
  if (!c.model.open && !(c.model.term(parts[parts.length - 1]!) && (parts.length === 1 || c.model.namespace(parts.slice(0, -1))))) {
    c.fail(`'@${parts.join('.')}' is not a known annotation`, at);
  }
  if (c.eat('#')) c.expectIdent("expected a qualifier name after '#'");
}

/** `$it`, `$this`, `$root/...`, `$these`, `@alias` or `@Namespace.Term` at the start of an expression. */
export function parseVariable(c: Cursor): Expr {
  const start = c.pos;
  const p: Path = { segs: [], what: null, kind: 'unknown' };
  if (c.peek() === '@') {
    parseAnnotation(c);
    mark(p, c.s.slice(start + 1, c.pos).includes('.') ? 'annotation' : 'parameter alias');
  } else if (c.word('$it', true) || c.word('$this', true)) {
    mark(p, c.s.slice(start, c.pos));
    p.kind = c.model.open ? 'unknown' : 'entity';
  } else if (c.word('$these', true)) {
    mark(p, '$these');
    p.kind = 'entityCol';
  } else if (c.word('$root', true)) {
    c.expect('/', "expected '/' and an entity set name after $root");
    const name = c.expectIdent('expected an entity set name after $root/');
    mark(p, '$root');
    const m = c.model;
    const fi = c.peek() === '(' && !m.open ? m.functionImport(name) : undefined;
    if (fi !== undefined) {
      parseFunctionParams(c);
      p.kind = fi;
    } else if (m.entitySet(name)) p.kind = 'entityCol';
    else if (m.singleton(name)) p.kind = 'entity';
    else c.fail(`'${name}' is not an entity set`, c.pos - name.length);
  } else {
    c.fail(`unknown variable ${c.found()}: expected $it, $this or $root`);
  }
  continuePath(c, p);
  return result(c, start, p);
}

/** functionExprParameters: `(name=value, ...)` with values: @alias, JSON, or expressions. */
export function parseFunctionParams(c: Cursor): void {
  c.pos++;
  c.ws();
  if (c.eat(')')) return;
  for (;;) {
    const at = c.pos;
    const name = c.expectIdent('expected a parameter name (name=value)');
    if (!c.model.parameterName(name)) c.fail(`'${name}' is not a parameter of this function`, at);
    c.expect('=', `expected '=' after the parameter name '${name}'`);
    if (c.peek() === '[' || c.peek() === '{') parseJson(c);
    else parseExpr(c, 0, `'${name}='`);
    c.ws();
    if (c.eat(')')) return;
    c.expect(',', "expected ',' or ')' after a function parameter");
    c.ws();
  }
}

/** Without a model `name(...)` after a path may be a key lookup or a function call. */
function parseParensOpen(c: Cursor): void {
  firstOf(c, () => parseKeyPredicate(c), () => parseFunctionParams(c));
}

/** `(1)`, `('a')`, `(@alias)` or `(k1=1,k2='x')` after a collection of entities. */
function parseKeyPredicate(c: Cursor): void {
  c.pos++;
  const value = (): void => {
    if (c.peek() === '@') {
      c.pos++;
      c.expectIdent("expected an alias name after '@'");
    } else {
      const lit = parseLiteral(c);
      if (!lit || lit.type === 'null') c.fail('expected a key value');
    }
  };
  firstOf(c, value, () => {
    do {
      c.expectIdent('expected a key value or key=value');
      c.expect('=', "expected '=' after the key property name");
      value();
    } while (c.eat(','));
  });
  c.expect(')', "expected ')' after the key");
}

function parseLambda(c: Cursor, name: string): void {
  c.pos++;
  c.ws();
  if (name === 'any' && c.eat(')')) return;
  const at = c.pos;
  const v = c.expectIdent(`expected a variable name in ${name}(x: condition), found ${c.found()}`);
  if (!c.model.lambdaVariable(v)) c.fail(`'${v}' cannot be used as a lambda variable name`, at);
  c.ws();
  c.expect(':', `expected ':' after the variable of ${name}(...)`);
  c.ws();
  parseExpr(c, 0, `'${name}(${v}:'`);
  c.ws();
  c.expect(')', `expected ')' to close ${name}(...)`);
}

/** optionallyQualifiedTypeName, for cast/isof. */
export function parseTypeName(c: Cursor): void {
  const at = c.pos;
  if (c.word('Collection', true) && c.peek() === '(') {
    c.pos++;
    c.enter();
    parseTypeName(c);
    c.leave();
    c.expect(')', "expected ')' after the type in Collection(...)");
    return;
  }
  c.pos = at;
  const parts = c.qualifiedName();
  if (parts === null) c.fail('expected a type name');
  const last = parts[parts.length - 1]!;
  const ok = parts.length === 2 && parts[0] === 'Edm'
    ? PRIMITIVE_TYPES.has(last) || SPATIAL.test(last)
    : (parts.length === 1 || c.model.namespace(parts.slice(0, -1))) && c.model.typeName(last) !== undefined;
  if (!ok) c.fail(`'${parts.join('.')}' is not a known type`, at);
}
