/**
 * Primitive literals of the OData URL syntax (ABNF section 7): null, booleans, numbers,
 * INF/NaN, dates, dateTimeOffsets, times of day, durations, GUIDs, binary, strings, enum
 * and geo literals. `parseLiteral` returns null when no literal starts at the cursor
 * (cursor unchanged) and throws once the text is clearly a literal that is malformed.
 */
import type { Literal, LiteralType } from '../ast.ts';
import { type Cursor, IDENTIFIER_SOURCE, isIdentChar } from './cursor.ts';

const DATE = /-?(?:0\d{3}|[1-9]\d{3,})-(?:0[1-9]|1[0-2])-(?:0[1-9]|[12]\d|3[01])/y;
const TIME = /(?:[01]\d|2[0-3]):[0-5]\d(?::(?:[0-5]\d|60)(?:\.\d{1,12})?)?/y;
const ZONE = /Z|[+-](?:[01]\d|2[0-3]):[0-5]\d/iy;
const NUMBER = /[+-]?\d+(\.\d+)?([eE][+-]?\d+)?/y;
const GUID_START = /[0-9A-Fa-f]{8}-[0-9A-Fa-f]{4}-/y;
const GUID_SHAPE = 'hhhhhhhh-hhhh-hhhh-hhhh-hhhhhhhhhhhh';
const PREFIXED = /(duration|binary|geography|geometry)'/iy;
/** OData v2 prefixes (SAP's and other v2-era clients write them): read as the v4 literal they mean. */
const V2_PREFIXED = /(datetimeoffset|datetime|guid|time)'/iy;
/** v2 type suffixes of numbers: L Int64, M Decimal, D Double, F Single (either case). */
const V2_SUFFIX = /[LlMmDdFf]/y;
const V2_TIME = /^P(?:(\d+)D)?T(?:(\d+)H)?(?:(\d+)M)?(?:(\d+)(\.\d+)?S)?$/i;
const DURATION = /^-?P(?:\d+D)?(?:T(?:\d+H)?(?:\d+M)?(?:\d+(?:\.\d+)?S)?)?$/;
const BASE64URL = /^(?:[A-Za-z0-9_-]{4})*(?:[A-Za-z0-9_-]{2}[AEIMQUYcgkosw048]=?|[A-Za-z0-9_-][AQgw](?:==)?)?$/;
const ENUM_MEMBER = new RegExp(`(?:${IDENTIFIER_SOURCE}|[+-]?\\d{1,19})`, 'uy');
const ENUM_VALUE = new RegExp(`^(?:${IDENTIFIER_SOURCE}|[+-]?\\d{1,19}|%2B\\d{1,19})$`, 'u');

function sticky(re: RegExp, s: string, at: number): string | null {
  re.lastIndex = at;
  const m = re.exec(s);
  return m ? m[0] : null;
}

function lit(c: Cursor, start: number, type: LiteralType, value: Literal['value']): Literal {
  return { kind: 'literal', type, value, raw: c.rawSlice(start), pos: c.orig(start) };
}

/** A decimal's value as a number when the double represents it exactly, else its text. */
function decimalValue(text: string): number | string {
  const n = Number(text);
  const norm = (t: string): string => {
    let [i = '', f = ''] = t.replace(/^[+-]/, '').split('.');
    i = i.replace(/^0+(?=\d)/, '');
    f = f.replace(/0+$/, '');
    const neg = t.startsWith('-') && /[1-9]/.test(i + f);
    return (neg ? '-' : '') + i + (f ? '.' + f : '');
  };
  const s = String(n);
  return !/e/i.test(s) && norm(s) === norm(text) ? n : text;
}

