import { describe, expect, it } from 'vitest';
import { mulberry32 } from '../helpers/rng.ts';
import type { Expr, Literal } from '../../src/odata/ast.ts';
import {
  INTERNAL, ODataSyntaxError, parseApply, parseFilter, parseOrderBy, parseQueryOptions, parseSelect, parseSkip, parseTop,
} from '../../src/odata/parser/index.ts';

/** Compact rendering of an expression tree, so precedence tests read like the input. */
function show(e: Expr): string {
  switch (e.kind) {
    case 'literal': return e.raw;
    case 'property': return e.path.join('/');
    case 'binary': return `(${show(e.left)} ${e.op} ${show(e.right)})`;
    case 'unary': return `(${e.op} ${show(e.operand)})`;
    case 'in': return `(${show(e.left)} in [${e.list.map(show).join(',')}])`;
    case 'call': return `${e.name}(${e.args.map(show).join(',')})`;
    case 'other': return `<${e.what}>`;
  }
}
const f = (text: string): string => show(parseFilter(text));
const lit = (text: string): Literal => {
  const e = parseFilter(text);
  if (e.kind !== 'literal') throw new Error(`not a literal: ${text}`);
  return e;
};
function syntaxError(fn: () => unknown): ODataSyntaxError {
  try {
    fn();
  } catch (e) {
    if (e instanceof ODataSyntaxError) return e;
    throw e;
  }
  throw new Error('expected an ODataSyntaxError');
}

describe('$filter precedence and associativity', () => {
  it.each([
    ['a or b and c', '(a or (b and c))'],
    ['a and b or c', '((a and b) or c)'],
    ['a add b mul c', '(a add (b mul c))'],
    ['a mul b add c', '((a mul b) add c)'],
    ['a sub b sub c', '((a sub b) sub c)'],
    ['a div b divby c mod d', '(((a div b) divby c) mod d)'],
    ['a eq 1 and b ne 2', '((a eq 1) and (b ne 2))'],
    ['a lt b eq true', '((a lt b) eq true)'],
    ['a eq b lt c', '(a eq (b lt c))'], // relational binds tighter than equality (URL conventions §5.1.1.15)
    ['(a or b) and c', '((a or b) and c)'],
    ['-a mul b', '((negate a) mul b)'],
    ['- a', '(negate a)'],
    ['not a and b', '((not a) and b)'],
    ['not x in (1,2)', '(not (x in [1,2]))'], // `in` is a primary operator
    ['not(a or b)', '(not (a or b))'],
    ['Price add 2.45 eq 5.00', '((Price add 2.45) eq 5.00)'],
    ["Name EQ 'Milk' AND Price LT 2.55", "((Name eq 'Milk') and (Price lt 2.55))"],
    ['a or b or c', '((a or b) or c)'],
    ['Address/City eq \'X\'', "(Address/City eq 'X')"],
  ])('%s', (text, expected) => {
    expect(f(text)).toBe(expected);
  });

  it('keeps positions of the original text, also through percent-encoded spaces', () => {
    const e = parseFilter("Name%20eq%20'x'");
    expect(e).toMatchObject({ kind: 'binary', op: 'eq', pos: 0, right: { kind: 'literal', value: 'x', pos: 12 } });
  });
});

