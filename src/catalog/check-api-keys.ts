/** Rules of api-keys.yaml that the JSON Schema cannot express, and checks against the catalog. */
import type { IssueSink } from './positions.ts';
import type { CatalogFacts } from './check-catalog.ts';
import { list, obj, objects, str, type RawObject } from './raw.ts';
import { BUILT_IN_ROLES, parseExpiry } from './rules.ts';
import { didYouMean, didYouMeanOrList } from '../suggest.ts';
import { sha256 } from '../digest.ts';

const KEY_HASH = /^sha256:([0-9a-fA-F]{64})$/;

/** SHA-256 of a key entry in lowercase hex: hashed from `key`, or read from `key_hash`; null if neither is usable. */
export function keyHexOf(item: RawObject): string | null {
  const key = str(item['key']);
  if (key !== undefined && key !== '') return sha256(key).toString('hex');
  const m = KEY_HASH.exec(str(item['key_hash']) ?? '');
  return m ? m[1]!.toLowerCase() : null;
}

/** SHA-256 of a key entry: hashed from `key`, or decoded from `key_hash`; null if neither is usable. */
export function keyHashOf(item: RawObject): Buffer | null {
  const hex = keyHexOf(item);
  return hex === null ? null : Buffer.from(hex, 'hex');
}

/** `catalog` is null when catalog.yaml could not be read: cross-file checks are skipped then. */
export function checkApiKeys(raw: unknown, catalog: CatalogFacts | null, sink: IssueSink, now = new Date()): void {
  const seen = new Map<string, number>();
  for (const { item, index } of objects(obj(raw)?.['api_keys'])) {
    const at = (...rest: (string | number)[]): (string | number)[] => ['api_keys', index, ...rest];
    const hasKey = item['key'] !== undefined;
    const hasHash = item['key_hash'] !== undefined;
    if (hasKey && hasHash) {
      sink.error(at('key'), 'write either `key` or `key_hash`, not both; keep `key_hash` and delete this plaintext `key`.', { key: true });
    } else if (!hasKey && !hasHash) {
      sink.error(at(), 'this entry has no key: add `key_hash: "sha256:<64 hex digits>"` (`semgate keys create` prints one).');
    } else if (hasKey) {
      sink.warning(at('key'), 'plaintext key in the file: store `key_hash: "sha256:<hex of its SHA-256>"` instead, so the file no longer holds the secret.', { key: true });
    }

    const hex = keyHexOf(item);
    if (hex !== null) {
      const first = seen.get(hex);
      // Never echo the key itself: messages end up in logs.
      if (first !== undefined) {
        const line = sink.positionOf(['api_keys', first]).line;
        sink.error(at(hasKey ? 'key' : 'key_hash'), `this is the same key as the entry at line ${line}; every key must be unique, so each one identifies a single tenant and role.`);
      } else {
        seen.set(hex, index);
      }
    }

    const role = str(item['role']);
    if (role !== undefined && role !== 'admin' && item['tenant'] === undefined) {
      sink.error(at(), `a key with role \`${role}\` needs a \`tenant:\`; only \`role: admin\` keys may omit it.`);
    }
    if (role !== undefined && catalog && !BUILT_IN_ROLES.includes(role) && !catalog.roles.has(role)) {
      const known = [...new Set([...BUILT_IN_ROLES, ...catalog.roles])];
      sink.warning(at('role'), `role \`${role}\` is not built in and not named in the catalog's \`roles\` lists, so it can only see datasets and fields open to every role.${didYouMean(role, known)}`);
    }

    const expires = str(item['expires_at']);
    if (expires !== undefined) {
      const date = parseExpiry(expires);
      if (!date) {
        sink.error(at('expires_at'), `\`${expires}\` is not a date: write ISO 8601, for example \`2027-01-31\` or \`2027-01-31T00:00:00Z\`.`);
      } else if (date.getTime() <= now.getTime()) {
        sink.warning(at('expires_at'), 'this key has already expired and will be refused; remove the entry, or move `expires_at` into the future.');
      }
    }

    if (catalog) checkAllowedDatasets(item, at, catalog, sink);
  }
  checkTenantCase(raw, sink);
}

/**
 * Tenant ids that differ only by case (`ACME`, `acme`) are refused: a case-insensitive
 * collation (MySQL's default) or schema name would give one of them the other's rows.
 */
function checkTenantCase(raw: unknown, sink: IssueSink): void {
  const first = new Map<string, { id: string; path: (string | number)[] }>();
  const see = (id: string | undefined, path: (string | number)[], key = false): void => {
    if (id === undefined) return;
    const seen = first.get(id.toLowerCase());
    if (!seen) {
      first.set(id.toLowerCase(), { id, path });
    } else if (seen.id !== id) {
      const line = sink.positionOf(seen.path, { key: seen.path[0] === 'tenants' }).line;
      sink.error(path, `tenant \`${id}\` differs only by case from \`${seen.id}\` (line ${line}): tenant ids must differ by more than case, or one tenant could read the other's rows where names are compared without case. Use one spelling.`, { key });
    }
  };
  for (const { item, index } of objects(obj(raw)?.['api_keys'])) see(str(item['tenant']), ['api_keys', index, 'tenant']);
  for (const id of Object.keys(obj(obj(raw)?.['tenants']) ?? {})) see(id, ['tenants', id], true);
}

function checkAllowedDatasets(item: RawObject, at: (...r: (string | number)[]) => (string | number)[], catalog: CatalogFacts, sink: IssueSink): void {
  for (const [i, name] of list(item['allowed_datasets']).entries()) {
    if (typeof name !== 'string' || catalog.datasets.has(name)) continue;
    const known = [...catalog.datasets];
    const hint = didYouMeanOrList(name, known, 'Datasets');
    sink.error(at('allowed_datasets', i), `dataset \`${name}\` is not in catalog.yaml.${hint}`);
  }
}
