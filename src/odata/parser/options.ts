/**
 * $orderby, $select, $top/$skip, $compute and the `(opt=...;opt=...)` option lists nested
 * in $select / `/$count(...)`, all on a Cursor so they can be embedded in one another.
 */
import type { OrderByItem, SelectItem } from '../ast.ts';
import type { Cursor } from './cursor.ts';
import { parseExpr } from './expr.ts';
import { parseSearchExpr } from './search.ts';

/** orderbyItem *( COMMA orderbyItem ); spaces around commas are tolerated. */
export function parseOrderByItems(c: Cursor): OrderByItem[] {
  const items: OrderByItem[] = [];
  do {
    c.ws();
    const expr = parseExpr(c, 0);
    const save = c.pos;
    let direction: 'asc' | 'desc' = 'asc';
    if (c.ws() > 0 && (c.isWord('asc') || c.isWord('desc'))) {
      direction = c.isWord('asc') ? 'asc' : 'desc';
      c.pos += direction.length;
    } else c.pos = save;
    items.push({ expr, direction });
  } while (c.wsEat(','));
  return items;
}

export function parseComputeItems(c: Cursor): void {
  do {
    c.ws();
    parseExpr(c, 0);
    c.expectSpacedWord('as', "expected 'as' and a name for the computed value");
    c.rws("expected a space after 'as'");
    c.expectIdent("expected a name after 'as'");
  } while (c.wsEat(','));
}

/** A whole-number option value (top, skip). `at` is where the digits start. */
export function parseCount(c: Cursor, what: string): number {
  const start = c.pos;
  while (/\d/.test(c.peek())) c.pos++;
  if (c.pos === start) c.fail(`${what} must be a non-negative whole number, found ${c.found()}`);
  const n = Number(c.s.slice(start, c.pos));
  if (!Number.isSafeInteger(n)) c.fail(`${what} is too large`, start);
  return n;
}

/** `(name=value;name=value)` lists: nested $select options and `/$count(...)`. */
export function parseNestedOptions(c: Cursor, allowed: readonly string[]): void {
  c.expect('(', "expected '('");
  c.enter(); // $select=a($select=b($select=...)) recurses through here
  try {
    parseOptionList(c, allowed);
  } finally {
    c.leave();
  }
}

function parseOptionList(c: Cursor, allowed: readonly string[]): void {
  const seen = new Set<string>();
  do {
    const at = c.pos;
    if (c.peek() === '@' && allowed.includes('alias')) {
      c.pos++;
      c.expectIdent("expected a name after '@'");
      c.expect('=', "expected '=' after the alias name");
      parseExpr(c, 0);
      continue;
    }
    c.eat('$');
    const name = (c.ident() ?? '').toLowerCase();
    if (!allowed.includes(name)) c.fail(`expected one of ${allowed.filter((a) => a !== 'alias').map((a) => '$' + a).join(', ')}`, at);
    if (seen.has(name)) c.fail(`$${name} is given twice`, at);
    seen.add(name);
    c.expect('=', `expected '=' after $${name}`);
    switch (name) {
      case 'filter': parseExpr(c, 0); break;
      case 'orderby': parseOrderByItems(c); break;
      case 'select': parseSelectItems(c); break;
      case 'compute': parseComputeItems(c); break;
      case 'search': parseSearchExpr(c, true); break;
      case 'count':
        if (!c.word('true') && !c.word('false')) c.fail('$count must be true or false');
        break;
      default: parseCount(c, `$${name}`); // top, skip
    }
  } while (c.eat(';'));
  c.expect(')', "expected ';' or ')' after the nested option");
}

const SELECT_OPTIONS = ['filter', 'search', 'count', 'orderby', 'skip', 'top', 'compute', 'select', 'alias'];

/** selectItem *( COMMA selectItem ). Plain property paths and `*` are typed; the rest is `other`. */
export function parseSelectItems(c: Cursor): SelectItem[] {
  const items: SelectItem[] = [];
  do {
    c.ws();
    items.push(parseSelectItem(c));
  } while (c.wsEat(','));
  return items;
}

function parseSelectItem(c: Cursor): SelectItem {
  const m = c.model;
  const start = c.pos;
  const pos = c.orig(start);
  if (c.eat('*')) return { kind: 'star', pos };
  const segs: string[] = [];
  let what: string | null = null;
  for (;;) {
    const at = c.pos;
    if (c.eat('@')) {
      const parts = c.qualifiedName();
      if (parts === null) c.fail("expected an annotation name after '@'");
      if (c.eat('#')) c.expectIdent("expected a qualifier after '#'");
      what ??= 'annotation';
      if (c.peek() === '(') parseNestedOptions(c, SELECT_OPTIONS);
      if (c.peek() === '/') {
        c.pos++;
        continue;
      }
      break;
    }
    const parts = c.qualifiedName();
    if (parts === null) c.fail(`expected a property name or '*', found ${c.found()}`);
    const name = parts[parts.length - 1]!;
    if (c.peek() === '.' && c.peek(1) === '*') {
      c.pos += 2;
      what ??= 'all operations of a schema';
      break;
    }
    const prop = parts.length === 1 ? m.property(name) : undefined;
    const type = prop === undefined ? m.typeName(name) : undefined;
    const isType = prop === undefined && (parts.length > 1 || type === 'entity' || type === 'complex');
    if (isType && c.peek() === '/') {
      what ??= 'type cast';
      c.pos++;
      continue;
    }
    // selectPath: a complex property may end with a cast to a derived complex type.
    if (isType && segs.length > 0 && c.peek() !== '(' && (m.open || type === 'complex')) {
      what ??= 'type cast';
      break;
    }
    if (prop === undefined) {
      // An action or function (optionally with its parameter names).
      const isOp = m.open ? parts.length > 1 || c.peek() === '(' : m.action(name) || m.func(name, parts.length > 1) !== undefined;
      if (!isOp || (parts.length > 1 && !m.namespace(parts.slice(0, -1)))) c.fail(`'${parts.join('.')}' is not a known property`, at);
      if (c.peek() === '(' && !looksLikeOptions(c)) parameterNames(c);
      what ??= 'action or function';
      break;
    }
    segs.push(name);
    if (c.peek() === '(' && looksLikeOptions(c)) {
      parseNestedOptions(c, SELECT_OPTIONS);
      what ??= 'nested select options';
      break;
    }
    if (c.peek() === '(' && m.open) {
      parameterNames(c);
      what ??= 'action or function';
      break;
    }
    if (c.peek() !== '/') break;
    if (prop === 'prim' || prop === 'primCol' || prop === 'entity' || prop === 'entityCol' || prop === 'stream') {
      c.fail(`'${segs.join('/')}' has no properties to select`);
    }
    c.pos++;
  }
  return what === null ? { kind: 'property', path: segs, pos } : { kind: 'other', what, pos };
}

/** `Name(` followed by `$opt=` / `opt=` / `@x=`: nested options, not parameter names. */
function looksLikeOptions(c: Cursor): boolean {
  return /^\((?:\$|@|[A-Za-z]+=)/.test(c.s.slice(c.pos, c.pos + 20));
}

/** `(a,b)` after an action or function name in $select: its parameter names. */
function parameterNames(c: Cursor): void {
  c.pos++;
  do c.expectIdent('expected a parameter name');
  while (c.eat(','));
  c.expect(')', "expected ')' after the parameter names");
}