describe('literals', () => {
  it.each<[string, Literal['type'], unknown]>([
    ['null', 'null', null],
    ['true', 'boolean', true],
    ['FALSE', 'boolean', false],
    ['42', 'int', 42],
    ['-7', 'int', -7],
    ['%2B42', 'int', 42],
    ['9007199254740993', 'int', '9007199254740993'], // beyond 2^53: kept as text, not rounded
    ['3.14', 'decimal', 3.14],
    ['0.1000', 'decimal', 0.1],
    ['12345678901234567890.5', 'decimal', '12345678901234567890.5'],
    ['1e3', 'double', 1000],
    ['-0.314e1', 'double', -3.14],
    ['2.5E-2', 'double', 0.025],
    ['INF', 'double', Infinity],
    ['-INF', 'double', -Infinity],
    ['2024-01-31', 'date', '2024-01-31'],
    ['2024-01-31T10:00:00Z', 'dateTimeOffset', '2024-01-31T10:00:00Z'],
    ['2024-01-31T10:00+01:00', 'dateTimeOffset', '2024-01-31T10:00+01:00'],
    ['2024-01-31T10:00:00.123456-05:30', 'dateTimeOffset', '2024-01-31T10:00:00.123456-05:30'],
    ['2012-09-03T23%3A59%2B01%3A00', 'dateTimeOffset', '2012-09-03T23:59+01:00'],
    ['13:45:00', 'timeOfDay', '13:45:00'],
    ['07:30', 'timeOfDay', '07:30'],
    ["duration'P1D'", 'duration', 'P1D'],
    ["duration'-P6DT23H59M59.9999S'", 'duration', '-P6DT23H59M59.9999S'],
    ['01234567-89ab-cdef-0123-456789ABCDEF', 'guid', '01234567-89ab-cdef-0123-456789ABCDEF'],
    ['deadbeef-0000-1111-2222-333344445555', 'guid', 'deadbeef-0000-1111-2222-333344445555'],
    ["binary'Zm9vYg=='", 'binary', 'Zm9vYg=='],
    ["Sales.Pattern'Yellow'", 'enum', 'Yellow'],
    ["Sales.Pattern'Solid,Yellow'", 'enum', 'Solid,Yellow'],
    ["geography'SRID=4326;Point(4.35 50.85)'", 'geo', 'SRID=4326;Point(4.35 50.85)'],
    ["'abc'", 'string', 'abc'],
  ])('%s', (text, type, value) => {
    const l = lit(text);
    expect(l.type).toBe(type);
    expect(l.value).toEqual(value);
    expect(l.raw).toBe(text);
  });

  it('NaN is a double', () => {
    expect(lit('NaN').type).toBe('double');
    expect(Number.isNaN(lit('NaN').value)).toBe(true);
  });

  it.each([
    ["'O''Neil'", "O'Neil"],
    ["''", ''],
    ["''''", "'"],
    ["%27O'%27Neil'", "O'Neil"], // %27 is a quote per the ABNF, doubled in either spelling
    ["'it%27%27s'", "it's"],
    ["'Hugo''s Tavern'", "Hugo's Tavern"],
    ["'100%'", '100%'],
    ["'a%20b'", 'a%20b'], // no second round of percent-decoding inside values
    ["'Zürich – Ω'", 'Zürich – Ω'],
    ["'a,b;c=(d)'", 'a,b;c=(d)'],
  ])('string %s', (text, value) => {
    expect(lit(text)).toMatchObject({ type: 'string', value });
  });

  it('identifiers may use unicode letters', () => {
    expect(parseFilter("Größe eq 'M'")).toMatchObject({ left: { kind: 'property', path: ['Größe'] } });
    expect(parseFilter('_x1/ñame')).toMatchObject({ kind: 'property', path: ['_x1', 'ñame'] });
  });
});

