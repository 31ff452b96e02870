/**
 * $apply: transformations separated by '/'. aggregate, groupby and filter become typed
 * nodes; the other transformations of the aggregation ABNF (compute, concat, nest,
 * addnested, join, outerjoin, top/bottom*, top, skip, orderby, search, identity,
 * ancestors, descendants, traverse, Namespace.customFunction(...)) are parsed exactly and
 * returned as `{ kind: 'other', what }`.
 */
import type { AggregateItem, PropertyRef, Transformation } from '../ast.ts';
import { type Cursor, firstOf } from './cursor.ts';
import { isCollection } from './model.ts';
import { parseExpr } from './expr.ts';
import { parseFunctionParams, parseVariable } from './paths.ts';
import { parseAggrPath, parseAggregateItem, parseGroupingPath } from './aggregate.ts';
import { parseOrderByItems } from './options.ts';
import { parseSearchExpr } from './search.ts';

const PRESERVING = new Set([
  'bottomcount', 'bottompercent', 'bottomsum', 'filter', 'identity', 'orderby', 'search', 'skip', 'top', 'topcount',
  'toppercent', 'topsum', 'ancestors', 'descendants', 'traverse',
]);
const ALL = new Set([...PRESERVING, 'aggregate', 'compute', 'concat', 'groupby', 'join', 'outerjoin', 'nest', 'addnested']);

/** applyExpr: trafo *( "/" trafo ). */
export function parseApplyExpr(c: Cursor, preservingOnly = false): Transformation[] {
  c.enter();
  try {
    const out = [parseTrafo(c, preservingOnly)];
    while (c.peek() === '/') {
      c.pos++;
      out.push(parseTrafo(c, preservingOnly));
    }
    return out;
  } finally {
    c.leave();
  }
}

function open(c: Cursor, name: string): void {
  c.expect('(', `expected '(' after ${name}`);
  c.ws();
}
function close(c: Cursor, name: string): void {
  c.ws();
  c.expect(')', `expected ')' to close ${name}(...)`);
}
function comma(c: Cursor, what: string): void {
  c.ws();
  c.expect(',', `expected ',' and ${what}`);
  c.ws();
}
function alias(c: Cursor): void {
  c.expectSpacedWord('as', "expected 'as' and a name");
  c.rws("expected a space after 'as'");
  c.expectIdent("expected a name after 'as'");
}

