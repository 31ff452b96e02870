import { LRUCache } from 'lru-cache';
import type { ApiKey } from './types.ts';

/** What keys share: most of a large file's keys differ only by their digest. */
type Profile = Omit<ApiKey, 'id' | 'hash' | 'description'>;

/** A key as the builder hands it over: its id is derived from its digest. */
export type KeyEntry = Omit<ApiKey, 'id'>;

const DIGEST = 32;
/** `k_` + 12 hex digits: the first 6 bytes of the digest. */
const ID_BYTES = 6;

/** File positions below this fit beside a 32-bit digest prefix in a double (2^32 * 2^21 < 2^53). */
const POSITION_BITS = 2 ** 21;

/**
 * The order of the `n` digests in `digests` (32 bytes each): by digest, then by position.
 * A numeric sort of (first 4 bytes, position) packed in doubles, then the rare runs that share
 * their first 4 bytes by the whole digest: several times faster than sorting hex strings.
 */
export function sortDigests(digests: Buffer, n: number): Uint32Array {
  const order = new Uint32Array(n);
  // `source.compare(target, tStart, tEnd, sStart, sEnd)` orders the source range against the target's.
  const cmp = (a: number, b: number): number => digests.compare(digests, b * DIGEST, (b + 1) * DIGEST, a * DIGEST, (a + 1) * DIGEST) || a - b;
  if (n >= POSITION_BITS) {
    for (let i = 0; i < n; i++) order[i] = i;
    return order.sort(cmp);
  }
  const packed = new Float64Array(n);
  for (let i = 0; i < n; i++) packed[i] = digests.readUInt32BE(i * DIGEST) * POSITION_BITS + i;
  packed.sort();
  for (let i = 0; i < n; i++) order[i] = packed[i]! % POSITION_BITS;
  for (let i = 0; i < n;) {
    const prefix = Math.floor(packed[i]! / POSITION_BITS);
    let j = i + 1;
    while (j < n && Math.floor(packed[j]! / POSITION_BITS) === prefix) j++;
    if (j - i > 1) order.subarray(i, j).sort(cmp);
    i = j;
  }
  return order;
}

/**
 * The keys of api-keys.yaml in a compact form: every SHA-256 digest in one Buffer sorted
 * for binary search, and the settings keys share kept once ("profiles"). 100,000 keys as
 * objects with a Buffer and a Map entry each took about 60 MB; here they take about 4 MB.
 * `ApiKey` objects are made on demand and the recently used ones kept (bounded), so the
 * rate limiter and the principal cache see the same object for a key while it is in use.
 * Private `#` fields: the catalog's deep freeze leaves them (and the cache) alone.
 */
export class KeyTable implements Iterable<ApiKey> {
  readonly #digests: Buffer;
  /** Sorted position -> position in the file, and back. */
  readonly #fileIndex: Uint32Array;
  readonly #sortedIndex: Uint32Array;
  readonly #profileOf: Uint32Array;
  readonly #profiles: readonly Profile[];
  readonly #descriptions: ReadonlyMap<number, string>;
  readonly #made = new LRUCache<number, ApiKey>({ max: 10_000 });