describe('in, functions and non-translatable constructs', () => {
  it.each([
    ["Name in ('Milk', 'Cheese')", "(Name in ['Milk','Cheese'])"],
    ['x in (1)', '(x in [1])'],
    ['x in ()', '(x in [])'],
    ['Name in ["Milk","Cheese"]', '(Name in ["Milk","Cheese"])'],
    ["x in %28'a'%2C'b'%29", "(x in ['a','b'])"],
    ['x in (FirstName)', '<in with a collection-valued expression>'],
    ['x in [a, b add 1]', '<in with a JSON array of expressions>'],
  ])('%s', (text, expected) => {
    expect(f(text)).toBe(expected);
  });

  it.each([
    ["contains(Name,'lf')", "contains(Name,'lf')"],
    ["CONTAINS(Name, 'lf')", "contains(Name,'lf')"],
    ["startswith(tolower(Name),'a')", "startswith(tolower(Name),'a')"],
    ["endswith(Name,'z')", "endswith(Name,'z')"],
    ['length(Name) gt 3', '(length(Name) gt 3)'],
    ["indexof(Name,'x') eq 1", "(indexof(Name,'x') eq 1)"],
    ['substring(Name,1)', 'substring(Name,1)'],
    ['substring(Name, 1, 2)', 'substring(Name,1,2)'],
    ['trim(toupper(Name))', 'trim(toupper(Name))'],
    ["concat(concat(City,', '),Country)", "concat(concat(City,', '),Country)"],
    ['year(d) eq 2024 and month(d) eq 1 and day(d) eq 31', '(((year(d) eq 2024) and (month(d) eq 1)) and (day(d) eq 31))'],
    ['hour(t) add minute(t) add second(t)', '((hour(t) add minute(t)) add second(t))'],
    ['date(ts) eq 2024-01-31', '(date(ts) eq 2024-01-31)'],
    ['time(ts) lt 12:00', '(time(ts) lt 12:00)'],
    ['ts lt now()', '(ts lt now())'],
    ['round(x) add floor(x) add ceiling(x)', '((round(x) add floor(x)) add ceiling(x))'],
    ["matchesPattern(Name,'^A.*e$')", "matchespattern(Name,'^A.*e$')"],
    ['now%28%20%29', 'now()'],
    ['geo.distance(a,b) lt 5', '(geo.distance(a,b) lt 5)'],
  ])('%s', (text, expected) => {
    expect(f(text)).toBe(expected);
  });

  it.each([
    ['Products/any(p:p/Price gt 5)', 'lambda any'],
    ['Tags/all(t:t ne \'x\')', 'lambda all'],
    ['Items/any()', 'lambda any'],
    ['Products/$count gt 2', '$count'],
    ['$it/Name', '$it'],
    ["$root/Products('P2')/Name", '$root'],
    ['cast(Price,Edm.Int32)', 'cast'],
    ['isof(Model.Customer)', 'isof'],
    ['@p', 'parameter alias'],
    ['Name eq @p', 'parameter alias'],
    ['Model.Fn(x=1)', 'function Model.Fn'],
    ['Address/Model.Special/Code', 'type cast'],
    ['[1,2]', 'JSON array'],
    ['{"a":1}', 'JSON object'],
    ['case(x gt 0:1,true:0)', 'case'],
    ['Price/@Measures.Currency', 'annotation'],
  ])('%s is parsed as other (%s)', (text, what) => {
    const e = parseFilter(text);
    const found = e.kind === 'other' ? e : e.kind === 'binary' ? e.right.kind === 'other' ? e.right : e.left : e;
    expect(found).toMatchObject({ kind: 'other', what });
  });

  it('has takes an enum literal', () => {
    expect(parseFilter("style has Sales.Pattern'Yellow'")).toMatchObject({ op: 'has', right: { type: 'enum', value: 'Yellow' } });
    expect(parseFilter("style has 'Yellow'")).toMatchObject({ op: 'has', right: { type: 'enum', value: 'Yellow' } });
  });
});

describe('$orderby, $select', () => {
  it('orderby items with directions', () => {
    const items = parseOrderBy('Name asc,Rating,ReleaseDate desc');
    expect(items.map((i) => [show(i.expr), i.direction])).toEqual([['Name', 'asc'], ['Rating', 'asc'], ['ReleaseDate', 'desc']]);
    expect(parseOrderBy('year(d) DESC, Name')).toMatchObject([{ direction: 'desc', expr: { kind: 'call', name: 'year' } }, { direction: 'asc' }]);
    expect(parseOrderBy('Cost ge Revenue asc')[0]!.expr).toMatchObject({ kind: 'binary', op: 'ge' });
    expect(parseOrderBy('Products/$count')[0]!.expr).toMatchObject({ kind: 'other', what: '$count' });
  });

  it('select items', () => {
    expect(parseSelect('*')).toEqual([{ kind: 'star', pos: 0 }]);
    expect(parseSelect('Rating,Address/City')).toEqual([
      { kind: 'property', path: ['Rating'], pos: 0 },
      { kind: 'property', path: ['Address', 'City'], pos: 7 },
    ]);
    expect(parseSelect('a, b')).toHaveLength(2);
    expect(parseSelect('Model.ActionName,Model.*')).toMatchObject([{ kind: 'other' }, { kind: 'other' }]);
    expect(parseSelect('Address($select=Street)')).toMatchObject([{ kind: 'other', what: 'nested select options' }]);
  });
});

