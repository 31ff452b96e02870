/** Tenant isolation through OData on DuckDB: always runs (embedded; database files in a temp dir). */
import { odataIsolationSuite } from './odata-suite.ts';

odataIsolationSuite('duckdb', true);
