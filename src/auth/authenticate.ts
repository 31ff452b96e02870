/**
 * What the caller sent -> who they are. In order: a key of api-keys.yaml (in memory), a
 * signed token (JWT or guest token), a key of the key store (cached, else looked up once).
 * A store that cannot answer is a 503, never a 401 (a BI tool forgets credentials on a 401)
 * and never a pass.
 */
import { hash } from 'node:crypto';
import type { ApiKey, Catalog, RateSubject } from '../catalog/types.ts';
import type { Principal } from '../query/types.ts';
import { checkKey, KeyIndex, principalOfKey, unauthorized } from './keys.ts';
import { KeyStore } from './key-store.ts';
import { looksLikeToken, TokenVerifier, type TokenClaims } from './tokens.ts';


/** Schemes other clients send that we may name back (a word from a known list is no secret; anything else might be a key). */
const KNOWN_OTHER_SCHEMES = new Map(['Token', 'ApiKey', 'Api-Key', 'Key', 'Digest', 'Negotiate', 'NTLM', 'OAuth', 'Hawk', 'HOBA', 'Mutual', 'DPoP',
  'AWS4-HMAC-SHA256', 'SCRAM-SHA-256', 'SCRAM-SHA-1', 'VAPID', 'Splunk', 'SSWS', 'GenieKey'].map((s) => [s.toLowerCase(), s]));

const HOW = 'send `Authorization: Bearer <key>`, or HTTP Basic with the key as the password (any user name), or `X-API-Key: <key>`';

/**
 * Why an `Authorization` header gave no key (null when it gave one, or there is none): an
 * unknown scheme, none at all, or a Bearer/Basic without a key. Never echoes the value, and
 * names the scheme only when it is a well-known word.
 */
export function authorizationProblem(header: string | undefined): string | null {
  const text = header?.trim() ?? '';
  if (text === '') return null;
  const space = text.search(/\s/);
  const scheme = (space < 0 ? text : text.slice(0, space)).toLowerCase();
  const value = space < 0 ? '' : text.slice(space + 1).trim();
  if (space < 0 && scheme !== 'bearer' && scheme !== 'basic' && !KNOWN_OTHER_SCHEMES.has(scheme)) {
    return `The Authorization header has no scheme before the key: ${HOW}.`;
  }
  if (scheme === 'bearer') return value === '' ? `The Authorization header says Bearer but carries no key: ${HOW}.` : null;
  if (scheme === 'basic') {
    const decoded = Buffer.from(value, 'base64').toString('utf8');
    const colon = decoded.indexOf(':');
    return colon >= 0 && decoded.slice(colon + 1) !== '' ? null
      : `The Authorization header's Basic credentials carry no password: send the key as the password (any user name), as user:key in base64.`;
  }
  const known = KNOWN_OTHER_SCHEMES.get(scheme);
  return `The Authorization header uses ${known !== undefined ? `the scheme '${known}', which` : 'a scheme that'} semgate does not read: ${HOW}.`;
}

export interface Authenticated {
  readonly principal: Principal;
  readonly subject: RateSubject;
}

function principalOfToken(t: TokenClaims): Authenticated {
  const principal: Principal = Object.freeze({
    keyId: t.subjectId, tenant: t.tenant, role: t.role, isAdmin: false,
    allowedDatasets: t.datasets === null ? null : Object.freeze([...t.datasets]),
    ...(t.filters !== null && t.filters.length > 0 && { filters: t.filters }),
  });
  return { principal, subject: { id: t.subjectId, tenant: t.tenant, rateLimit: null } };
}

/** The ways in of one configuration: the file's keys, and the store and tokens when configured. */
export class Authenticator {
  private readonly storePrincipals = new WeakMap<ApiKey, Principal>();
  constructor(readonly index: KeyIndex, readonly store: KeyStore | null, readonly tokens: TokenVerifier | null) {}

  private ofKey(k: ApiKey, now: number, fromStore: boolean): Authenticated {
    checkKey(k, now);
    let principal = fromStore ? this.storePrincipals.get(k) : this.index.principalOf(k);
    if (!principal) {
      principal = principalOfKey(k);
      this.storePrincipals.set(k, principal);
    }
    return { principal, subject: k };
  }

  /**
   * Without waiting when it can: a key of the file, or a store key (or miss) in the cache.
   * Undefined when only `authenticate` can tell (a token, or a store lookup).
   */
  authenticateNow(presented: string | null, now = Date.now()): Authenticated | undefined {
    if (!presented) throw unauthorized('An API key is required.');
    const digest = hash('sha256', presented, 'buffer');
    const fromFile = this.index.findDigest(digest);
    if (fromFile) return this.ofKey(fromFile, now, false);
    if (this.tokens?.enabled && looksLikeToken(presented)) return undefined;
    if (!this.store) throw unauthorized('The API key is not valid.');
    const cached = this.store.cached(digest.toString('hex'));
    if (cached === undefined) return undefined;
    return this.ofKey(checkKey(cached, now), now, true);
  }

  async authenticate(presented: string | null, now = Date.now()): Promise<Authenticated> {
    const known = this.authenticateNow(presented, now);
    if (known) return known;
    const text = presented!;
    if (this.tokens?.enabled && looksLikeToken(text)) return principalOfToken(await this.tokens.verify(text, new Date(now)));
    const k = await this.store!.lookup(hash('sha256', text, 'hex'));
    return this.ofKey(checkKey(k, now), now, true);
  }

  /** Closes what this configuration opened, unless `next` carries it on. */
  async close(next: Authenticator | null = null): Promise<void> {
    if (this.store && this.store !== next?.store) await this.store.close();
  }
}

/** The authenticator of a configuration; `previous` lends its store when the settings did not change. */
export function authenticatorFor(catalog: Catalog, previous: Authenticator | null = null): Authenticator {
  const ks = catalog.keyStore;
  const source = ks ? catalog.sources.get(ks.source) : undefined;
  let store: KeyStore | null = null;
  if (ks && source) store = previous?.store?.sameAs(source, ks) ? previous.store : new KeyStore(source, ks);
  const tokens = catalog.jwt || catalog.guestTokens ? new TokenVerifier(catalog.jwt, catalog.guestTokens) : null;
  return new Authenticator(new KeyIndex(catalog.apiKeys), store, tokens);
}