describe('$apply', () => {
  it('groupby, aggregate, custom aggregates, filter, chains', () => {
    expect(parseApply('groupby((a,b))')).toEqual([{
      kind: 'groupby', pos: 0, then: [],
      properties: [{ kind: 'property', path: ['a'], pos: 9 }, { kind: 'property', path: ['b'], pos: 11 }],
    }]);
    expect(parseApply('groupby((region, order_date/year),aggregate(amount with sum as total))')).toMatchObject([{
      kind: 'groupby',
      properties: [{ path: ['region'] }, { path: ['order_date', 'year'] }],
      then: [{ kind: 'aggregate', items: [{ kind: 'with', expr: { kind: 'property', path: ['amount'] }, method: 'sum', alias: 'total' }] }],
    }]);
    expect(parseApply('aggregate(x with sum as t, $count as n)')).toMatchObject([{
      kind: 'aggregate', items: [{ kind: 'with', method: 'sum', alias: 't' }, { kind: 'count', alias: 'n' }],
    }]);
    expect(parseApply('aggregate(m)')).toMatchObject([{ kind: 'aggregate', items: [{ kind: 'custom', name: 'm', alias: null }] }]);
    expect(parseApply('aggregate(revenue as r,x mul 2 with max as y)')).toMatchObject([{
      items: [{ kind: 'custom', name: 'revenue', alias: 'r' }, { kind: 'with', expr: { kind: 'binary', op: 'mul' }, method: 'max' }],
    }]);
    expect(parseApply("filter(region eq 'EU')/groupby((region),aggregate(amount with average as a))/filter(a gt 5)"))
      .toMatchObject([{ kind: 'filter' }, { kind: 'groupby' }, { kind: 'filter', expr: { op: 'gt' } }]);
  });

  it.each([
    ['compute(a add 1 as b)', 'compute'],
    ['topcount(2,Amount)', 'topcount'],
    ['identity', 'identity'],
    ['concat(identity,aggregate($count as n))', 'concat'],
    ['orderby(a desc)/top(5)', 'orderby'],
    ['skip(3)', 'skip'],
    ["search(coffee)", 'search'],
    ['groupby((rollup(a,b)))', 'groupby with rollup or type casts'],
    ['aggregate(Amount with sum from Time with average as d)', 'aggregate with paths, type casts, path/$count or from'],
    ['nest(groupby((a)) as x)', 'nest'],
    ['Ns.fn(x=1)', 'function Ns.fn'],
  ])('%s -> other (%s)', (text, what) => {
    expect(parseApply(text)[0]).toMatchObject({ kind: 'other', what });
  });
});

describe('$top / $skip', () => {
  it('accept non-negative whole numbers only', () => {
    expect(parseTop('0')).toBe(0);
    expect(parseTop('10')).toBe(10);
    expect(parseSkip('250')).toBe(250);
    for (const bad of ['-1', '1.5', '', 'ten', '1e3', ' 5', '99999999999999999999']) {
      expect(() => parseTop(bad), bad).toThrow(ODataSyntaxError);
    }
    expect(syntaxError(() => parseTop('-1'))).toMatchObject({ option: '$top', pos: 0 });
  });
});

describe('error positions', () => {
  it.each<[(t: string) => unknown, string, number, RegExp]>([
    [parseFilter, "Name eq 'Milk", 8, /no closing quote/],
    [parseFilter, "contains(Name,'a'", 17, /expected '\)' after the arguments of contains/],
    [parseFilter, "contains(Name 'a')", 14, /expected ',' and the second argument of contains/],
    [parseFilter, 'substring(Name)', 14, /second argument of substring/],
    [parseFilter, 'now(1)', 4, /now\(\) takes no arguments/],
    [parseFilter, 'tolower()', 8, /expected a value/],
    [parseFilter, 'Name eq', 7, /expected a value after 'eq'/],
    [parseFilter, "Name eq 'a' and", 15, /after 'and'/],
    [parseFilter, "Name eqq 'a'", 5, /unexpected 'eqq'/],
    [parseFilter, "(Name eq 'a'", 12, /expected '\)' to close the '\(' at position 0/],
    [parseFilter, "Name eq 'a')", 11, /unexpected '\)'/],
    [parseFilter, 'x in (1,2', 9, /expected ',' or '\)' in the list after 'in'/],
    [parseFilter, 'FirstName in (FirstName,LastName)', 23, /only contain literal values/],
    [parseFilter, 'd eq 2024-13-01', 5, /invalid date/],
    [parseFilter, 'd eq 2024-01-31T10:00', 21, /time zone/],
    [parseFilter, "x eq duration'P1X'", 14, /malformed duration/],
    [parseFilter, 'x eq 01234567-89ab-cdef-0123-45678', 34, /malformed GUID/],
    [parseFilter, 'x has 5', 6, /enumeration value after 'has'/],
    [parseFilter, "contans(Name,'a')", 7, /'contans' is not a known function/],
    [parseFilter, 'x eq "a"', 5, /single quotes/],
    [parseFilter, "Name eq 'a' ", 11, /space at the end/],
    [parseFilter, 'Model.Available', 15, /expected '\('/],
    [parseFilter, 'Products/all()', 13, /variable name/],
    [parseOrderBy, 'Name ascending', 5, /'asc', 'desc'/],
    [parseOrderBy, 'Name asc,', 9, /expected a value/],
    [parseSelect, 'a,,b', 2, /property name or '\*'/],
    [parseApply, 'groupby(a)', 8, /groupby\(\(Region,Year\)\)/],
    [parseApply, 'aggregate(x with avg as y)', 17, /aggregation method/],
    [parseApply, 'aggregate()', 10, /expected a value/],
    [parseApply, 'aggregate(x with sum)', 20, /expected 'as'/],
    [parseApply, 'foo(x)', 0, /unknown transformation 'foo'/],
    [parseApply, 'filter(a gt 1)/', 15, /expected a transformation/],
  ])('%#: %s', (fn, text, pos, message) => {
    const e = syntaxError(() => fn(text));
    expect(e.message).toMatch(message);
    expect(e.pos).toBe(pos);
  });
});

