/**
 * The key store's table in PostgreSQL: its DDL (idempotent) and each statement the store
 * runs. Only digests are stored; the table name was validated at load (plain identifiers).
 */
import pg from 'pg';
import type { ApiKey, KeyStoreSettings, Source, TableRef } from '../catalog/types.ts';
import { pgConnectionOf } from '../sources/postgres.ts';

/** A stored key as an admin sees it: never its secret, nor its digest. */
export interface KeyInfo {
  readonly id: string;
  readonly tenant: string | null;
  readonly role: string;
  readonly source: 'store' | 'file';
  readonly created_at: string | null;
  readonly expires_at: string | null;
  readonly last_used_at: string | null;
  readonly revoked_at: string | null;
  readonly enabled: boolean;
  readonly rate_limit: string | null;
  readonly allowed_datasets: readonly string[] | null;
  readonly description: string | null;
  readonly replaced_by: string | null;
}

/** What a new key is made of; checked by `checkNewKey` (provision.ts) before it gets here. */
export interface NewKey {
  readonly tenant: string;
  readonly role: string;
  readonly expiresAt: Date | null;
  readonly rateLimit: string | null;
  readonly allowedDatasets: readonly string[] | null;
  readonly description: string | null;
}

export interface NewKeyRow extends NewKey {
  readonly id: string;
  readonly hash: Buffer;
}

export interface KeyRow {
  id: string; key_hash: Buffer; tenant: string | null; role: string; rate_limit: string | null;
  allowed_datasets: string[] | null; description: string | null; created_at: Date; expires_at: Date | null;
  revoked_at: Date | null; last_used_at: Date | null; replaced_by: string | null;
}

const COLUMNS = 'id, key_hash, tenant, role, rate_limit, allowed_datasets, description, created_at, expires_at, revoked_at, last_used_at, replaced_by';

const quote = (ident: string): string => `"${ident}"`;

export function qualifiedName(t: TableRef): string {
  return t.schema === null ? quote(t.name) : `${quote(t.schema)}.${quote(t.name)}`;
}

export function apiKeyOfRow(r: KeyRow): ApiKey {
  return Object.freeze({
    id: r.id,
    hash: r.key_hash,
    tenant: r.tenant,
    role: r.role,
    rateLimit: r.rate_limit,
    expiresAt: r.expires_at,
    allowedDatasets: r.allowed_datasets ? Object.freeze([...r.allowed_datasets]) : null,
    // A revoked key stays in the table (for the audit trail) and is refused like a disabled one.
    enabled: r.revoked_at === null,
    ...(r.description !== null && { description: r.description }),
    explain: false,
    plaintext: false,
  });
}

export function infoOfRow(r: KeyRow): KeyInfo {
  const iso = (d: Date | null): string | null => (d === null ? null : d.toISOString());
  return {
    id: r.id, tenant: r.tenant, role: r.role, source: 'store', created_at: iso(r.created_at), expires_at: iso(r.expires_at),
    last_used_at: iso(r.last_used_at), revoked_at: iso(r.revoked_at), enabled: r.revoked_at === null,
    rate_limit: r.rate_limit, allowed_datasets: r.allowed_datasets, description: r.description, replaced_by: r.replaced_by,
  };
}

/** The statements of the key store, over a small pool of its own (lookups never wait behind queries). */
export class KeyTableSql {
  readonly table: string;
  private readonly pool: pg.Pool;
  constructor(source: Source, settings: KeyStoreSettings) {
    this.table = qualifiedName(settings.table);
    this.pool = new pg.Pool({
      ...pgConnectionOf(source.connection),
      max: 4,
      // A store that does not answer is a 503 in about two seconds, not a hung request.
      connectionTimeoutMillis: 2000,
      query_timeout: 3000,
      idleTimeoutMillis: 10_000,
      allowExitOnIdle: true,
      application_name: 'semgate-keys',
    });
    this.pool.on('error', () => undefined); // a dropped idle connection is replaced on next use
  }

  /** `run` in one transaction on one connection: committed, or rolled back when it throws or returns null. */
  private async transaction<T>(run: (client: pg.PoolClient) => Promise<T | null>): Promise<T | null> {
    const client = await this.pool.connect();
    try {
      await client.query('BEGIN');
      const out = await run(client);
      await client.query(out === null ? 'ROLLBACK' : 'COMMIT');
      return out;
    } catch (err) {
      await client.query('ROLLBACK').catch(() => undefined);
      throw err;
    } finally {
      client.release();
    }
  }

