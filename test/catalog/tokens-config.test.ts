/**
 * `key_store:`, `jwt:` and `guest_tokens:` in api-keys.yaml: each mistake is reported with
 * file, line and field, secrets are never echoed, and a good configuration builds. Tenant
 * ids that differ only by case are refused with both lines named.
 */
import { generateKeyPairSync } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { errorsOf, expectIssue, lineOf, listIssues, loadFiles } from './helpers.ts';

const KEY = '  - { key_hash: "sha256:9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08", tenant: acme, role: analyst }\n';
const SECRET = 's3cr3t-value-that-is-long-enough-0123456789';
const PEM = generateKeyPairSync('rsa', { modulusLength: 2048 }).publicKey.export({ type: 'spki', format: 'pem' }).toString();
const indentPem = PEM.trim().split('\n').map((l) => `    ${l}`).join('\n');

describe('key_store, jwt and guest_tokens', () => {
  it('builds the settings, with their defaults', async () => {
    const r = await loadFiles({ apiKeys: `api_keys:\n${KEY}key_store:\n  source: warehouse\n  table: semgate.api_keys\njwt:\n  issuer: https://idp.example\n  audience: semgate\n  public_key: |\n${indentPem}\n  algorithms: [RS256]\n  claims: { tenant: org }\nguest_tokens: { secret: "${SECRET}" }\n` });
    expect(errorsOf(r.issues), listIssues(r.issues)).toEqual([]);
    const c = r.catalog!;
    expect(c.keyStore).toEqual({ source: 'warehouse', table: { schema: 'semgate', name: 'api_keys' }, cacheTtlSeconds: 30, cacheMax: 100_000 });
    expect(c.jwt).toMatchObject({
      issuer: 'https://idp.example', audience: 'semgate', algorithms: ['RS256'], maxTtlSeconds: 3600, clockSkewSeconds: 30, defaultRole: 'viewer',
      claims: { tenant: 'org', role: 'role', filters: 'filters', datasets: 'datasets' }, verifyWith: { kind: 'public_key' },
    });
    expect(c.guestTokens).toEqual({ secret: SECRET, ttlSeconds: 300, maxTtlSeconds: 3600 });
  });

  it('reports every mistake at its line, and never echoes a secret', async () => {
    const r = await loadFiles({ apiKeys: `api_keys:\n${KEY}key_store:\n  source: lake   # @store-source\n  table: "a.b.c"   # @store-table\n  cache_ttl: 0   # @ttl\njwt:
  jwks_url: https://idp.example/jwks.json
  secret: "short-${SECRET}"   # @two-ways
  algorithms: [RS256, none]   # @none
guest_tokens:
  secret: "tiny-secret"   # @guest-secret
  ttl: 600
  max_ttl: 300   # @max
` });
    expectIssue(r, 'api-keys.yaml', '# @store-source', 'key_store.source', /source `lake` is duckdb: the key store needs a postgres source/);
    expectIssue(r, 'api-keys.yaml', '# @store-table', 'key_store.table', /must match|`name` or `schema.name`/);
    expectIssue(r, 'api-keys.yaml', '# @ttl', 'key_store.cache_ttl', /at least 1/);
    expectIssue(r, 'api-keys.yaml', '# @two-ways', 'jwt.secret', /exactly one of `jwks_url`, `public_key` and `secret`/);
    expectIssue(r, 'api-keys.yaml', '# @none', 'jwt.algorithms[1]', /`none` is not a valid `algorithms`/);
    expectIssue(r, 'api-keys.yaml', '# @guest-secret', 'guest_tokens.secret', /at least 32 random bytes/);
    expect(r.issues.some((i) => i.field === 'guest_tokens.ttl' && /over `max_ttl`/.test(i.message))).toBe(true);
    expect(r.catalog).toBeNull();
    for (const i of r.issues) expect(i.message).not.toMatch(/tiny-secret|short-s3cr3t/);
  });

  it('refuses algorithm confusion both ways, an unknown store source, a bad PEM', async () => {
    const hsWithKey = await loadFiles({ apiKeys: `api_keys:\n${KEY}jwt:\n  jwks_url: https://idp.example/jwks.json\n  algorithms: [RS256, HS256]   # @confusion\n` });
    expectIssue(hsWithKey, 'api-keys.yaml', '# @confusion', 'jwt.algorithms', /HS256 is HMAC: with `jwks_url` only public-key algorithms/);
    const rsWithSecret = await loadFiles({ apiKeys: `api_keys:\n${KEY}jwt:\n  secret: "${SECRET}"\n  algorithms: [HS256, ES256]   # @secret-alg\n` });
    expectIssue(rsWithSecret, 'api-keys.yaml', '# @secret-alg', 'jwt.algorithms', /an HMAC `secret` verifies HS256, HS384 and HS512 only: remove ES256/);
    const none = await loadFiles({ apiKeys: `api_keys:\n${KEY}jwt:\n  algorithms: [RS256]   # @no-way\n  issuer: x\n` });
    expect(errorsOf(none.issues).some((i) => i.field === 'jwt' && /exactly one of `jwks_url`/.test(i.message))).toBe(true);
    const pem = await loadFiles({ apiKeys: `api_keys:\n${KEY}jwt:\n  public_key: "not a key"   # @pem\n  algorithms: [ES256]\nkey_store: { source: warehous }   # @unknown\n` });
    expectIssue(pem, 'api-keys.yaml', '# @pem', 'jwt.public_key', /not a PEM public key/);
    expectIssue(pem, 'api-keys.yaml', '# @unknown', 'key_store.source', /source `warehous` is not in sources.yaml. Did you mean `warehouse`\?/);
  });

  it('refuses tenant ids that differ only by case, naming both lines', async () => {
    const text = `api_keys:
  - { key_hash: "sha256:${'a'.repeat(64)}", tenant: acme, role: analyst }   # @first
  - { key_hash: "sha256:${'b'.repeat(64)}", tenant: acme, role: viewer }
  - { key_hash: "sha256:${'c'.repeat(64)}", tenant: ACME, role: analyst }   # @second
tenants:
  Globex: { rate_limit: "10/minute" }   # @globex-first
  acme: {}
  globex: {}   # @globex-second
`;
    const r = await loadFiles({ apiKeys: text });
    const first = lineOf(text, '# @first');
    expectIssue(r, 'api-keys.yaml', '# @second', 'api_keys[2].tenant', new RegExp(`tenant \`ACME\` differs only by case from \`acme\` \\(line ${first}\\)`));
    const globex = lineOf(text, '# @globex-first');
    expectIssue(r, 'api-keys.yaml', '# @globex-second', 'tenants.globex', new RegExp(`\`globex\` differs only by case from \`Globex\` \\(line ${globex}\\)`));
    expect(errorsOf(r.issues)).toHaveLength(2);
  });
});
