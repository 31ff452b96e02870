/**
 * The scanning cursor shared by every option parser.
 *
 * The OData ABNF treats some percent-encoded forms exactly like the plain character
 * (SQUOTE = "'" / "%27", OPEN = "(" / "%28", RWS includes "%20", ...). Values reach us
 * already percent-decoded by the URL layer, but such forms may survive (double-encoded
 * links, hand-written URLs), so the cursor scans a normalised copy `s` in which those
 * encodings are replaced by their character, and maps every index back to the original
 * text (`orig`) so node positions and error positions refer to what the client sent.
 */
import { ODataSyntaxError } from '../ast.ts';
import { type ParserModel, OPEN_MODEL } from './model.ts';

/** Percent-encodings the ABNF accepts in place of the plain punctuation character. */
export const STRUCTURAL: Readonly<Record<string, string>> = {
  '27': "'", '20': ' ', '09': '\t', '28': '(', '29': ')', '2C': ',', '3A': ':', '2B': '+',
  '40': '@', '5B': '[', '5D': ']', '7B': '{', '7D': '}', '22': '"', '2A': '*', '3B': ';',
  '5C': '\\', '23': '#',
};

/** Deepest nesting of expressions / transformations before we refuse (no stack overflow). */
export const MAX_DEPTH = 100;

/** The ABNF's odataIdentifier, as regex source (`u` flag): a letter or `_`, then identifier characters. */
export const IDENTIFIER_SOURCE = '[\\p{L}\\p{Nl}_][\\p{L}\\p{Nl}\\p{Nd}\\p{Mn}\\p{Mc}\\p{Pc}\\p{Cf}]*';
const IDENT = new RegExp(IDENTIFIER_SOURCE, 'uy');
const IDENT_CHAR = /[\p{L}\p{Nl}\p{Nd}\p{Mn}\p{Mc}\p{Pc}\p{Cf}]/u;

export function isIdentChar(ch: string | undefined): boolean {
  return ch !== undefined && ch !== '' && IDENT_CHAR.test(ch);
}

export class Cursor {
  /** Normalised text (structural percent-encodings decoded). */
  readonly s: string;
  /** `map[i]` = offset in the original text of normalised index i (length s.length + 1). */
  private readonly map: number[];
  pos = 0;
  /** Current recursion depth (saved and restored by backtracking). */
  depth = 0;

  constructor(
    readonly text: string,
    readonly option: string,
    readonly model: ParserModel = OPEN_MODEL,
    decode: Readonly<Record<string, string>> = STRUCTURAL,
  ) {
    let out = '';
    const map: number[] = [];
    for (let i = 0; i < text.length; ) {
      if (text[i] === '%' && /^[0-9A-Fa-f]{2}$/.test(text.slice(i + 1, i + 3))) {
        const rep = decode[text.slice(i + 1, i + 3).toUpperCase()];
        if (rep !== undefined) {
          map.push(i);
          out += rep;
          i += 3;
          continue;
        }
      }
      // Keep surrogate pairs together so identifiers with astral letters stay whole.
      const cp = text.codePointAt(i)!;
      const len = cp > 0xffff ? 2 : 1;
      for (let k = 0; k < len; k++) map.push(i + k);
      out += text.slice(i, i + len);
      i += len;
    }
    map.push(text.length);
    this.s = out;
    this.map = map;
  }

  orig(i: number = this.pos): number {
    return this.map[Math.min(i, this.map.length - 1)]!;
  }
  /** Original text between two normalised indexes (for `raw`). */
  rawSlice(from: number, to: number = this.pos): string {
    return this.text.slice(this.orig(from), this.orig(to));
  }

  fail(message: string, at: number = this.pos): never {
    throw new ODataSyntaxError(this.option, this.orig(at), message);
  }

