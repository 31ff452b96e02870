import { postgresFamily } from './standard.ts';
import type { SqlDialect } from './types.ts';

/** A bare $n next to a bigint column would be inferred as bigint and reject 2.5: numbers bind as NUMERIC. */
export const postgresDialect: SqlDialect = postgresFamily('postgres', { number: 'NUMERIC', text: 'TEXT' });