describe('parseQueryOptions', () => {
  const q = (s: string) => parseQueryOptions(new URLSearchParams(s));

  it('reads every supported option, with or without $ and in any case', () => {
    const o = q("$filter=Name eq 'a'&orderby=Name desc&$SELECT=Name,Price&$top=5&skip=10&$count=true&$skiptoken=abc&$apply=groupby((Name))&custom=1&@p=5");
    expect(o).toMatchObject({
      filter: { kind: 'binary', op: 'eq' }, orderby: [{ direction: 'desc' }], select: [{ path: ['Name'] }, { path: ['Price'] }],
      top: 5, skip: 10, count: true, skiptoken: 'abc', apply: [{ kind: 'groupby' }],
    });
    expect(q('')).toEqual({ filter: null, orderby: [], select: null, apply: null, top: null, skip: null, count: false, skiptoken: null });
    expect(q('$format=json&$count=FALSE').count).toBe(false);
  });

  it('refuses duplicates, unsupported and unknown $-options, with the option name', () => {
    expect(syntaxError(() => q('$filter=a&filter=b'))).toMatchObject({ option: 'filter', message: expect.stringMatching(/twice/) });
    for (const opt of ['$expand=Items', '$search=blue', '$compute=a as b', '$format=xml', 'expand=Items', '$levels=2']) {
      expect(syntaxError(() => q(opt)).message, opt).toMatch(/not supported/);
    }
    expect(syntaxError(() => q('$frobnicate=1')).message).toMatch(/unknown system query option/);
    expect(syntaxError(() => q('$count=maybe')).message).toMatch(/true or false/);
    expect(syntaxError(() => q('$top=-1'))).toMatchObject({ option: '$top', pos: 0 });
    expect(syntaxError(() => q("$filter=Name eq 'x"))).toMatchObject({ option: '$filter', pos: 8 });
  });
});