  constructor(entries: readonly KeyEntry[]) {
    const n = entries.length;
    const inFile = Buffer.allocUnsafe(n * DIGEST);
    const profileIds = new Map<string, number>();
    const profiles: Profile[] = [];
    const profileInFile = new Uint32Array(n);
    const descriptions = new Map<number, string>();
    for (let i = 0; i < n; i++) {
      const e = entries[i]!;
      e.hash.copy(inFile, i * DIGEST);
      // Most keys of a large file set only tenant and role: a short id, and no object per key.
      const id = e.rateLimit === null && e.expiresAt === null && e.allowedDatasets === null && e.enabled && !e.explain && !e.plaintext
        ? `s${e.tenant ?? '\u0001'}\u0000${e.role}`
        : JSON.stringify([e.tenant, e.role, e.rateLimit, e.expiresAt?.getTime() ?? null, e.allowedDatasets, e.enabled, e.explain, e.plaintext]);
      let pi = profileIds.get(id);
      if (pi === undefined) {
        pi = profiles.length;
        profiles.push(Object.freeze({
          tenant: e.tenant, role: e.role, rateLimit: e.rateLimit, expiresAt: e.expiresAt,
          allowedDatasets: e.allowedDatasets ? Object.freeze([...e.allowedDatasets]) : null, enabled: e.enabled, explain: e.explain, plaintext: e.plaintext,
        }));
        profileIds.set(id, pi);
      }
      profileInFile[i] = pi;
      if (e.description !== undefined) descriptions.set(i, e.description);
    }
    const order = sortDigests(inFile, n);
    this.#digests = Buffer.allocUnsafe(n * DIGEST);
    this.#fileIndex = new Uint32Array(n);
    this.#sortedIndex = new Uint32Array(n);
    this.#profileOf = new Uint32Array(n);
    for (let sortedAt = 0; sortedAt < n; sortedAt++) {
      const fileAt = order[sortedAt]!;
      inFile.copy(this.#digests, sortedAt * DIGEST, fileAt * DIGEST, (fileAt + 1) * DIGEST);
      this.#fileIndex[sortedAt] = fileAt;
      this.#sortedIndex[fileAt] = sortedAt;
      this.#profileOf[sortedAt] = profileInFile[fileAt]!;
    }
    this.#profiles = profiles;
    this.#descriptions = descriptions;
  }

  get length(): number {
    return this.#fileIndex.length;
  }

  /** The first sorted position whose first `bytes` bytes are not below `target`'s. */
  #lowerBound(target: Buffer, bytes: number): number {
    let lo = 0;
    let hi = this.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.#digests.compare(target, 0, bytes, mid * DIGEST, mid * DIGEST + bytes) < 0) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  #matches(at: number, target: Buffer, bytes: number): boolean {
    return at < this.length && this.#digests.compare(target, 0, bytes, at * DIGEST, at * DIGEST + bytes) === 0;
  }

  /** The key whose SHA-256 is `digest`, or null. */
  findDigest(digest: Buffer): ApiKey | null {
    const at = this.#lowerBound(digest, DIGEST);
    return this.#matches(at, digest, DIGEST) ? this.#make(at) : null;
  }

  /** The key of a `k_<12 hex>` id (the first in the file if two share it), or null. */
  findId(id: string): ApiKey | null {
    if (!/^k_[0-9a-f]{12}$/.test(id)) return null;
    const prefix = Buffer.from(id.slice(2), 'hex');
    let at = this.#lowerBound(prefix, ID_BYTES);
    let best: number | null = null;
    for (; this.#matches(at, prefix, ID_BYTES); at++) {
      if (best === null || this.#fileIndex[at]! < this.#fileIndex[best]!) best = at;
    }
    return best === null ? null : this.#make(best);
  }

  /** The i-th key of the file. */
  at(i: number): ApiKey | undefined {
    return i >= 0 && i < this.length ? this.#make(this.#sortedIndex[i]!) : undefined;
  }

  *[Symbol.iterator](): Iterator<ApiKey> {
    for (let i = 0; i < this.length; i++) yield this.at(i)!;
  }

  /** Every key in file order (tests and tools; a large file makes many objects). */
  list(): ApiKey[] {
    return [...this];
  }

  /** Every tenant some key of the file names, sorted (from the shared settings: no key objects made). */
  tenants(): string[] {
    return [...new Set(this.#profiles.map((p) => p.tenant).filter((t): t is string => t !== null))].sort();
  }

  /** The digests in hex, sorted, joined by commas: a value every replica derives alike. */
  digestMaterial(): string {
    const out: string[] = [];
    for (let at = 0; at < this.length; at++) out.push(this.#digests.toString('hex', at * DIGEST, (at + 1) * DIGEST));
    return out.join(',');
  }

  #make(at: number): ApiKey {
    let k = this.#made.get(at);
    if (k === undefined) {
      const hash = this.#digests.subarray(at * DIGEST, (at + 1) * DIGEST);
      const description = this.#descriptions.get(this.#fileIndex[at]!);
      k = Object.freeze({
        id: `k_${hash.toString('hex', 0, ID_BYTES)}`,
        hash,
        ...this.#profiles[this.#profileOf[at]!]!,
        ...(description !== undefined && { description }),
      });
      this.#made.set(at, k);
    }
    return k;
  }
}
