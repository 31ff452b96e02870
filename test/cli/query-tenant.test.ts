/**
 * `semgate query --tenant` follows the same rule as X-Tenant-Id over HTTP (one `actAs`):
 * only an admin key may act as a tenant, only with a well-formed tenant id, and then it
 * reads exactly that tenant's rows of the demo.
 */
import { describe, expect, it } from 'vitest';
import { semgate } from '../helpers/cli.ts';

const QUERY = JSON.stringify({ dataset: 'orders', metrics: ['order_count'] });
const count = (stdout: string): number => Number((JSON.parse(stdout) as { rows: [[number]] }).rows[0][0]);

describe('semgate query --tenant', () => {
  it('lets an admin act as a tenant, and refuses a non-admin key and a malformed tenant id', async () => {
    const [asAcme, acme, asGlobex, analyst, malformed] = await Promise.all([
      semgate('query', '--key', 'sk_demo_admin', '--tenant', 'acme_corp', '--json', QUERY),
      semgate('query', '--key', 'sk_demo_acme', '--json', QUERY),
      semgate('query', '--key', 'sk_demo_admin', '--tenant', 'globex_inc', '--json', QUERY),
      semgate('query', '--key', 'sk_demo_acme', '--tenant', 'globex_inc', '--json', QUERY),
      semgate('query', '--key', 'sk_demo_admin', '--tenant', "acme' OR 1=1 --", '--json', QUERY),
    ]);
    expect(asAcme.code, asAcme.stderr).toBe(0);
    expect(acme.code, acme.stderr).toBe(0);
    expect(asGlobex.code, asGlobex.stderr).toBe(0);
    expect(count(asAcme.stdout)).toBe(count(acme.stdout));
    expect(count(asGlobex.stdout)).not.toBe(count(acme.stdout));
    expect(analyst.code).not.toBe(0);
    expect(analyst.stderr).toMatch(/403.*Only admin keys may send --tenant/s);
    expect(analyst.stdout).toBe('');
    expect(malformed.code).not.toBe(0);
    expect(malformed.stderr).toMatch(/--tenant must match/);
    expect(malformed.stdout).toBe('');
  });
});
