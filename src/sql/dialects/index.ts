import type { SourceType } from '../../catalog/types.ts';
import { duckdbDialect } from './duckdb.ts';
import { mysqlDialect } from './mysql.ts';
import { postgresDialect } from './postgres.ts';
import type { SqlDialect } from './types.ts';

export type { SqlDialect } from './types.ts';

const DIALECTS: Record<SourceType, SqlDialect> = {
  postgres: postgresDialect,
  mysql: mysqlDialect,
  duckdb: duckdbDialect,
};

export function dialectFor(type: SourceType): SqlDialect {
  return DIALECTS[type];
}
