/** Tenant isolation through OData on postgres: see odata-suite.ts. Skips (or fails, in CI) when the server is down. */
import { requireServices } from '../helpers/services.ts';
import { odataIsolationSuite } from './odata-suite.ts';

const service = await requireServices('postgres');
odataIsolationSuite('postgres', service.ok);
