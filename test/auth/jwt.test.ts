/**
 * JWTs from an identity provider: a JWKS served by a local HTTP server this test starts.
 * Valid tokens of two tenants see only their own rows through REST and OData; every refusal
 * is a 401 (403 for a role or dataset) whose problem+json says why without echoing the token;
 * the key set is refetched when a token names an unknown `kid`. Also: a PEM public key, an
 * HMAC secret, algorithm confusion, and rate limits per subject.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { exportJWK, exportSPKI, generateKeyPair, SignJWT, type CryptoKey, type JWK, type JWTPayload } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TokenVerifier } from '../../src/auth/tokens.ts';
import type { JwtSettings } from '../../src/catalog/types.ts';
import { startTestServer, type TestServer } from '../helpers/http.ts';
import { expectedSales, writeAuthConfig } from './fixture.ts';

const ISSUER = 'https://idp.test';
const b64 = (o: unknown): string => Buffer.from(JSON.stringify(o)).toString('base64url');
const now = (): number => Math.floor(Date.now() / 1000);

let jwks: { keys: JWK[] } = { keys: [] };
let idp: Server;
let s: TestServer;
let k1: { privateKey: CryptoKey; publicKey: CryptoKey };
let pem: string;

async function sign(claims: JWTPayload, opts: { kid?: string; key?: CryptoKey | Uint8Array; alg?: string; iat?: number; exp?: number } = {}): Promise<string> {
  const iat = opts.iat ?? now();
  return new SignJWT({ tenant_id: 'acme', role: 'analyst', ...claims })
    .setProtectedHeader({ alg: opts.alg ?? 'RS256', kid: opts.kid ?? 'k1' })
    .setIssuer(ISSUER).setAudience('semgate').setSubject('user-1').setIssuedAt(iat).setExpirationTime(opts.exp ?? iat + 600)
    .sign(opts.key ?? k1.privateKey);
}

beforeAll(async () => {
  k1 = await generateKeyPair('RS256', { extractable: true });
  pem = await exportSPKI(k1.publicKey);
  jwks = { keys: [{ ...(await exportJWK(k1.publicKey)), kid: 'k1', alg: 'RS256', use: 'sig' }] };
  idp = createServer((_req, res) => res.writeHead(200, { 'Content-Type': 'application/json' }).end(JSON.stringify(jwks)));
  await new Promise<void>((r) => idp.listen(0, '127.0.0.1', r));
  const url = `http://127.0.0.1:${(idp.address() as AddressInfo).port}/jwks.json`;
  const cfg = writeAuthConfig({
    tag: 'jwt', noStore: true,
    extra: `jwt:\n  issuer: ${ISSUER}\n  audience: semgate\n  jwks_url: ${url}\n  algorithms: [RS256]\n  max_ttl: 3600\n  jwks_cache_ttl: 10\n`,
  });
  s = await startTestServer(cfg.dir);
});
afterAll(async () => {
  await s?.close();
  idp?.close();
});

const totals = (token: string, headers: Record<string, string> = {}) => s.req('POST', '/v1/query', { key: token, body: { dataset: 'sales', metrics: ['n', 'revenue'] }, headers });

describe('JWT over REST and OData', () => {
  it('tokens of two tenants see only their own rows', async () => {
    for (const tenant of ['acme', 'globex']) {
      const token = await sign({ tenant_id: tenant });
      const res = await totals(token);
      expect(res.status, res.text).toBe(200);
      const want = expectedSales(tenant);
      expect(res.body.rows[0]).toEqual([want.n, want.revenue]);
      const od = await s.req('GET', '/odata/sales?$select=region,n&$orderby=region', { key: token, auth: 'basic' });
      expect(od.status, od.text).toBe(200);
      expect(od.body.value).toEqual([{ region: 'EU', n: expectedSales(tenant, 'EU').n }, { region: 'US', n: expectedSales(tenant, 'US').n }]);
      const count = await s.req('GET', '/odata/sales/$count?$filter=region%20eq%20%27US%27', { key: token });
      expect(Number(count.text)).toBe(expectedSales(tenant, 'US').n);
    }
  });

  it('refuses each bad token with a 401 that says why and never echoes the token', async () => {
    const t = now();
    const es = await generateKeyPair('ES256');
    const good = await sign({});
    const [head, body] = good.split('.');
    const cases: [string, string | Promise<string>, RegExp][] = [
      ['alg none', `${b64({ alg: 'none', typ: 'JWT' })}.${body}.`, /algorithm|malformed/],
      ['an algorithm not listed', sign({}, { alg: 'ES256', key: es.privateKey }), /algorithm/],
      ['HMAC signed with the public key (algorithm confusion)', sign({}, { alg: 'HS256', key: new TextEncoder().encode(pem) }), /algorithm/],
      ['expired', sign({}, { iat: t - 700, exp: t - 100 }), /expired/],
      ['not valid yet', sign({ nbf: t + 300 }), /not valid yet/],
      ['another issuer', new SignJWT({ tenant_id: 'acme' }).setProtectedHeader({ alg: 'RS256', kid: 'k1' }).setIssuer('https://evil.test').setAudience('semgate').setIssuedAt().setExpirationTime('5m').sign(k1.privateKey), /`iss` claim/],
      ['another audience', new SignJWT({ tenant_id: 'acme' }).setProtectedHeader({ alg: 'RS256', kid: 'k1' }).setIssuer(ISSUER).setAudience('other').setIssuedAt().setExpirationTime('5m').sign(k1.privateKey), /`aud` claim/],
      ['valid for longer than max_ttl', sign({}, { iat: t, exp: t + 7200 }), /max_ttl/],
      ['no tenant claim', sign({ tenant_id: undefined }), /no `tenant_id` claim/],
      ['a malformed tenant', sign({ tenant_id: "acme' OR '1'='1" }), /not a tenant id/],
      ['a tenant that is not text', sign({ tenant_id: ['acme', 'globex'] }), /not a tenant id/],
      ['a tampered payload', `${head}.${b64({ tenant_id: 'globex', iss: ISSUER, aud: 'semgate', exp: t + 60 })}.${good.split('.')[2]}`, /signature/],
      ['an unknown kid', sign({}, { kid: 'nope' }), /kid/],
      ['filters that are not filters', sign({ filters: [{ field: 'region', op: 'sounds_like', values: ['EU'] }] }), /`filters` claim/],
    ];
    for (const [name, pending, why] of cases) {
      const token = await pending;
      const res = await totals(token);
      expect(res.status, `${name}: ${res.text}`).toBe(401);
      expect(res.headers.get('content-type'), name).toContain('application/problem+json');
      expect(res.headers.get('www-authenticate'), name).toBe('Basic realm="semgate", Bearer');
      expect(res.body.detail, name).toMatch(why);
      expect(res.text, name).not.toContain(token);
      expect(res.text, name).not.toContain(token.split('.')[1]!);
    }
  });

  it('answers 403 for a role or an allow-list that may not see the dataset, an admin role, or X-Tenant-Id', async () => {
    const viewer = await sign({ role: 'viewer' });
    expect((await s.req('POST', '/v1/query', { key: viewer, body: { dataset: 'visits', metrics: ['visits'] } })).status).toBe(403);
    expect((await totals(viewer)).status).toBe(200);
    const onlyVisits = await sign({ datasets: ['visits'] });
    const refused = await totals(onlyVisits);
    expect(refused.status).toBe(403);
    expect(refused.body.detail).toMatch(/may not query dataset 'sales'/);
    const listed = await s.req('GET', '/v1/datasets', { key: onlyVisits });
    expect(listed.body.datasets.map((d: { name: string }) => d.name)).toEqual(['visits']);
    const asAdmin = await totals(await sign({ role: 'admin' }));
    expect(asAdmin.status).toBe(403);
    expect(asAdmin.body.detail).toMatch(/admin/);
    expect((await totals(await sign({}), { 'X-Tenant-Id': 'globex' })).status).toBe(403);
  });

  it('applies a token\'s filters claim: only EU rows', async () => {
    const res = await totals(await sign({ filters: [{ field: 'region', op: 'eq', values: ['EU'] }] }));
    expect(res.status, res.text).toBe(200);
    const want = expectedSales('acme', 'EU');
    expect(res.body.rows[0]).toEqual([want.n, want.revenue]);
  });

  it('refetches the key set when a token names a kid it does not know (the provider rotated its keys)', async () => {
    const k2 = await generateKeyPair('RS256', { extractable: true });
    jwks = { keys: [{ ...(await exportJWK(k2.publicKey)), kid: 'k2', alg: 'RS256', use: 'sig' }] };
    // jose refetches at most once per cooldown (half the jwks_cache_ttl of 10 s here).
    await new Promise((r) => setTimeout(r, 5500));
    const res = await totals(await sign({}, { kid: 'k2', key: k2.privateKey }));
    expect(res.status, res.text).toBe(200);
    expect((await totals(await sign({}))).status).toBe(401); // k1 left the set
  });
});

describe('JWT verification without a JWKS', () => {
  const settings = (verifyWith: JwtSettings['verifyWith'], algorithms: JwtSettings['algorithms']): JwtSettings => ({
    issuer: ISSUER, audience: 'semgate', verifyWith, algorithms, claims: { tenant: 'tenant_id', role: 'role', filters: 'filters', datasets: 'datasets' },
    defaultRole: 'viewer', maxTtlSeconds: 3600, clockSkewSeconds: 30, jwksCacheTtlSeconds: 600,
  });

  it('a PEM public key verifies RS256 and refuses an HMAC token made with that key', async () => {
    const v = new TokenVerifier(settings({ kind: 'public_key', pem }, ['RS256']), null);
    expect(await v.verify(await sign({ tenant_id: 'globex' }))).toMatchObject({ kind: 'jwt', tenant: 'globex', role: 'analyst' });
    await expect(v.verify(await sign({}, { alg: 'HS256', key: new TextEncoder().encode(pem) }))).rejects.toMatchObject({ status: 401 });
  });

  it('a key set that cannot be fetched is a 503 (retry), not a 401', async () => {
    const v = new TokenVerifier(settings({ kind: 'jwks', url: 'http://127.0.0.1:1/jwks.json' }, ['RS256']), null);
    await expect(v.verify(await sign({}))).rejects.toMatchObject({ status: 503, code: 'auth.jwks_unavailable' });
  });

  it('an HMAC secret verifies HS256 only', async () => {
    const secret = 'x'.repeat(40);
    const v = new TokenVerifier(settings({ kind: 'secret', secret }, ['HS256']), null);
    const hs = await sign({}, { alg: 'HS256', key: new TextEncoder().encode(secret) });
    expect((await v.verify(hs)).tenant).toBe('acme');
    await expect(v.verify(await sign({}, { alg: 'HS384', key: new TextEncoder().encode(secret) }))).rejects.toMatchObject({ status: 401 });
    await expect(v.verify(await sign({}, { alg: 'HS256', key: new TextEncoder().encode('y'.repeat(40)) }))).rejects.toMatchObject({ status: 401 });
  });
});

describe('rate limits of token principals', () => {
  it('count per subject, like a key', async () => {
    const secret = 'z'.repeat(40);
    const cfg = writeAuthConfig({ tag: 'jwtrate', noStore: true, extra: `jwt:\n  secret: "${secret}"\n  algorithms: [HS256]\ndefaults: { rate_limit: "2/minute" }\n` });
    const server = await startTestServer(cfg.dir);
    try {
      const key = new TextEncoder().encode(secret);
      const token = (sub: string) => new SignJWT({ tenant_id: 'acme' }).setProtectedHeader({ alg: 'HS256' }).setSubject(sub).setIssuedAt().setExpirationTime('5m').sign(key);
      const a = await token('alice');
      const a2 = await token('alice'); // another token of the same subject shares the count
      const statuses = [];
      for (const t of [a, a2, a]) statuses.push((await server.req('GET', '/v1/datasets', { key: t })).status);
      expect(statuses).toEqual([200, 200, 429]);
      expect((await server.req('GET', '/v1/datasets', { key: await token('bob') })).status).toBe(200);
    } finally {
      await server.close();
    }
  });
});
