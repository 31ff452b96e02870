/**
 * Signed tokens as credentials: JWTs from the customer's identity provider (`jwt:`) and the
 * guest tokens this gateway mints (`guest_tokens:`), both verified with `jose`. A token says
 * its tenant, role, and optionally `datasets` (an allow-list) and `filters` (ANDed into every
 * query by the planner). Every refusal is a 401 that says why and never echoes the token.
 */
import { createHash, createPublicKey, type KeyObject } from 'node:crypto';
import { createRemoteJWKSet, decodeJwt, errors, jwtVerify, type JWTPayload, type JWTVerifyGetKey } from 'jose';
import { TENANT_ID_PATTERN, type GuestTokenSettings, type JwtSettings } from '../catalog/types.ts';
import { GatewayError, forbidden } from '../errors.ts';
import { parseSemanticQuery } from '../query/parse.ts';
import type { QueryFilter } from '../query/types.ts';

/** `iss` and `aud` of the guest tokens this gateway mints: never accepted as a customer JWT. */
export const GUEST_ISSUER = 'semgate:guest';
const GUEST_ALGORITHM = 'HS256';
const ROLE_PATTERN = /^[a-z][a-z0-9_]*$/;
const TOKEN_SHAPE = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*$/;

/** What a verified token says about its bearer. */
export interface TokenClaims {
  readonly kind: 'jwt' | 'guest';
  /** A stable, non-personal id of the subject: for logs, audit and the per-subject rate limit. */
  readonly subjectId: string;
  readonly tenant: string;
  readonly role: string;
  readonly datasets: readonly string[] | null;
  readonly filters: readonly QueryFilter[] | null;
}

export const invalidToken = (why: string, cause?: unknown): GatewayError =>
  new GatewayError('auth.invalid_token', 401, `The token is not accepted: ${why}`, {
    headers: { 'WWW-Authenticate': 'Basic realm="semgate", Bearer' }, cause,
  });

/** Three base64url parts: a compact JWS (an API key never has dots). */
export function looksLikeToken(presented: string): boolean {
  return presented.length < 16_384 && TOKEN_SHAPE.test(presented);
}

/** A short id of a token's subject for logs, audit lines and rate limits: never personal data. */
export function idOf(prefix: 'g_' | 't_', ...parts: string[]): string {
  return `${prefix}${createHash('sha256').update(parts.join('\0')).digest('hex').slice(0, 12)}`;
}

/** jose's refusals, in words an integrator can act on (no token text in them). */
function why(err: unknown): GatewayError {
  if (err instanceof GatewayError) return err;
  if (err instanceof errors.JWTExpired) return invalidToken('it has expired.', err);
  if (err instanceof errors.JWTClaimValidationFailed) {
    const claim = err.claim === 'nbf' ? 'it is not valid yet (nbf).' : `its \`${err.claim}\` claim is not the one expected (${err.reason}).`;
    return invalidToken(claim, err);
  }
  if (err instanceof errors.JOSEAlgNotAllowed) return invalidToken('its signing algorithm is not one this gateway accepts.', err);
  if (err instanceof errors.JWKSNoMatchingKey) return invalidToken('no key of the identity provider\'s key set matches its `kid`.', err);
  if (err instanceof errors.JWKSTimeout || err instanceof errors.JWKSInvalid || (err instanceof Error && /fetch|network|ECONN/i.test(err.message) && !(err instanceof errors.JOSEError))) {
    return new GatewayError('auth.jwks_unavailable', 503, 'The identity provider\'s key set could not be fetched, so the token cannot be checked now. Retry shortly.', {
      headers: { 'Retry-After': '5' }, cause: err,
    });
  }
  if (err instanceof errors.JWSSignatureVerificationFailed) return invalidToken('its signature does not verify.', err);
  if (err instanceof errors.JOSENotSupported) return invalidToken('it uses an algorithm or key type this gateway does not support.', err);
  return invalidToken('it is malformed.', err);
}

/** The claims a token may carry beyond its identity: an allow-list of datasets and row filters. */
function narrowing(payload: JWTPayload, datasetsClaim: string, filtersClaim: string): { datasets: readonly string[] | null; filters: readonly QueryFilter[] | null } {
  const datasets = payload[datasetsClaim];
  if (datasets !== undefined && (!Array.isArray(datasets) || !datasets.every((d) => typeof d === 'string'))) {
    throw invalidToken(`its \`${datasetsClaim}\` claim must be a list of dataset names.`);
  }
  const filters = payload[filtersClaim];
  if (filters === undefined) return { datasets: datasets ?? null, filters: null };
  try {
    // The same schema as a query's filters: one shape everywhere.
    const parsed = parseSemanticQuery({ dataset: 'token', metrics: ['token'], filters });
    return { datasets: datasets ?? null, filters: Object.freeze(parsed.filters ?? []) };
  } catch (err) {
    throw invalidToken(`its \`${filtersClaim}\` claim is not a list of query filters (${(err as Error).message})`);
  }
}

