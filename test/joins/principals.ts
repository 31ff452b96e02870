import type { Principal } from '../../src/query/types.ts';
import type { Who } from './cases.ts';

/** The callers of the join cases, built directly (the suites test planning and SQL, not keys). */
export function principalFor(who: Who): Principal {
  if (who === 'admin') return { keyId: 'k_admin', tenant: null, role: 'admin', isAdmin: true, allowedDatasets: null };
  return { keyId: `k_${who}`, tenant: who, role: 'analyst', isAdmin: false, allowedDatasets: null };
}
