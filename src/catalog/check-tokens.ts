/**
 * Rules of `key_store:`, `jwt:` and `guest_tokens:` in api-keys.yaml that the JSON Schema
 * cannot express: the store's source, one way to check a JWT's signature, and algorithms
 * that fit it (an HMAC secret with HS* only, a public key never with HS*: algorithm confusion).
 */
import { createPublicKey } from 'node:crypto';
import type { SourceFacts } from './check-sources.ts';
import type { IssueSink } from './positions.ts';
import { list, obj, str } from './raw.ts';
import { parseTableRef } from './rules.ts';
import { didYouMeanOrList } from '../suggest.ts';

/** HS256 needs a key of at least 256 bits (RFC 7518 3.2); shorter secrets are guessable. */
export const MIN_SECRET_BYTES = 32;

export function checkTokens(raw: unknown, sources: ReadonlyMap<string, SourceFacts> | null, sink: IssueSink): void {
  const top = obj(raw);
  checkKeyStore(obj(top?.['key_store']), sources, sink);
  checkJwt(obj(top?.['jwt']), sink);
  const guest = obj(top?.['guest_tokens']);
  if (guest) {
    checkSecret(str(guest['secret']), ['guest_tokens', 'secret'], sink);
    const ttl = guest['ttl'];
    const max = guest['max_ttl'];
    if (typeof ttl === 'number' && typeof max === 'number' && ttl > max) {
      sink.error(['guest_tokens', 'ttl'], `\`ttl\` (${ttl}) is over \`max_ttl\` (${max}): a guest token's default lifetime must be one it may have.`);
    }
  }
}

function checkKeyStore(ks: Record<string, unknown> | undefined, sources: ReadonlyMap<string, SourceFacts> | null, sink: IssueSink): void {
  if (!ks) return;
  const table = str(ks['table']);
  if (table !== undefined) {
    const parsed = parseTableRef(table);
    if ('error' in parsed || parsed.ref.schema === '{tenant}') {
      sink.error(['key_store', 'table'], `\`${table}\` must be \`name\` or \`schema.name\` (plain identifiers): one table for every tenant's keys.`);
    }
  }
  const name = str(ks['source']);
  if (name === undefined || sources === null) return;
  const source = sources.get(name);
  if (!source) {
    sink.error(['key_store', 'source'], `source \`${name}\` is not in sources.yaml.${didYouMeanOrList(name, [...sources.keys()], 'Sources')}`);
  } else if (source.type !== 'postgres') {
    sink.error(['key_store', 'source'], `source \`${name}\` is ${source.type ?? 'of no type'}: the key store needs a postgres source.`);
  } else if (source.perTenant) {
    sink.error(['key_store', 'source'], `source \`${name}\` opens one database per tenant (\`{tenant}\` in its connection): the key store needs one database for every tenant's keys.`);
  }
}

function checkSecret(secret: string | undefined, path: string[], sink: IssueSink): void {
  // The secret's length is told, never the secret: messages end up in logs.
  if (secret !== undefined && Buffer.byteLength(secret) < MIN_SECRET_BYTES) {
    sink.error(path, `the secret is ${Buffer.byteLength(secret)} bytes: use at least ${MIN_SECRET_BYTES} random bytes (for example \`openssl rand -base64 48\`), from an environment variable.`);
  }
}

function checkJwt(jwt: Record<string, unknown> | undefined, sink: IssueSink): void {
  if (!jwt) return;
  const ways = (['jwks_url', 'public_key', 'secret'] as const).filter((k) => jwt[k] !== undefined);
  if (ways.length !== 1) {
    sink.error(ways.length === 0 ? ['jwt'] : ['jwt', ways[1]!], ways.length === 0
      ? 'say how token signatures are checked: exactly one of `jwks_url` (your identity provider\'s keys), `public_key` (PEM) or `secret` (HMAC).'
      : `write exactly one of \`jwks_url\`, \`public_key\` and \`secret\`, not ${ways.map((w) => `\`${w}\``).join(' and ')}.`);
  }
  const algorithms = list(jwt['algorithms']).filter((a): a is string => typeof a === 'string');
  const hmac = algorithms.filter((a) => a.startsWith('HS'));
  if (jwt['secret'] !== undefined) {
    checkSecret(str(jwt['secret']), ['jwt', 'secret'], sink);
    const other = algorithms.filter((a) => !a.startsWith('HS'));
    if (other.length > 0) sink.error(['jwt', 'algorithms'], `an HMAC \`secret\` verifies HS256, HS384 and HS512 only: remove ${other.join(', ')}.`);
  } else if (hmac.length > 0 && ways.length === 1) {
    // A public key used as an HMAC secret would let anyone who has it sign tokens.
    sink.error(['jwt', 'algorithms'], `${hmac.join(', ')} ${hmac.length === 1 ? 'is' : 'are'} HMAC: with \`${ways[0]}\` only public-key algorithms (RS*, PS*, ES*, EdDSA) may be listed.`);
  }
  const pem = str(jwt['public_key']);
  if (pem !== undefined) {
    try {
      createPublicKey(pem);
    } catch {
      sink.error(['jwt', 'public_key'], '`public_key` is not a PEM public key: paste the whole `-----BEGIN PUBLIC KEY-----` block (a `|` block keeps its lines).');
    }
  }
  const url = str(jwt['jwks_url']);
  if (url !== undefined && url.startsWith('http://') && !/^http:\/\/(localhost|127\.0\.0\.1|\[::1\])[:/]/.test(url)) {
    sink.warning(['jwt', 'jwks_url'], '`jwks_url` is plain http: whoever sits between the gateway and it could serve their own keys. Use https.');
  }
}
