/**
 * OData v4 system query option parsers. Each takes one option's value (already
 * percent-decoded by the URL layer; the ABNF's encoded punctuation such as %27 or %20 is
 * still accepted) and returns the AST of ../ast.ts, or throws ODataSyntaxError with the
 * 0-based offset in that value where parsing failed. Nothing else is ever thrown.
 */
import {
  type Expr, type ODataQueryOptions, type OrderByItem, type SelectItem, type Transformation, ODataSyntaxError,
} from '../ast.ts';
import { Cursor } from './cursor.ts';
import type { ParserModel } from './model.ts';
import { parseExpr } from './expr.ts';
import { parseApplyExpr } from './apply.ts';
import { parseComputeItems, parseCount, parseOrderByItems, parseSelectItems } from './options.ts';

export { ODataSyntaxError } from '../ast.ts';
export type { ParserModel, ValueKind, TypeKind } from './model.ts';
export { OPEN_MODEL } from './model.ts';
export { parseSearch } from './search.ts';

/** Prefix of the message used when something other than a syntax error escaped the parser. */
export const INTERNAL = 'internal parser error';

export interface ParseOptions {
  /** Resolves grammar ambiguities against a model (the conformance tests); default: none. */
  readonly model?: ParserModel;
  /** Option name used in errors, e.g. `filter` when the client left out the `$`. */
  readonly option?: string;
}

/** Options semgate refuses with "not supported" (rather than ignoring them silently). */
export const UNSUPPORTED_OPTIONS: readonly string[] = [
  'expand', 'search', 'compute', 'format', 'levels', 'index', 'schemaversion', 'deltatoken', 'id', 'inlinecount',
];
const SUPPORTED = ['filter', 'orderby', 'select', 'apply', 'top', 'skip', 'count', 'skiptoken'];

/**
 * Run `body` on a cursor over `text`, require that it consumes everything, and turn any
 * unexpected exception into an ODataSyntaxError (a parser bug must not become a 500).
 */
function run<T>(text: string, option: string, opts: ParseOptions, trailing: string, body: (c: Cursor) => T): T {
  const c = new Cursor(text, opts.option ?? option, opts.model);
  try {
    if (c.atEnd) c.fail(`${c.option} is empty`);
    if (c.peek() === ' ' || c.peek() === '\t') c.fail(`${c.option} must not start with a space`);
    const out = body(c);
    if (!c.atEnd) {
      const at = c.pos;
      c.ws();
      if (c.atEnd) c.fail(`unexpected space at the end of ${c.option}`, at);
      c.fail(`unexpected ${c.found()}: expected ${trailing.replace('$OPT', c.option)}`);
    }
    return out;
  } catch (e) {
    if (e instanceof ODataSyntaxError) throw e;
    // A bug (or a RangeError from an engine stack smaller than MAX_DEPTH needs) must still
    // reach the client as a 400 naming the option, never as a 500. The fuzz test asserts
    // this branch is never taken.
    throw new ODataSyntaxError(c.option, c.orig(), `${INTERNAL} while reading ${c.option}: ${e instanceof Error ? e.message : String(e)}`);
  }
}

export function parseFilter(text: string, opts: ParseOptions = {}): Expr {
  return run(text, '$filter', opts, "an operator such as 'eq' or 'and', or the end of $OPT", (c) => parseExpr(c, 0));
}

export function parseOrderBy(text: string, opts: ParseOptions = {}): OrderByItem[] {
  return run(text, '$orderby', opts, "an operator, 'asc', 'desc', ',' or the end of $OPT", (c) => parseOrderByItems(c));
}

export function parseSelect(text: string, opts: ParseOptions = {}): SelectItem[] {
  return run(text, '$select', opts, "',' or the end of $OPT", (c) => parseSelectItems(c));
}

export function parseApply(text: string, opts: ParseOptions = {}): Transformation[] {
  return run(text, '$apply', opts, "'/' and another transformation, or the end of $OPT", (c) => parseApplyExpr(c));
}

export function parseTop(text: string, opts: ParseOptions = {}): number {
  return run(text, '$top', opts, 'a non-negative whole number for $OPT', (c) => parseCount(c, opts.option ?? '$top'));
}

export function parseSkip(text: string, opts: ParseOptions = {}): number {
  return run(text, '$skip', opts, 'a non-negative whole number for $OPT', (c) => parseCount(c, opts.option ?? '$skip'));
}

/** $compute syntax (semgate refuses $compute; exported for the conformance test). */
export function parseCompute(text: string, opts: ParseOptions = {}): void {
  run(text, '$compute', opts, "',' or the end of $OPT", (c) => parseComputeItems(c));
}

/**
 * All system query options of a request. `$` is optional (OData 4.01) and names are
 * case-insensitive; giving one twice is an error; options semgate does not support are
 * refused by name; custom options (no `$`, not a system option name) and parameter alias
 * values (`@p=...`) are ignored here.
 */
export function parseQueryOptions(search: URLSearchParams, opts: { model?: ParserModel } = {}): ODataQueryOptions {
  const seen = new Map<string, string>();
  const value = new Map<string, [string, string]>();
  for (const [key, val] of search) {
    if (key.startsWith('@')) continue;
    const name = (key.startsWith('$') ? key.slice(1) : key).toLowerCase();
    const known = SUPPORTED.includes(name) || UNSUPPORTED_OPTIONS.includes(name);
    if (!known) {
      if (key.startsWith('$')) throw new ODataSyntaxError(key, 0, `unknown system query option ${key}`);
      continue;
    }
    if (seen.has(name)) throw new ODataSyntaxError(key, 0, `${key} is given twice (also as ${seen.get(name)})`);
    seen.set(name, key);
    if (name === 'format') {
      if (!/^(json|application\/json(;.*)?)$/i.test(val)) {
        throw new ODataSyntaxError(key, 0, `${key}=${val} is not supported: semgate only returns JSON`);
      }
      continue;
    }
    if (UNSUPPORTED_OPTIONS.includes(name)) {
      throw new ODataSyntaxError(key, 0, `${key} is not supported by semgate (supported: ${SUPPORTED.map((s) => '$' + s).join(', ')})`);
    }
    value.set(name, [key, val]);
  }
  const get = <T>(name: string, f: (text: string, o: ParseOptions) => T): T | null => {
    const v = value.get(name);
    return v ? f(v[1], { model: opts.model, option: v[0] }) : null;
  };
  const count = value.get('count');
  if (count && !/^(true|false)$/i.test(count[1])) throw new ODataSyntaxError(count[0], 0, `${count[0]} must be true or false`);
  const skiptoken = value.get('skiptoken');
  if (skiptoken && skiptoken[1] === '') throw new ODataSyntaxError(skiptoken[0], 0, `${skiptoken[0]} is empty`);
  return {
    filter: get('filter', parseFilter),
    orderby: get('orderby', parseOrderBy) ?? [],
    select: get('select', parseSelect),
    apply: get('apply', parseApply),
    top: get('top', parseTop),
    skip: get('skip', parseSkip),
    count: count ? count[1].toLowerCase() === 'true' : false,
    skiptoken: skiptoken ? skiptoken[1] : null,
  };
}