  /** Creates the table (and its schema) if missing; safe to run again and from several processes. */
  async init(schema: string | null): Promise<void> {
    await this.transaction(async (client) => {
      await client.query('SELECT pg_advisory_xact_lock(hashtext($1))', [`semgate-keys:${this.table}`]);
      if (schema !== null) await client.query(`CREATE SCHEMA IF NOT EXISTS ${quote(schema)}`);
      await client.query(`CREATE TABLE IF NOT EXISTS ${this.table} (
        id text PRIMARY KEY,
        key_hash bytea NOT NULL UNIQUE CHECK (octet_length(key_hash) = 32),
        tenant text NOT NULL,
        role text NOT NULL,
        rate_limit text,
        allowed_datasets text[],
        description text,
        created_at timestamptz NOT NULL DEFAULT now(),
        expires_at timestamptz,
        revoked_at timestamptz,
        last_used_at timestamptz,
        replaced_by text)`);
      await client.query(`CREATE INDEX IF NOT EXISTS ${quote(`${this.table.replace(/"/g, '').replace('.', '_')}_tenant`)} ON ${this.table} (tenant, id)`);
      return true;
    });
  }

  /**
   * The key with this digest, or null. `last_used_at` is written at most once a minute per
   * key, in the same round trip: a lookup happens once per key per cache TTL anyway.
   */
  async lookup(digest: Buffer): Promise<ApiKey | null> {
    const { rows } = await this.pool.query<KeyRow>(`WITH k AS (SELECT ${COLUMNS} FROM ${this.table} WHERE key_hash = $1),
      u AS (UPDATE ${this.table} t SET last_used_at = now() FROM k
            WHERE t.id = k.id AND k.revoked_at IS NULL AND (k.last_used_at IS NULL OR k.last_used_at < now() - interval '60 seconds'))
      SELECT * FROM k`, [digest]);
    return rows[0] ? apiKeyOfRow(rows[0]) : null;
  }

  async byId(id: string): Promise<KeyRow | null> {
    const { rows } = await this.pool.query<KeyRow>(`SELECT ${COLUMNS} FROM ${this.table} WHERE id = $1`, [id]);
    return rows[0] ?? null;
  }

  /** Another spelling of this tenant id in the store (`ACME` for `acme`), if any. */
  async otherCase(tenant: string): Promise<string | null> {
    const { rows } = await this.pool.query<{ tenant: string }>(
      `SELECT tenant FROM ${this.table} WHERE lower(tenant) = lower($1) AND tenant <> $1 LIMIT 1`, [tenant]);
    return rows[0]?.tenant ?? null;
  }

  async insert(k: NewKeyRow, client: pg.PoolClient | pg.Pool = this.pool): Promise<KeyInfo> {
    const { rows } = await client.query<KeyRow>(`INSERT INTO ${this.table}
      (id, key_hash, tenant, role, expires_at, rate_limit, allowed_datasets, description)
      VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING ${COLUMNS}`,
    [k.id, k.hash, k.tenant, k.role, k.expiresAt, k.rateLimit, k.allowedDatasets, k.description]);
    return infoOfRow(rows[0]!);
  }

  /** Keys by id order, `after` an id (keyset paging: the millionth page costs the first's). */
  async list(opts: { tenant?: string; after?: string; limit: number }): Promise<KeyInfo[]> {
    const where: string[] = [];
    const params: unknown[] = [];
    if (opts.tenant !== undefined) where.push(`tenant = $${params.push(opts.tenant)}`);
    if (opts.after !== undefined) where.push(`id > $${params.push(opts.after)}`);
    const { rows } = await this.pool.query<KeyRow>(`SELECT ${COLUMNS} FROM ${this.table}
      ${where.length > 0 ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY id LIMIT $${params.push(opts.limit)}`, params);
    return rows.map(infoOfRow);
  }

  /** A new key replacing `old`, which expires after the grace period; one transaction. */
  async rotate(old: string, next: NewKeyRow, graceSeconds: number): Promise<{ old: KeyRow; next: KeyInfo } | null> {
    return this.transaction(async (client) => {
      const { rows } = await client.query<KeyRow>(`UPDATE ${this.table}
        SET expires_at = LEAST(COALESCE(expires_at, 'infinity'), now() + make_interval(secs => $2)), replaced_by = $3
        WHERE id = $1 AND revoked_at IS NULL AND (expires_at IS NULL OR expires_at > now()) RETURNING ${COLUMNS}`,
      [old, graceSeconds, next.id]);
      return rows[0] ? { old: rows[0], next: await this.insert(next, client) } : null;
    });
  }

  /** Marks the key revoked (kept for the record); the row, or null when there is no such key. */
  async revoke(id: string): Promise<KeyRow | null> {
    const { rows } = await this.pool.query<KeyRow>(`UPDATE ${this.table} SET revoked_at = COALESCE(revoked_at, now())
      WHERE id = $1 RETURNING ${COLUMNS}`, [id]);
    return rows[0] ?? null;
  }

  close(): Promise<void> {
    return this.pool.end().catch(() => undefined);
  }
}
