/** Tenant isolation on DuckDB: always runs (embedded; database files in a temp dir). */
import { isolationSuite } from './suite.ts';

isolationSuite('duckdb', true);
