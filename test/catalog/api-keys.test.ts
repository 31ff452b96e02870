import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { errorsOf, expectIssue, loadFiles } from './helpers.ts';

const SHARED = '    rls: { tenant_column: tenant_id }\n';
const dataset = (body: string): string => `datasets:\n  - name: orders\n    source: warehouse\n    table: public.orders\n${body}`;

describe('api keys', () => {
  const sha = (s: string): string => `sha256:${createHash('sha256').update(s).digest('hex')}`;

  it('checks tenants, roles, expiry, allow-lists and key/key_hash', async () => {
    const r = await loadFiles({ apiKeys: `api_keys:
  - key_hash: "${sha('a')}"   # @no-tenant
    role: viewer
  - key_hash: "${sha('b')}"
    role: admin
  - key_hash: "${sha('c')}"
    tenant: "acme corp"   # @tenant
    role: analyst
    expires_at: 2027-02-31   # @expires
    allowed_datasets: [orders, order]   # @allowed
  - tenant: acme   # @no-key
    role: analyst
  - key: "secret-d"   # @both
    key_hash: "${sha('d')}"
    tenant: acme
    role: analyst
    rate_limit: "5/day"   # @rate
  - key_hash: "sha256:1234"   # @hash
    tenant: acme
    role: analyst
tenants:
  "acme corp": {}   # @tenant-key
  acme: { schema: "1acme" }   # @schema
` });
    expectIssue(r, 'api-keys.yaml', '# @no-tenant', 'api_keys[0]', /a key with role `viewer` needs a `tenant:`; only `role: admin` keys may omit it/);
    expectIssue(r, 'api-keys.yaml', '# @tenant', 'api_keys[2].tenant', /must be 1 to 64 letters, digits, _ or -/);
    expectIssue(r, 'api-keys.yaml', '# @expires', 'api_keys[2].expires_at', /`2027-02-31` is not a date: write ISO 8601/);
    expectIssue(r, 'api-keys.yaml', '# @allowed', 'api_keys[2].allowed_datasets[1]', /dataset `order` is not in catalog.yaml\. Did you mean `orders`\?/);
    expectIssue(r, 'api-keys.yaml', '# @no-key', 'api_keys[3]', /this entry has no key: add `key_hash:/);
    expectIssue(r, 'api-keys.yaml', '# @both', 'api_keys[4].key', /either `key` or `key_hash`, not both/);
    expectIssue(r, 'api-keys.yaml', '# @rate', 'api_keys[4].rate_limit', /must look like `100\/minute`/);
    expectIssue(r, 'api-keys.yaml', '# @hash', 'api_keys[5].key_hash', /`sha256:` followed by 64 hex digits/);
    expectIssue(r, 'api-keys.yaml', '# @tenant-key', 'tenants["acme corp"]', /tenant id `acme corp` must be 1 to 64/);
    expectIssue(r, 'api-keys.yaml', '# @schema', 'tenants.acme.schema', /must be a plain SQL identifier/);
    expect(errorsOf(r.issues)).toHaveLength(10);
    expect(r.issues.filter((i) => i.message.includes('secret-d'))).toEqual([]);
  });

  it('a key is unique whether written as key or as key_hash', async () => {
    const r = await loadFiles({ apiKeys: `api_keys:
  - { key: "pk_same", tenant: a, role: analyst }   # @plain
  - { key_hash: "${sha('pk_same')}", tenant: b, role: analyst }   # @dup
` });
    const dup = expectIssue(r, 'api-keys.yaml', '# @dup', 'api_keys[1].key_hash', /the same key as the entry at line 2/);
    expect(dup.message).not.toContain('pk_same');
    expectIssue(r, 'api-keys.yaml', '# @plain', 'api_keys[0].key', /plaintext key in the file: store `key_hash/, 'warning');
  });

  it('expiry: ISO dates and date-times load, a past one warns, a YAML timestamp is accepted', async () => {
    const r = await loadFiles({ apiKeys: `api_keys:
  - { key_hash: "${sha('1')}", tenant: a, role: analyst, expires_at: 2030-06-01 }
  - { key_hash: "${sha('2')}", tenant: a, role: analyst, expires_at: "2030-06-01T12:30:00+02:00" }
  - { key_hash: "${sha('3')}", tenant: a, role: analyst, expires_at: !!timestamp 2030-06-01T00:00:00Z }
  - { key_hash: "${sha('4')}", tenant: a, role: analyst, expires_at: 2020-01-01 }   # @past
` });
    expectIssue(r, 'api-keys.yaml', '# @past', 'api_keys[3].expires_at', /already expired/, 'warning');
    expect(r.catalog!.apiKeys.list().map((k) => k.expiresAt!.toISOString())).toEqual([
      '2030-06-01T00:00:00.000Z', '2030-06-01T10:30:00.000Z', '2030-06-01T00:00:00.000Z', '2020-01-01T00:00:00.000Z',
    ]);
  });

  it('an unknown role is a warning with a suggestion; catalog roles are known', async () => {
    const r = await loadFiles({
      catalog: dataset(`${SHARED}    access: { roles: [finance] }\n`),
      apiKeys: `api_keys:\n  - { key_hash: "${sha('x')}", tenant: a, role: finanse }   # @role\n  - { key_hash: "${sha('y')}", tenant: a, role: finance }\n`,
    });
    expectIssue(r, 'api-keys.yaml', '# @role', 'api_keys[0].role', /role `finanse` is not built in.*Did you mean `finance`\?/, 'warning');
    expect(r.issues).toHaveLength(1);
    expect(r.catalog).not.toBeNull();
  });
});