  get atEnd(): boolean {
    return this.pos >= this.s.length;
  }
  peek(offset = 0): string {
    return this.s[this.pos + offset] ?? '';
  }
  eat(ch: string): boolean {
    if (this.s[this.pos] === ch) {
      this.pos++;
      return true;
    }
    return false;
  }
  expect(ch: string, message: string): void {
    if (!this.eat(ch)) this.fail(message);
  }
  /** BWS: optional spaces/tabs. Returns how many were skipped. */
  ws(): number {
    const start = this.pos;
    while (this.s[this.pos] === ' ' || this.s[this.pos] === '\t') this.pos++;
    return this.pos - start;
  }
  /** `ws()` then `eat(ch)`; restores the position when `ch` is not there. */
  wsEat(ch: string): boolean {
    const save = this.pos;
    this.ws();
    if (this.eat(ch)) return true;
    this.pos = save;
    return false;
  }

  /** Does keyword `w` start here, not followed by an identifier character? */
  isWord(w: string, caseSensitive = false, at: number = this.pos): boolean {
    const got = this.s.slice(at, at + w.length);
    if (caseSensitive ? got !== w : got.toLowerCase() !== w.toLowerCase()) return false;
    return !isIdentChar(this.s[at + w.length]);
  }
  word(w: string, caseSensitive = false): boolean {
    if (!this.isWord(w, caseSensitive)) return false;
    this.pos += w.length;
    return true;
  }
  /**
   * RWS keyword RWS-or-end lookahead used for `with`, `as`, `from`, `asc`...: consumes
   * " keyword" when present (not the trailing space), else leaves the cursor alone.
   */
  spacedWord(w: string, caseSensitive = true): boolean {
    const save = this.pos;
    if (this.ws() > 0 && this.word(w, caseSensitive)) return true;
    this.pos = save;
    return false;
  }
  /** RWS then `w`, or a clear error at the place the keyword was expected. */
  expectSpacedWord(w: string, message: string): void {
    if (this.ws() === 0) this.fail(message);
    if (!this.word(w, true)) this.fail(message);
  }
  /** Required whitespace after a keyword. */
  rws(message: string): void {
    if (this.ws() === 0) this.fail(message);
  }

  /** An odataIdentifier at the cursor (consumed), or null. */
  ident(): string | null {
    IDENT.lastIndex = this.pos;
    const m = IDENT.exec(this.s);
    if (!m) return null;
    if ([...m[0]].length > 128) this.fail('names are limited to 128 characters');
    this.pos += m[0].length;
    return m[0];
  }
  expectIdent(message: string): string {
    const id = this.ident();
    if (id === null) this.fail(message);
    return id;
  }
  /** `a.b.c` (consumed) as parts, or null. Stops before a '.' not followed by a name. */
  qualifiedName(): string[] | null {
    const first = this.ident();
    if (first === null) return null;
    const parts = [first];
    while (this.peek() === '.') {
      const save = this.pos;
      this.pos++;
      const next = this.ident();
      if (next === null) {
        this.pos = save;
        break;
      }
      parts.push(next);
    }
    return parts;
  }

  /** Recursion guard: every recursive parse function brackets itself with enter/leave. */
  enter(): void {
    if (++this.depth > MAX_DEPTH) this.fail(`the expression is nested too deeply (more than ${MAX_DEPTH} levels)`);
  }
  leave(): void {
    this.depth--;
  }

  /** A short quote of the text at `at`, for messages ("found 'xyz'"). */
  found(at: number = this.pos): string {
    if (at >= this.s.length) return 'the end of the text';
    const m = /^([\p{L}\p{N}_$@.]+|.)/u.exec(this.s.slice(at, at + 30));
    return `'${m ? m[0] : this.s[at]}'`;
  }
}

/**
 * Try `a`, and if it throws an ODataSyntaxError try `b` from the same position; when both
 * fail, report the failure that got further (what a PEG parser would report).
 */
export function firstOf<T>(c: Cursor, a: () => T, b: () => T): T {
  const start = c.pos;
  const depth = c.depth;
  try {
    return a();
  } catch (ea) {
    if (!(ea instanceof ODataSyntaxError)) throw ea;
    c.pos = start;
    c.depth = depth;
    try {
      return b();
    } catch (eb) {
      if (!(eb instanceof ODataSyntaxError)) throw eb;
      throw eb.pos >= ea.pos ? eb : ea;
    }
  }
}