export function parseLiteral(c: Cursor): Literal | null {
  const s = c.s;
  const start = c.pos;
  const ch = s[start] ?? '';
  if (ch === "'") return parseString(c);
  if (isIdentChar(ch) || ch === '-') {
    for (const [w, type, value, cs] of [
      ['null', 'null', null, true], ['true', 'boolean', true, false], ['false', 'boolean', false, false],
      ['INF', 'double', Infinity, true], ['-INF', 'double', -Infinity, true], ['NaN', 'double', NaN, true],
    ] as const) {
      if (c.isWord(w, cs) && s[start + w.length] !== '.' && s[start + w.length] !== "'") {
        c.pos += w.length;
        return lit(c, start, type, value);
      }
    }
    const prefix = sticky(PREFIXED, s, start);
    if (prefix !== null) return parsePrefixed(c, prefix.slice(0, -1).toLowerCase());
    const v2 = sticky(V2_PREFIXED, s, start);
    if (v2 !== null) return parseV2Prefixed(c, v2.slice(0, -1).toLowerCase());
  }
  if (sticky(GUID_START, s, start) !== null) return parseGuid(c);
  if (!/[0-9+-]/.test(ch)) return null;

  const date = sticky(DATE, s, start);
  if (date !== null) {
    c.pos = start + date.length;
    if ((s[c.pos] === 'T' || s[c.pos] === 't') && /\d/.test(s[c.pos + 1] ?? '')) {
      c.pos++;
      const time = sticky(TIME, s, c.pos);
      if (time === null) c.fail('expected a time of day (hh:mm or hh:mm:ss) after the T of this date-time', c.pos);
      c.pos += time.length;
      const zone = sticky(ZONE, s, c.pos);
      if (zone === null) c.fail("a date-time needs a time zone: add 'Z' (UTC) or an offset such as +01:00");
      c.pos += zone.length;
      return lit(c, start, 'dateTimeOffset', s.slice(start, c.pos));
    }
    return lit(c, start, 'date', date);
  }
  if (/^-?\d{4,}-\d\d-\d\d/.test(s.slice(start, start + 24))) {
    c.fail('invalid date: expected YYYY-MM-DD with month 01-12 and day 01-31');
  }
  const time = /\d\d:/y.test(s.slice(start, start + 3)) ? sticky(TIME, s, start) : null;
  if (time !== null) {
    c.pos = start + time.length;
    return lit(c, start, 'timeOfDay', time);
  }
  NUMBER.lastIndex = start;
  const m = NUMBER.exec(s);
  if (!m) return null;
  c.pos = start + m[0].length;
  const text = m[0];
  const suffix = sticky(V2_SUFFIX, s, c.pos);
  if (suffix !== null && !isIdentChar(s[c.pos + 1])) return v2Number(c, start, text, suffix.toUpperCase(), m[1] !== undefined, m[2] !== undefined);
  if (m[2] !== undefined) return lit(c, start, 'double', Number(text));
  if (m[1] !== undefined) return lit(c, start, 'decimal', decimalValue(text));
  const digits = text.replace(/^[+-]/, '').length;
  const n = Number(text);
  if (digits > 19 || BigInt(text.replace(/^\+/, '')) > 9223372036854775807n || BigInt(text.replace(/^\+/, '')) < -9223372036854775808n) {
    return lit(c, start, 'decimal', decimalValue(text));
  }
  return lit(c, start, 'int', Number.isSafeInteger(n) ? n : text.replace(/^\+/, ''));
}

/**
 * A number with a v2 type suffix (`21L`, `1.5M`, `2.0d`, `2.0f`) as the v4 literal it means;
 * a suffix that contradicts the number (`1.5L`, `1e3M`) or a value beyond the type is an error.
 */
function v2Number(c: Cursor, start: number, text: string, suffix: string, fraction: boolean, exponent: boolean): Literal {
  const at = c.pos;
  c.pos++;
  const legacy = (l: Literal): Literal => ({ ...l, legacy: suffix });
  if (suffix === 'D' || suffix === 'F') return legacy(lit(c, start, 'double', Number(text)));
  if (suffix === 'M') {
    if (exponent) c.fail(`'${text}${c.s[at]}' is ambiguous: a v2 Decimal (M) has no exponent; write ${text} (a v4 Double) or the decimal digits`, at);
    return legacy(lit(c, start, 'decimal', decimalValue(text)));
  }
  if (fraction || exponent) c.fail(`'${text}${c.s[at]}' is ambiguous: a v2 Int64 (L) is a whole number; write ${text} without the L`, at);
  const big = BigInt(text.replace(/^\+/, ''));
  if (big > 9223372036854775807n || big < -9223372036854775808n) c.fail(`'${text}${c.s[at]}' is beyond the range of an Int64 (L)`, start);
  const n = Number(big);
  return legacy(lit(c, start, 'int', Number.isSafeInteger(n) ? n : big.toString()));
}

