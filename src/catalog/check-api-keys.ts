/** Rules of api-keys.yaml that the JSON Schema cannot express, and checks against the catalog. */
import type { IssueSink } from './positions.ts';
import type { CatalogFacts } from './check-catalog.ts';
import { list, obj, objects, str, type RawObject } from './raw.ts';
import { BUILT_IN_ROLES, parseExpiry } from './rules.ts';
import { didYouMean, didYouMeanOrList } from '../suggest.ts';
import { sha256 } from '../digest.ts';
import { sortDigests } from './key-table.ts';

const KEY_HASH = /^sha256:([0-9a-fA-F]{64})$/;

/** SHA-256 of a key entry in lowercase hex: hashed from `key`, or read from `key_hash`; null if neither is usable. */
export function keyHexOf(item: RawObject): string | null {
  const key = str(item['key']);
  if (key !== undefined && key !== '') return sha256(key).toString('hex');
  const m = KEY_HASH.exec(str(item['key_hash']) ?? '');
  return m ? m[1]!.toLowerCase() : null;
}

/**
 * Writes the SHA-256 of a key entry at `out[at, at + 32)`: hashed from `key`, or decoded from
 * `key_hash` (the same entries as keyHexOf: Node's hex decoding stops at the first pair that
 * is not hex, so 32 bytes written means 64 hex digits); false if neither is usable.
 */
export function writeKeyDigest(item: RawObject, out: Buffer, at: number): boolean {
  const key = str(item['key']);
  if (key !== undefined && key !== '') {
    sha256(key).copy(out, at);
    return true;
  }
  const text = str(item['key_hash']);
  return text !== undefined && text.length === 71 && text.startsWith('sha256:') && out.write(text.slice(7), at, 32, 'hex') === 32;
}

/** SHA-256 of a key entry: hashed from `key`, or decoded from `key_hash`; null if neither is usable. */
export function keyHashOf(item: RawObject): Buffer | null {
  const out = Buffer.allocUnsafe(32);
  return writeKeyDigest(item, out, 0) ? out : null;
}

/**
 * True when no two entries have the same key. One sort of the digests (duplicates end up
 * side by side) instead of a map of 100,000 hex strings; only a file with a duplicate pays
 * for the map that says which entry it repeats.
 */
function allKeysDistinct(items: readonly { item: RawObject }[]): boolean {
  const digests = Buffer.allocUnsafe(items.length * 32);
  let n = 0;
  for (const { item } of items) if (writeKeyDigest(item, digests, n * 32)) n++;
  const order = sortDigests(digests, n);
  for (let i = 1; i < n; i++) {
    const a = order[i - 1]! * 32;
    const b = order[i]! * 32;
    if (digests.readUInt32BE(a) === digests.readUInt32BE(b) && digests.compare(digests, a, a + 32, b, b + 32) === 0) return false;
  }
  return true;
}

/** The path of a field of the `index`-th key entry (no closure per entry: 100,000 of them add up). */
function keyPath(index: number, ...rest: (string | number)[]): (string | number)[] {
  return ['api_keys', index, ...rest];
}