describe('robustness', () => {
  it('refuses deep nesting with a clear error instead of overflowing the stack', () => {
    for (const text of ['('.repeat(150) + 'a' + ')'.repeat(150), 'not '.repeat(200) + 'a', '-'.repeat(300) + 'a',
      '['.repeat(200) + ']'.repeat(200), 'tolower('.repeat(120) + 'a' + ')'.repeat(120)]) {
      expect(syntaxError(() => parseFilter(text)).message).toMatch(/nested too deeply/);
    }
    expect(syntaxError(() => parseApply('concat(identity,'.repeat(120) + 'identity' + ')'.repeat(120))).message).toMatch(/nested too deeply/);
    expect(syntaxError(() => parseSelect('a($select='.repeat(150) + 'b' + ')'.repeat(150))).message).toMatch(/nested too deeply/);
    expect(syntaxError(() => parseFilter('cast(a,' + 'Collection('.repeat(150) + 'T' + ')'.repeat(151))).message).toMatch(/nested too deeply/);
    expect(f('('.repeat(60) + 'a' + ')'.repeat(60))).toBe('a');
  });

  it('parses a few KB of filter quickly', () => {
    // Guards against quadratic/exponential behaviour, not a benchmark: warm once (JIT, regex
    // compilation), then a generous bound that still catches super-linear blow-ups.
    const text = Array.from({ length: 250 }, (_, i) => `code eq 'C${i}'`).join(' or ');
    parseFilter(text);
    const t0 = performance.now();
    for (let i = 0; i < 10; i++) expect(parseFilter(text).kind).toBe('binary');
    expect(performance.now() - t0).toBeLessThan(2000);
    let inner = 'a with sum';
    for (let i = 0; i < 30; i++) inner = `x/aggregate(${inner}) with sum`;
    const nested = `aggregate(${inner} as t)`;
    const t1 = performance.now();
    expect(parseApply(nested)[0]).toMatchObject({ kind: 'aggregate' });
    expect(performance.now() - t1).toBeLessThan(2000);
  });

  it('random input yields a result or an ODataSyntaxError, never anything else', () => {
    // Seeded PRNG so a failure is reproducible.
    const rnd = mulberry32(0x5eed);
    const tokens = ['a', 'Name', ' ', ' eq ', ' and ', ' or ', 'not ', '(', ')', ',', "'", "'x'", '1', '-', '2.5e3', '/', '$count',
      'any(', 'p:', 'contains(', 'in ', '[', ']', '{', '}', '"', ':', '%27', '%20', '%2', '%', '@p', '$it', '$root/', 'with ',
      ' as ', 'sum', 'groupby((', 'aggregate(', 'filter(', '2024-01-31', 'T10:00Z', 'duration', 'Ns.T', '*', ';', '#', '=',
      'ä', '\u0000', '\uD83D\uDE00', 'cast(', 'Edm.Int32', 'case(', '$these', 'from ', 'rollup(', 'identity', 'desc'];
    const fns = [parseFilter, parseOrderBy, parseSelect, parseApply, parseTop, parseSkip];
    // Mutations of valid inputs reach much deeper into the grammar than random token soup.
    const valid = ["Name eq 'Milk' and Price lt 2.55", "Products/any(p:p/Price gt 5) or contains(Name,'a')",
      "x in ('a', 'b') and d ge 2024-01-31T10:00:00Z", 'groupby((a,b/c),aggregate(x with sum as t,$count as n))/filter(t gt 1)',
      "aggregate(Amount with sum from Time with average as d)", "Name asc, year(d) desc", "cast(a,Edm.Int32) eq -1.5e3",
      'Address($select=Street;$top=5),*,Model.*', '[1,{"a":["x"]}]', "Model.Fn(x=@p)/Items('k')/$count(filter=a eq 1)"];
    const check = (fn: (t: string) => unknown, text: string): void => {
      try {
        fn(text);
      } catch (e) {
        if (!(e instanceof ODataSyntaxError)) throw new Error(`${fn.name}(${JSON.stringify(text)}) threw ${String(e)}`);
        expect(e.message, `${fn.name}(${JSON.stringify(text)})`).not.toContain(INTERNAL);
        expect(e.pos, JSON.stringify(text)).toBeGreaterThanOrEqual(0);
        expect(e.pos, JSON.stringify(text)).toBeLessThanOrEqual(text.length);
      }
    };
    const t0 = performance.now();
    for (let i = 0; i < 4000; i++) {
      const n = 1 + Math.floor(rnd() * 14);
      let text = '';
      for (let k = 0; k < n; k++) text += rnd() < 0.85 ? tokens[Math.floor(rnd() * tokens.length)] : String.fromCharCode(Math.floor(rnd() * 128));
      let mutated = valid[i % valid.length]!;
      for (let k = 0; k < 1 + Math.floor(rnd() * 3); k++) {
        const at = Math.floor(rnd() * (mutated.length + 1));
        const r = rnd();
        const ins = r < 0.5 ? tokens[Math.floor(rnd() * tokens.length)]! : '';
        mutated = mutated.slice(0, at) + ins + mutated.slice(at + (r < 0.3 ? 0 : 1));
      }
      for (const fn of fns) {
        check(fn, text);
        check(fn, mutated);
      }
    }
    expect(performance.now() - t0).toBeLessThan(20_000);
  });
});