/**
 * `datetime'2024-01-01T00:00[:00[.fff]]'` (v2 Edm.DateTime: no zone, read as UTC, the way
 * semgate reads a timestamp without a zone), `datetimeoffset'...'`, `guid'...'` and
 * `time'PT13H20M'` (v2 Edm.Time, a time of day written as a duration; `time'13:20'` too).
 */
function parseV2Prefixed(c: Cursor, prefix: string): Literal {
  const start = c.pos;
  c.pos += prefix.length + 1;
  const bodyAt = c.pos;
  const body = quotedBody(c, prefix);
  const legacy = (type: LiteralType, value: string): Literal => ({ ...lit(c, start, type, value), legacy: prefix });
  const whole = (re: RegExp, text: string): boolean => sticky(re, text, 0)?.length === text.length;
  if (prefix === 'guid') {
    if (!/^[0-9A-Fa-f]{8}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{12}$/.test(body)) {
      c.fail("malformed GUID: expected guid'01234567-89ab-cdef-0123-456789abcdef'", bodyAt);
    }
    return legacy('guid', body);
  }
  if (prefix === 'time') {
    if (whole(TIME, body)) return legacy('timeOfDay', body.length === 5 ? `${body}:00` : body);
    const m = V2_TIME.exec(body);
    if (!m) c.fail("malformed time: expected a time of day such as time'PT13H20M' or time'13:20:00'", bodyAt);
    const [d, h, mi, sec] = [m[1], m[2], m[3], m[4]].map((x) => Number(x ?? 0)) as [number, number, number, number];
    if (d > 0 || h > 23 || mi > 59 || sec > 59) c.fail(`time'${body}' is ambiguous: it is a duration, not a time of day (00:00 to 23:59:59); use duration'${body}'`, bodyAt);
    const two = (x: number): string => String(x).padStart(2, '0');
    return legacy('timeOfDay', `${two(h)}:${two(mi)}:${two(sec)}${m[5] ?? ''}`);
  }
  const date = sticky(DATE, body, 0);
  const time = date !== null && /^[Tt]/.test(body.slice(date.length)) ? sticky(TIME, body, date.length + 1) : null;
  const rest = date === null || time === null ? null : body.slice(date.length + 1 + time.length);
  const zoned = rest !== null && rest !== '' && whole(ZONE, rest);
  const example = prefix === 'datetime' ? "datetime'2024-01-31T12:00:00'" : "datetimeoffset'2024-01-31T12:00:00Z'";
  if (date === null || time === null || (rest !== '' && !zoned)) c.fail(`malformed ${prefix} value: expected e.g. ${example}`, bodyAt);
  if (prefix === 'datetimeoffset' && !zoned) c.fail("a datetimeoffset needs a time zone: add 'Z' (UTC) or an offset such as +01:00", c.pos - 1);
  const seconds = time.length === 5 ? ':00' : '';
  return legacy('dateTimeOffset', `${date}T${time}${seconds}${zoned ? rest : 'Z'}`);
}

function parseString(c: Cursor): Literal {
  const start = c.pos;
  c.pos++;
  for (;;) {
    const q = c.s.indexOf("'", c.pos);
    if (q < 0) c.fail("this text value has no closing quote (write a quote inside a text value as '')", start);
    if (c.s[q + 1] === "'") {
      c.pos = q + 2;
      continue;
    }
    c.pos = q + 1;
    break;
  }
  // The value comes from the original text so that percent-sequences other than the
  // quote stay as the client wrote them (no second round of decoding).
  const inner = c.text.slice(c.orig(start + 1), c.orig(c.pos - 1));
  return lit(c, start, 'string', inner.replace(/(?:'|%27)(?:'|%27)/gi, "'"));
}

function quotedBody(c: Cursor, what: string): string {
  const open = c.pos - 1;
  const end = c.s.indexOf("'", c.pos);
  if (end < 0) c.fail(`this ${what} literal has no closing quote`, open);
  const body = c.s.slice(c.pos, end);
  c.pos = end + 1;
  return body;
}

