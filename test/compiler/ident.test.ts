/** The shared identifiers of src/sql/ident.ts: one per distinct name list, quoted as kysely quotes it. */
import { describe, expect, it } from 'vitest';
import { sql } from 'kysely';
import { id } from '../../src/sql/ident.ts';
import { dialectFor } from '../../src/sql/dialects/index.ts';

const text = (e: ReturnType<typeof id>): string => sql`${e}`.compile(dialectFor('postgres').db).sql;

describe('shared identifiers', () => {
  it('are reused for the same names and never confused between different lists', () => {
    expect(id('t', 'amount')).toBe(id('t', 'amount'));
    expect(text(id('t', 'amount'))).toBe('"t"."amount"');
    // A name holding the separator of another encoding, or JSON, stays one identifier.
    expect(text(id('a\u0000b'))).toBe('"a\u0000b"');
    expect(text(id('a', 'b'))).toBe('"a"."b"');
    expect(id('["a","b"]')).not.toBe(id('a', 'b'));
    expect(text(id('x"y'))).toBe('"x""y"');
  });
});
