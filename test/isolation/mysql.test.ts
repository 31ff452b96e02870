/** Tenant isolation on mysql: see suite.ts. Skips (or fails, in CI) when the server is down. */
import { requireServices } from '../helpers/services.ts';
import { isolationSuite } from './suite.ts';

const service = await requireServices('mysql');
isolationSuite('mysql', service.ok);
