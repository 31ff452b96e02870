import { postgresFamily } from './standard.ts';
import type { SqlDialect } from './types.ts';

/**
 * A bare $n next to a bigint column would be inferred as bigint and reject 2.5: numbers bind
 * as NUMERIC. Two untyped NULLs in a UNION become text, which then fails to meet a number.
 */
export const postgresDialect: SqlDialect = postgresFamily('postgres', { number: 'NUMERIC', text: 'TEXT', typedNulls: true });