function parseTrafo(c: Cursor, preservingOnly: boolean): Transformation {
  const start = c.pos;
  const pos = c.orig(start);
  const parts = c.qualifiedName();
  const known = `expected a transformation such as groupby((...)), aggregate(...) or filter(...)`;
  if (parts === null) c.fail(`${known}, found ${c.found()}`);
  const name = parts.join('.');
  if (parts.length > 1) {
    // customFunction: Namespace.Function(...) returning a collection
    const fn = c.model.namespace(parts.slice(0, -1)) ? c.model.func(parts[parts.length - 1]!, true) : undefined;
    if (fn === undefined || !(isCollection(fn) || fn === 'unknown') || c.peek() !== '(') c.fail(`'${name}' is not a known transformation or function`, start);
    parseFunctionParams(c);
    return { kind: 'other', what: `function ${name}`, pos };
  }
  if (!ALL.has(name) || (preservingOnly && !PRESERVING.has(name))) {
    c.fail(preservingOnly && ALL.has(name) ? `${name} is not allowed here` : `unknown transformation '${name}': ${known}`, start);
  }
  if (name === 'identity') return { kind: 'other', what: 'identity', pos };
  open(c, name);
  switch (name) {
    case 'aggregate': {
      const items: (AggregateItem | null)[] = [];
      do {
        c.ws();
        items.push(parseAggregateItem(c, true));
      } while (c.wsEat(','));
      close(c, name);
      return items.every((i) => i !== null)
        ? { kind: 'aggregate', items: items as AggregateItem[], pos }
        : { kind: 'other', what: 'aggregate with paths, type casts, path/$count or from', pos };
    }
    case 'groupby': {
      c.expect('(', "expected '(' and the grouping properties, e.g. groupby((Region,Year))");
      const props: PropertyRef[] = [];
      let plain = true;
      do {
        c.ws();
        if (c.isWord('rollup', true) || c.isWord('rolluprecursive', true)) {
          parseRollup(c);
          plain = false;
        } else {
          const g = parseGroupingPath(c);
          plain &&= g.plain;
          props.push(g.ref);
        }
      } while (c.wsEat(','));
      c.ws();
      c.expect(')', "expected ',' or ')' after the grouping properties");
      const then = c.wsEat(',') ? (c.ws(), parseApplyExpr(c)) : [];
      close(c, name);
      return plain ? { kind: 'groupby', properties: props, then, pos } : { kind: 'other', what: 'groupby with rollup or type casts', pos };
    }
    case 'filter': {
      const expr = parseExpr(c, 0, "'filter('");
      close(c, name);
      return { kind: 'filter', expr, pos };
    }
    case 'compute':
      do {
        c.ws();
        parseExpr(c, 0, "'compute('");
        alias(c);
      } while (c.wsEat(','));
      break;
    case 'concat':
      parseApplyExpr(c);
      comma(c, 'at least two transformation sequences in concat(...)');
      parseApplyExpr(c);
      while (c.wsEat(',')) (c.ws(), parseApplyExpr(c));
      break;
    case 'nest':
      parseNestList(c);
      break;
    case 'addnested':
      parseAggrPath(c);
      comma(c, 'the transformations to nest');
      parseNestList(c);
      break;
    case 'join':
    case 'outerjoin': {
      const at = c.pos;
      const path = parseAggrPath(c);
      if (!c.model.open && !isCollection(path.kind) && path.kind !== 'unknown') c.fail(`${name} needs a collection-valued property`, at);
      alias(c);
      if (c.wsEat(',')) (c.ws(), parseApplyExpr(c));
      break;
    }
    case 'top':
    case 'skip':
      if (!/\d/.test(c.peek())) c.fail(`expected a non-negative whole number in ${name}(...)`);
      while (/\d/.test(c.peek())) c.pos++;
      break;
    case 'orderby':
      parseOrderByItems(c);
      break;
    case 'search':
      parseSearchExpr(c, true);
      break;
    case 'ancestors':
    case 'descendants':
      parseRecHierReference(c);
      comma(c, 'the transformations that select the start nodes');
      parseApplyExpr(c, true);
      if (c.wsEat(',')) {
        c.ws();
        if (/\d/.test(c.peek())) {
          while (/\d/.test(c.peek())) c.pos++;
          if (c.wsEat(',')) (c.ws(), keepStart(c));
        } else keepStart(c);
      }
      break;
    case 'traverse':
      parseRecHierReference(c);
      comma(c, 'preorder or postorder');
      if (!c.word('preorder', true) && !c.word('postorder', true)) c.fail("expected 'preorder' or 'postorder'");
      if (c.wsEat(',')) {
        c.ws();
        firstOf(
          c,
          () => {
            parseApplyExpr(c, true);
            if (c.wsEat(',')) (c.ws(), parseOrderByItems(c));
          },
          () => parseOrderByItems(c),
        );
      }
      break;
    default: // topcount, topsum, toppercent, bottomcount, bottomsum, bottompercent
      parseExpr(c, 0, `'${name}('`);
      comma(c, `the value expression of ${name}`);
      parseExpr(c, 0, `'${name}('`);
  }
  close(c, name);
  return { kind: 'other', what: name, pos };
}

function keepStart(c: Cursor): void {
  if (!c.word('keep', true) || !c.eat(' ') || !c.word('start', true)) c.fail("expected a number (the maximum distance) or 'keep start'");
}

function parseNestList(c: Cursor): void {
  do {
    c.ws();
    parseApplyExpr(c);
    alias(c);
  } while (c.wsEat(','));
}

/** rootExpr, hierarchy qualifier, node property path. */
function parseRecHierReference(c: Cursor): void {
  if (!c.isWord('$root', true)) c.fail('expected $root/ and the entity set of the hierarchy');
  parseVariable(c);
  comma(c, 'the hierarchy qualifier');
  c.expectIdent('expected the hierarchy qualifier');
  comma(c, 'the node property path');
  const path = parseAggrPath(c);
  if (path.count) c.fail('expected the node property path');
}

function parseRollup(c: Cursor): void {
  const recursive = c.word('rolluprecursive', true);
  if (!recursive) c.word('rollup', true);
  open(c, recursive ? 'rolluprecursive' : 'rollup');
  if (recursive) {
    parseRecHierReference(c);
    if (c.wsEat(',')) (c.ws(), parseApplyExpr(c, true));
  } else {
    firstOf(
      c,
      () => {
        parseGroupingPath(c);
        comma(c, 'at least two properties in rollup(...)');
        parseGroupingPath(c);
        while (c.wsEat(',')) (c.ws(), parseGroupingPath(c));
        c.ws();
        if (c.peek() !== ')') c.fail("expected ')' to close rollup(...)");
      },
      () => c.expectIdent('expected the grouping properties or the hierarchy name of rollup(...)'),
    );
  }
  close(c, 'rollup');
}
