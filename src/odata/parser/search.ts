/**
 * $search / search(...) syntax (ABNF searchExpr). semgate does not execute free-text
 * search; this exists so `search(...)` inside $apply (and the conformance test's $search
 * cases) are checked exactly before being refused.
 */
import { Cursor } from './cursor.ts';
import type { ParserModel } from './model.ts';

/** For $search the ABNF keeps %3B, %23, %26 as word characters; only these are structural. */
const SEARCH_DECODE: Readonly<Record<string, string>> = { '20': ' ', '09': '\t', '22': '"', '28': '(', '29': ')', '27': "'" };

const WORD_CHAR = /[\p{L}\p{N}\-._~!*+,:@/?$=]/u;

function wordChar(c: Cursor, at: number): number {
  const ch = c.s[at] ?? '';
  if (ch === '%' && /^%[0-9A-Fa-f]{2}$/.test(c.s.slice(at, at + 3))) return 3;
  return WORD_CHAR.test(ch) ? 1 : 0;
}

/** Can a search term (word, phrase, parenthesis) start at `at`? */
function termStarts(c: Cursor, at: number): boolean {
  const ch = c.s[at] ?? '';
  return ch === '(' || ch === '"' || wordChar(c, at) > 0;
}

/** `op` followed by whitespace and a term: an operator; otherwise it is an ordinary word. */
function operatorAt(c: Cursor, op: string, at: number): number | null {
  if (!c.s.startsWith(op, at)) return null;
  let i = at + op.length;
  if (c.s[i] !== ' ' && c.s[i] !== '\t') return null;
  while (c.s[i] === ' ' || c.s[i] === '\t') i++;
  return termStarts(c, i) ? i : null;
}

function primary(c: Cursor): void {
  if (c.eat('(')) {
    c.ws();
    expr(c);
    c.ws();
    c.expect(')', "expected ')' in the search expression");
    return;
  }
  if (c.peek() === '"') {
    c.pos++;
    const from = c.pos;
    while (c.peek() !== '"' && c.peek() !== '&' && !c.atEnd) c.pos++;
    if (c.pos === from) c.fail('a search phrase cannot be empty');
    c.expect('"', 'this search phrase has no closing double quote');
    return;
  }
  const not = operatorAt(c, 'NOT', c.pos);
  if (not !== null) {
    c.pos = not;
    expr(c);
    return;
  }
  let n = wordChar(c, c.pos);
  if (n === 0) c.fail(`expected a search word or "phrase", found ${c.found()}`);
  while (n > 0 || c.peek() === "'") {
    c.pos += n || 1;
    n = wordChar(c, c.pos);
  }
}

/**
 * Deterministic (no backtracking, so no exponential blow-up): after a term, whitespace
 * followed by `OR`/`AND` and another term is an operator, anything else starting a term is
 * an implicit AND (where AND/OR/NOT are plain words, as the ABNF test cases require).
 */
function expr(c: Cursor): void {
  c.enter();
  try {
    primary(c);
    const save = c.pos;
    if (c.ws() === 0) return;
    const next = operatorAt(c, 'OR', c.pos) ?? operatorAt(c, 'AND', c.pos);
    if (next !== null) c.pos = next;
    else if (!termStarts(c, c.pos)) {
      c.pos = save;
      return;
    }
    expr(c);
  } finally {
    c.leave();
  }
}

/** searchExpr or the single-quoted searchExpr-incomplete form, at the cursor. */
export function parseSearchExpr(c: Cursor, inParens: boolean): void {
  if (c.peek() === "'") {
    const start = c.pos;
    c.pos++;
    for (;;) {
      const q = c.s.indexOf("'", c.pos);
      if (q < 0) c.fail('this quoted search text has no closing quote', start);
      c.pos = q + 1;
      if (c.peek() !== "'") break;
      c.pos++;
    }
    return;
  }
  expr(c);
  if (inParens) c.ws();
}

export function parseSearch(text: string, opts: { model?: ParserModel; option?: string } = {}): void {
  const c = new Cursor(text, opts.option ?? '$search', opts.model, SEARCH_DECODE);
  c.ws();
  parseSearchExpr(c, false);
  if (!c.atEnd) c.fail(`unexpected ${c.found()} in the search expression`);
}
