import { postgresFamily } from './standard.ts';
import type { SqlDialect } from './types.ts';

/** DuckDB speaks PostgreSQL's quoting and `$n` placeholders; numbers bind as DOUBLE, text as VARCHAR. */
export const duckdbDialect: SqlDialect = postgresFamily('duckdb', { number: 'DOUBLE', text: 'VARCHAR' });
