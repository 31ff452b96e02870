/**
 * JSON arrays and objects in URLs (ABNF section 5, arrayOrObject): `["a","b"]` after `in`,
 * JSON values of function parameters. `%5B`, `%7B`, `%22`, `%5C` forms are handled by the
 * cursor's normalisation; `\%2F` is the one escape only spelled out here.
 */
import type { Expr } from '../ast.ts';
import type { Cursor } from './cursor.ts';
import { parseExpr } from './expr.ts';

/** JSON array/object (arrayOrObject). `items` = the array's elements as expressions, when all were. */
export function parseJson(c: Cursor): { node: Expr; items?: Expr[] } {
  c.enter();
  try {
    const start = c.pos;
    const isArray = c.peek() === '[';
    const close = isArray ? ']' : '}';
    c.pos++;
    c.ws();
    const items: Expr[] = [];
    if (!c.eat(close)) {
      for (;;) {
        if (!isArray) {
          parseJsonString(c);
          c.ws();
          c.expect(':', "expected ':' after the member name of a JSON object");
          c.ws();
        }
        if (c.peek() === '"') items.push(parseJsonString(c));
        else if (c.peek() === '[' || c.peek() === '{') items.push(parseJson(c).node);
        else items.push(parseExpr(c, 0, isArray ? "'['" : "':'"));
        c.ws();
        if (c.eat(close)) break;
        c.expect(',', `expected ',' or '${close}' in the JSON ${isArray ? 'array' : 'object'}`);
        c.ws();
      }
    }
    const node: Expr = { kind: 'other', what: isArray ? 'JSON array' : 'JSON object', pos: c.orig(start) };
    return isArray ? { node, items } : { node };
  } finally {
    c.leave();
  }
}

function parseJsonString(c: Cursor): Expr {
  const start = c.pos;
  c.expect('"', 'expected a double-quoted JSON string');
  let value = '';
  for (;;) {
    const ch = c.peek();
    if (ch === '' ) c.fail('this JSON string has no closing double quote', start);
    c.pos++;
    if (ch === '"') break;
    if (ch === '\\') {
      const e = c.peek();
      const simple: Record<string, string> = { '"': '"', '\\': '\\', '/': '/', b: '\b', f: '\f', n: '\n', r: '\r', t: '\t' };
      if (c.s.slice(c.pos, c.pos + 3).toUpperCase() === '%2F') {
        c.pos += 3;
        value += '/';
      } else if (simple[e] !== undefined) {
        c.pos++;
        value += simple[e];
      } else if (e === 'u' && /^[0-9A-Fa-f]{4}$/.test(c.s.slice(c.pos + 1, c.pos + 5))) {
        value += String.fromCharCode(parseInt(c.s.slice(c.pos + 1, c.pos + 5), 16));
        c.pos += 5;
      } else c.fail('invalid escape sequence in a JSON string');
    } else value += ch;
  }
  return { kind: 'literal', type: 'string', value, raw: c.rawSlice(start), pos: c.orig(start) };
}