/** `catalog` is null when catalog.yaml could not be read: cross-file checks are skipped then. */
export function checkApiKeys(raw: unknown, catalog: CatalogFacts | null, sink: IssueSink, now = new Date()): void {
  const seen = new Map<string, number>();
  const entries = objects(obj(raw)?.['api_keys']);
  const distinct = allKeysDistinct(entries);
  for (const { item, index } of entries) {
    const hasKey = item['key'] !== undefined;
    const hasHash = item['key_hash'] !== undefined;
    if (hasKey && hasHash) {
      sink.error(keyPath(index, 'key'), 'write either `key` or `key_hash`, not both; keep `key_hash` and delete this plaintext `key`.', { key: true });
    } else if (!hasKey && !hasHash) {
      sink.error(keyPath(index), 'this entry has no key: add `key_hash: "sha256:<64 hex digits>"` (`semgate keys create` prints one).');
    } else if (hasKey) {
      sink.warning(keyPath(index, 'key'), 'plaintext key in the file: store `key_hash: "sha256:<hex of its SHA-256>"` instead, so the file no longer holds the secret.', { key: true });
    }

    const hex = distinct ? null : keyHexOf(item);
    if (hex !== null) {
      const first = seen.get(hex);
      // Never echo the key itself: messages end up in logs.
      if (first !== undefined) {
        const line = sink.positionOf(['api_keys', first]).line;
        sink.error(keyPath(index, hasKey ? 'key' : 'key_hash'), `this is the same key as the entry at line ${line}; every key must be unique, so each one identifies a single tenant and role.`);
      } else {
        seen.set(hex, index);
      }
    }

    const role = str(item['role']);
    if (role !== undefined && role !== 'admin' && item['tenant'] === undefined) {
      sink.error(keyPath(index), `a key with role \`${role}\` needs a \`tenant:\`; only \`role: admin\` keys may omit it.`);
    }
    if (role !== undefined && catalog && !BUILT_IN_ROLES.includes(role) && !catalog.roles.has(role)) {
      const known = [...new Set([...BUILT_IN_ROLES, ...catalog.roles])];
      sink.warning(keyPath(index, 'role'), `role \`${role}\` is not built in and not named in the catalog's \`roles\` lists, so it can only see datasets and fields open to every role.${didYouMean(role, known)}`);
    }

    const expires = str(item['expires_at']);
    if (expires !== undefined) {
      const date = parseExpiry(expires);
      if (!date) {
        sink.error(keyPath(index, 'expires_at'), `\`${expires}\` is not a date: write ISO 8601, for example \`2027-01-31\` or \`2027-01-31T00:00:00Z\`.`);
      } else if (date.getTime() <= now.getTime()) {
        sink.warning(keyPath(index, 'expires_at'), 'this key has already expired and will be refused; remove the entry, or move `expires_at` into the future.');
      }
    }

    if (catalog) checkAllowedDatasets(item, index, catalog, sink);
  }
  checkTenantCase(raw, sink);
}

/**
 * Tenant ids that differ only by case (`ACME`, `acme`) are refused: a case-insensitive
 * collation (MySQL's default) or schema name would give one of them the other's rows.
 */
function checkTenantCase(raw: unknown, sink: IssueSink): void {
  const first = new Map<string, { id: string; path: (string | number)[] }>();
  const see = (id: string | undefined, pathOf: (string | number)[] | number, key = false): void => {
    if (id === undefined) return;
    const lower = id.toLowerCase();
    const seen = first.get(lower);
    if (seen !== undefined && seen.id === id) return; // most keys: a tenant seen before, spelt alike
    const path = typeof pathOf === 'number' ? ['api_keys', pathOf, 'tenant'] : pathOf;
    if (!seen) {
      first.set(lower, { id, path });
    } else {
      const line = sink.positionOf(seen.path, { key: seen.path[0] === 'tenants' }).line;
      sink.error(path, `tenant \`${id}\` differs only by case from \`${seen.id}\` (line ${line}): tenant ids must differ by more than case, or one tenant could read the other's rows where names are compared without case. Use one spelling.`, { key });
    }
  };
  for (const { item, index } of objects(obj(raw)?.['api_keys'])) see(str(item['tenant']), index);
  for (const id of Object.keys(obj(obj(raw)?.['tenants']) ?? {})) see(id, ['tenants', id], true);
}

function checkAllowedDatasets(item: RawObject, index: number, catalog: CatalogFacts, sink: IssueSink): void {
  for (const [i, name] of list(item['allowed_datasets']).entries()) {
    if (typeof name !== 'string' || catalog.datasets.has(name)) continue;
    const known = [...catalog.datasets];
    const hint = didYouMeanOrList(name, known, 'Datasets');
    sink.error(keyPath(index, 'allowed_datasets', i), `dataset \`${name}\` is not in catalog.yaml.${hint}`);
  }
}
