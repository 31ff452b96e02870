import { describe, expect, it } from 'vitest';
import { normaliseRow, normaliseValue, numberFromText, timestampFromText } from '../../src/sources/normalise.ts';

describe('normalise', () => {
  it('keeps exact numbers beyond 2^53 as canonical strings', () => {
    expect(numberFromText('9007199254740991')).toBe(9007199254740991);
    expect(numberFromText('9007199254740992')).toBe('9007199254740992');
    expect(numberFromText('-0009007199254740993')).toBe('-9007199254740993');
    expect(numberFromText('12345678901234567890123.4000')).toBe('12345678901234567890123.4');
    expect(numberFromText('12345678901234567890123.0000')).toBe('12345678901234567890123');
    expect(numberFromText('1234.5000')).toBe(1234.5);
    expect(numberFromText('-0.00')).toBe(0);
    expect(numberFromText('1e300')).toBe(1e300);
    expect(numberFromText('NaN')).toBeNull();
    expect(numberFromText('Infinity')).toBeNull();
    expect(normaliseValue(2n ** 70n, 'integer')).toBe('1180591620717411303424');
    expect(normaliseValue(-5n, 'integer')).toBe(-5);
    expect(normaliseValue(Number.NaN, 'number')).toBeNull();
    expect(normaliseValue(-0, 'number')).toBe(0);
  });

  it('reads booleans from every engine', () => {
    expect(normaliseRow([1, 0, 't', 'false', true, null], Array(6).fill('boolean'))).toEqual([true, false, true, false, true, null]);
  });

  it('writes timestamps as UTC with milliseconds, truncating finer digits', () => {
    expect(timestampFromText('2024-01-31 12:34:56.789999')).toBe('2024-01-31T12:34:56.789Z');
    expect(timestampFromText('2024-01-31 12:34:56')).toBe('2024-01-31T12:34:56.000Z');
    expect(timestampFromText('2024-01-31 00:30:00-05:30')).toBe('2024-01-31T06:00:00.000Z');
    expect(timestampFromText('2024-01-31 23:00:00+02')).toBe('2024-01-31T21:00:00.000Z');
    expect(timestampFromText('2024-01-31')).toBe('2024-01-31T00:00:00.000Z');
    expect(normaliseValue(new Date(Date.UTC(2024, 0, 2, 3, 4, 5, 6)), 'timestamp')).toBe('2024-01-02T03:04:05.006Z');
    expect(normaliseValue('infinity', 'timestamp')).toBeNull();
  });

  it('writes dates as YYYY-MM-DD, dating zoned instants in UTC', () => {
    expect(normaliseValue('2024-03-01 00:00:00', 'date')).toBe('2024-03-01');
    expect(normaliseValue('2024-03-01 01:00:00+02', 'date')).toBe('2024-02-29');
    expect(normaliseValue('-infinity', 'date')).toBeNull();
  });

  it('turns anything into text for string columns', () => {
    expect(normaliseRow(['x', 5, 9n, true], ['string', 'string', 'string', 'string'])).toEqual(['x', '5', '9', 'true']);
  });
});
