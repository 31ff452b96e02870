import { postgresFamily } from './standard.ts';
import type { SqlDialect } from './types.ts';

/**
 * DuckDB speaks PostgreSQL's quoting and `$n` placeholders; numbers bind as DOUBLE, text as
 * VARCHAR. Its NULL lines up with any type in a UNION (a cast to DECIMAL would narrow it).
 */
export const duckdbDialect: SqlDialect = postgresFamily('duckdb', { number: 'DOUBLE', text: 'VARCHAR', typedNulls: false });