function parsePrefixed(c: Cursor, prefix: string): Literal {
  const start = c.pos;
  c.pos += prefix.length + 1;
  const bodyAt = c.pos;
  const body = quotedBody(c, prefix);
  if (prefix === 'duration') {
    if (!DURATION.test(body)) c.fail("malformed duration: expected e.g. duration'P1DT2H30M' (days, hours, minutes, seconds)", bodyAt);
    return lit(c, start, 'duration', body);
  }
  if (prefix === 'binary') {
    if (!BASE64URL.test(body)) c.fail("malformed binary value: expected base64url text, e.g. binary'Zm9v'", bodyAt);
    return lit(c, start, 'binary', body);
  }
  if (!isGeo(body)) c.fail(`malformed ${prefix} value: expected e.g. ${prefix}'SRID=4326;Point(4.35 50.85)'`, bodyAt);
  return lit(c, start, 'geo', body);
}

function parseGuid(c: Cursor): Literal {
  const start = c.pos;
  for (let i = 0; i < GUID_SHAPE.length; i++) {
    const ch = c.s[start + i] ?? '';
    const ok = GUID_SHAPE[i] === '-' ? ch === '-' : /[0-9A-Fa-f]/.test(ch);
    if (!ok) c.fail('malformed GUID: expected 8-4-4-4-12 hexadecimal digits, e.g. 01234567-89ab-cdef-0123-456789abcdef', start + i);
  }
  c.pos = start + GUID_SHAPE.length;
  return lit(c, start, 'guid', c.s.slice(start, c.pos));
}

/** The `'A,B'` part of an enum literal (cursor on the quote); `start` = where the type name began. */
export function parseEnumBody(c: Cursor, start: number): Literal {
  c.pos++;
  const bodyAt = c.pos;
  for (;;) {
    const m = sticky(ENUM_MEMBER, c.s, c.pos);
    if (m === null) c.fail('expected an enumeration member name or number');
    c.pos += m.length;
    if (c.eat(',')) continue;
    if (!c.eat("'")) c.fail("expected ',' or the closing quote of the enumeration value");
    break;
  }
  return lit(c, start, 'enum', c.s.slice(bodyAt, c.pos - 1));
}

/** Does a plain string literal's value have the shape of an (unqualified) enum value? */
export function looksLikeEnumValue(value: string): boolean {
  return value.split(',').every((v) => ENUM_VALUE.test(v));
}

/** Well-known-text subset of the ABNF's geo literals: `SRID=n;Point(...)` etc. */
function isGeo(body: string): boolean {
  const m = /^SRID=\d{1,5};/i.exec(body);
  if (!m) return false;
  let i = m[0].length;
  const num = String.raw`(?:[+-]?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?|NaN|-?INF)`;
  const position = new RegExp(`${num} ${num}(?: ${num}){0,2}`, 'y');
  const tok = (t: string): boolean => {
    if (body.slice(i, i + t.length).toLowerCase() !== t.toLowerCase()) return false;
    i += t.length;
    return true;
  };
  const pos = (): boolean => {
    position.lastIndex = i;
    const p = position.exec(body);
    if (p) i += p[0].length;
    return p !== null;
  };
  const list = (item: () => boolean, min: number): boolean => {
    if (!tok('(')) return false;
    let n = 0;
    if (min > 0 || body[i] !== ')') {
      do {
        if (!item()) return false;
        n++;
      } while (tok(','));
    }
    return n >= min && tok(')');
  };
  const point = (): boolean => tok('(') && pos() && tok(')');
  const line = (): boolean => list(pos, 2);
  const ring = (): boolean => list(pos, 1);
  const polygon = (): boolean => list(ring, 1);
  const alt = (kw: string, rest: () => boolean): boolean => {
    const save = i;
    if (tok(kw) && rest()) return true;
    i = save;
    return false;
  };
  const geo = (): boolean =>
    alt('GeometryCollection', () => list(geo, 1)) ||
    alt('MultiLineString', () => list(line, 0)) ||
    alt('MultiPolygon', () => list(polygon, 0)) ||
    alt('MultiPoint', () => list(point, 0)) ||
    alt('LineString', line) ||
    alt('Polygon', polygon) ||
    alt('Point', point);
  return geo() && i === body.length;
}
