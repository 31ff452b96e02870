/** The shared identifiers of src/sql/ident.ts and the fragments of src/sql/fragment.ts: quoted, bound and written as kysely does. */
import { describe, expect, it } from 'vitest';
import { sql as kysql } from 'kysely';
import { id, raw } from '../../src/sql/ident.ts';
import { sql } from '../../src/sql/fragment.ts';
import { dialectFor } from '../../src/sql/dialects/index.ts';
import type { Expr } from '../../src/sql/dialects/types.ts';

const text = (e: Expr): string => e.compile(dialectFor('postgres').db).sql;

describe('shared identifiers', () => {
  it('are reused for the same names and never confused between different lists', () => {
    expect(id('t', 'amount')).toBe(id('t', 'amount'));
    expect(text(id('t', 'amount'))).toBe('"t"."amount"');
    // A name holding the separator of another encoding, or JSON, stays one identifier.
    expect(text(id('a\u0000b'))).toBe('"a\u0000b"');
    expect(text(id('a', 'b'))).toBe('"a"."b"');
    expect(id('["a","b"]')).not.toBe(id('a', 'b'));
    expect(text(id('x"y'))).toBe('"x""y"');
    // Quoted per engine: the same fragment in MySQL is back-quoted.
    expect(id('x`y').compile(dialectFor('mysql').db).sql).toBe('`x``y`');
    expect(text(id('x`y'))).toBe('"x`y"');
  });
});

describe('fragments', () => {
  it('compile to the same SQL and parameters as kysely\'s own builders, on each engine', () => {
    for (const name of ['postgres', 'mysql', 'duckdb'] as const) {
      const db = dialectFor(name).db;
      const ours = sql`select ${sql.join([id('t', 'a'), sql`COUNT(${id('b')})`])} from ${id('s', 'x')} as ${id('t')} where ${id('t', 'c')} = ${"o'k"} and ${sql.join([sql`${1}`, sql`${'two'}`], raw(' or '))} and ${sql.lit("it's")} ${sql.join([])}`;
      const theirs = kysql`select ${kysql.join([kysql.id('t', 'a'), kysql`COUNT(${kysql.id('b')})`])} from ${kysql.id('s', 'x')} as ${kysql.id('t')} where ${kysql.id('t', 'c')} = ${"o'k"} and ${kysql.join([kysql`${1}`, kysql`${'two'}`], kysql.raw(' or '))} and ${kysql.lit("it's")} ${kysql.join([])}`;
      const a = ours.compile(db);
      const b = theirs.compile(db);
      expect(a.sql).toBe(b.sql);
      expect(a.parameters).toEqual(b.parameters);
      expect(a.parameters).toEqual(["o'k", 1, 'two']);
    }
  });

  it('bind a value that looks like SQL or like a fragment, never write it', () => {
    const c = sql`select ${'1; drop table t'} , ${{ strings: ['x'], params: [] }}`.compile(dialectFor('postgres').db);
    expect(c.sql).toBe('select $1 , $2');
    expect(c.parameters).toEqual(['1; drop table t', { strings: ['x'], params: [] }]);
  });
});