function identity(payload: JWTPayload, tenantClaim: string, roleClaim: string, defaultRole: string): { tenant: string; role: string } {
  const tenant = payload[tenantClaim];
  if (tenant === undefined) throw invalidToken(`it has no \`${tenantClaim}\` claim (the tenant).`);
  if (typeof tenant !== 'string' || !TENANT_ID_PATTERN.test(tenant)) {
    throw invalidToken(`its \`${tenantClaim}\` claim is not a tenant id (1 to 64 letters, digits, _ or -).`);
  }
  const role = payload[roleClaim] ?? defaultRole;
  if (typeof role !== 'string' || !ROLE_PATTERN.test(role)) throw invalidToken(`its \`${roleClaim}\` claim is not a role name.`);
  // Admin sees every tenant: only a key of api-keys.yaml may be one, never a signed claim.
  if (role === 'admin') throw forbidden('token_admin', 'A token may not carry the admin role; admin keys are configured in api-keys.yaml.');
  return { tenant, role };
}

/** Verifies the tokens of one configuration; built with it, rebuilt on reload. */
export class TokenVerifier {
  private readonly jwtKey: JWTVerifyGetKey | KeyObject | Uint8Array | null;
  private readonly guestKey: Uint8Array | null;
  constructor(private readonly jwt: JwtSettings | null, private readonly guest: GuestTokenSettings | null) {
    const w = jwt?.verifyWith;
    this.jwtKey = !w ? null
      : w.kind === 'jwks' ? createRemoteJWKSet(new URL(w.url), {
        cacheMaxAge: jwt!.jwksCacheTtlSeconds * 1000,
        // An unknown `kid` refetches the set (the provider rotated its keys), at most this often.
        cooldownDuration: Math.min(30_000, jwt!.jwksCacheTtlSeconds * 500),
        timeoutDuration: 5000,
      })
        : w.kind === 'public_key' ? createPublicKey(w.pem) : new TextEncoder().encode(w.secret);
    this.guestKey = guest ? new TextEncoder().encode(guest.secret) : null;
  }

  get enabled(): boolean {
    return this.jwt !== null || this.guest !== null;
  }

  async verify(token: string, now = new Date()): Promise<TokenClaims> {
    let unverified: JWTPayload;
    try {
      unverified = decodeJwt(token);
    } catch (err) {
      throw invalidToken('it is not a well-formed JWT.', err);
    }
    try {
      if (unverified.iss === GUEST_ISSUER) return await this.verifyGuest(token, now);
      return await this.verifyJwt(token, now);
    } catch (err) {
      throw why(err);
    }
  }

  private async verifyGuest(token: string, now: Date): Promise<TokenClaims> {
    if (!this.guestKey || !this.guest) throw invalidToken('guest tokens are not enabled on this gateway.');
    const { payload } = await jwtVerify(token, this.guestKey, {
      issuer: GUEST_ISSUER, audience: GUEST_ISSUER, algorithms: [GUEST_ALGORITHM], requiredClaims: ['exp', 'iat', 'jti'],
      currentDate: now, clockTolerance: 5,
    });
    const { tenant, role } = identity(payload, 'tenant', 'role', 'viewer');
    return { kind: 'guest', subjectId: idOf('g_', payload.jti!), tenant, role, ...narrowing(payload, 'datasets', 'filters') };
  }

  private async verifyJwt(token: string, now: Date): Promise<TokenClaims> {
    const jwt = this.jwt;
    if (!jwt || !this.jwtKey) throw invalidToken('JWTs are not enabled on this gateway.');
    const options = {
      algorithms: [...jwt.algorithms], requiredClaims: ['exp'], currentDate: now, clockTolerance: jwt.clockSkewSeconds,
      ...(jwt.issuer !== null && { issuer: jwt.issuer }),
      ...(jwt.audience !== null && { audience: typeof jwt.audience === 'string' ? jwt.audience : [...jwt.audience] }),
    };
    const key = this.jwtKey;
    const { payload } = typeof key === 'function' ? await jwtVerify(token, key, options) : await jwtVerify(token, key, options);
    // A long-lived token is a password in disguise: refuse what lives longer than max_ttl.
    const from = payload.iat ?? payload.nbf ?? Math.floor(now.getTime() / 1000);
    if (payload.exp! - from > jwt.maxTtlSeconds + jwt.clockSkewSeconds) {
      throw invalidToken(`it is valid for ${payload.exp! - from} s, longer than this gateway's max_ttl of ${jwt.maxTtlSeconds} s.`);
    }
    const { tenant, role } = identity(payload, jwt.claims.tenant, jwt.claims.role, jwt.defaultRole);
    const subject = typeof payload.sub === 'string' ? payload.sub : `${payload.jti ?? token}`;
    return { kind: 'jwt', subjectId: idOf('t_', payload.iss ?? '', subject), tenant, role, ...narrowing(payload, jwt.claims.datasets, jwt.claims.filters) };
  }
}
