import type { KeyTable } from './key-table.ts';

/**
 * The loaded, validated configuration: what `loadConfig` returns and every later stage reads.
 * Everything here is frozen after load. Identifiers in it (table parts, column names, tenant
 * columns) have been checked by the loader, which is why they may reach SQL.
 */

/** A SQL identifier that was validated when the catalog loaded (or a validated tenant id). */
export type Ident = string & { readonly __ident: true };

export type DimensionType = 'string' | 'number' | 'boolean' | 'date' | 'timestamp';
export type MetricType = 'number' | 'integer';
export type FieldType = DimensionType | MetricType;
export type TimeGrain = 'hour' | 'day' | 'week' | 'month' | 'quarter' | 'year';
export const TIME_GRAINS: readonly TimeGrain[] = ['hour', 'day', 'week', 'month', 'quarter', 'year'];

export interface Dimension {
  readonly name: string;
  readonly label?: string;
  readonly description?: string;
  readonly type: DimensionType;
  /** Trusted SQL over the dataset's columns; `null` means the column named `name`. */
  readonly expr: string | null;
  readonly timeGrains: readonly TimeGrain[];
  /** Roles that may see this field; `null` means every role that may see the dataset. */
  readonly roles: readonly string[] | null;
}

export interface Metric {
  readonly name: string;
  readonly label?: string;
  readonly description?: string;
  readonly type: MetricType;
  /** The expression as written (may contain `{other_metric}` references). */
  readonly expr: string;
  /**
   * The expression with every `{ref}` replaced, recursively, by the referenced metric's
   * expanded SQL in parentheses: always an aggregate expression ready for SELECT/HAVING.
   */
  readonly sql: string;
  readonly derived: boolean;
  /**
   * A derived metric as written, split at its `{ref}`s: `parts` has one more item than
   * `refs`. A ref names a metric of this dataset (`dataset` is this one's) or of one it
   * reaches by joins (`{customers.customer_count}`).
   */
  readonly formula: MetricFormula | null;
  /** Some ref, here or further down, is another dataset's: computed after each is aggregated on its own. */
  readonly crossDataset: boolean;
  /**
   * Roles that may see this metric: its own `roles` narrowed by those of every metric it
   * references (and of their datasets); `null` means every role that may see the dataset.
   */
  readonly roles: readonly string[] | null;
}

export interface MetricFormula {
  readonly parts: readonly string[];
  readonly refs: readonly { readonly dataset: string; readonly metric: string }[];
}

export interface Segment {
  readonly name: string;
  readonly description?: string;
  /** Trusted SQL boolean expression over the dataset's columns. */
  readonly expr: string;
  /** Roles that may use it: those of every role-restricted field its expression reads; `null` for all. */
  readonly roles: readonly string[] | null;
}

export type Relationship = 'many_to_one' | 'one_to_one' | 'one_to_many';

/** One `joins:` entry: a LEFT JOIN from the dataset declaring it to `dataset`. */
export interface Join {
  readonly dataset: string;
  readonly relationship: Relationship;
  /** Pairs of columns, this dataset's = the joined dataset's (ANDed). */
  readonly on: readonly { readonly from: Ident; readonly to: Ident }[];
}

/** A dataset reached through joins from the one queried, and the join that reaches it. */
export interface Reached {
  /** The dataset the join is declared on (the queried dataset, or one reached before). */
  readonly via: string;
  readonly join: Join;
  readonly hops: number;
  /** Some join on the way from the queried dataset goes to many rows (one_to_many). */
  readonly fansOut: boolean;
}

/**
 * How a dataset's rows are split between tenants.
 * - shared: one table, `tenantColumn = <tenant>` added to every scan
 * - schema: `{tenant}` in `table`/`sql` replaced by the tenant's quoted schema
 * - database: `source: "{tenant}"` or a source whose connection uses `{tenant}`
 * - global: `rls: none`, the same rows for everyone
 */
export type TenantLayout =
  | { readonly kind: 'shared'; readonly tenantColumn: Ident }
  | { readonly kind: 'schema' }
  | { readonly kind: 'database' }
  | { readonly kind: 'global' };

/** A `table:` reference split into validated parts; `{tenant}` stands for the tenant's schema. */
export interface TableRef {
  readonly schema: Ident | '{tenant}' | null;
  readonly name: Ident;
}

export interface Dataset {
  readonly name: string;
  readonly label?: string;
  readonly description?: string;
  /** A source name, or `{tenant}` (database per tenant: the source named like the tenant). */
  readonly source: string;
  readonly table: TableRef | null;
  /** A trusted SELECT used as a subquery; may contain `{tenant}`. */
  readonly sql: string | null;
  readonly layout: TenantLayout;
  readonly cacheTtlSeconds: number;
  readonly maxRows: number;
  readonly timeoutMs: number;
  /** Roles that may query the dataset; `null` means every role. */
  readonly roles: readonly string[] | null;
  readonly dimensions: readonly Dimension[];
  readonly metrics: readonly Metric[];
  readonly segments: readonly Segment[];
  /** Dimensions that identify a row (`primary_key`), or null. */
  readonly primaryKey: readonly string[] | null;
  readonly joins: readonly Join[];
  /** Every dataset reachable through joins (not this one), nearest first. */
  readonly reach: ReadonlyMap<string, Reached>;
  /** `{tenant_id}` in `sql`: the tenant id, bound as a parameter. */
  readonly sqlUsesTenantId: boolean;
}

export type SourceType = 'postgres' | 'mysql' | 'duckdb';

export interface Source {
  readonly name: string;
  readonly type: SourceType;
  /**
   * Connection settings after `${VAR}` interpolation: host, port, database, user, password
   * (postgres, mysql); path (duckdb). String values may still hold `{tenant}`.
   */
  readonly connection: Readonly<Record<string, string | number | boolean>>;
  /** True when some connection value contains `{tenant}`: one pool per tenant. */
  readonly perTenant: boolean;
  readonly pool: { readonly max: number; readonly idleTimeoutMs: number; readonly maxTenantPools: number };
  /**
   * Queries at once on this replica (src/limits/concurrency.ts): the source's cap (per tenant
   * pool for a per-tenant source), one tenant's cap on it, and how long a query may wait for
   * a slot (also for a pooled connection) before 429/503.
   */
  readonly limits: { readonly maxConcurrent: number; readonly maxConcurrentPerTenant: number; readonly queueTimeoutMs: number };
  /** duckdb only: open the file read-only (the default); `read_only: false` lets queries and init_sql write. */
  readonly readOnly: boolean;
  /** postgres only: `SET LOCAL <setting> = <tenant>` around every query (defense in depth). */
  readonly nativeRls: { readonly setting: string } | null;
  /** duckdb only: SQL (inline, or a file path ending in .sql, resolved at load) run when opened. */
  readonly initSql: string | null;
}

/** Whose rate limits a request spends: a key entry (of the file or the store), or a token's subject. */
export interface RateSubject {
  readonly id: string;
  readonly tenant: string | null;
  readonly rateLimit: string | null;
}

export interface ApiKey extends RateSubject {
  /** A short non-secret id for logs and audit: `k_` + the first 12 hex of the SHA-256. */
  readonly id: string;
  /** SHA-256 of the key. */
  readonly hash: Buffer;
  readonly tenant: string | null;
  readonly role: string;
  readonly rateLimit: string | null;
  readonly expiresAt: Date | null;
  readonly allowedDatasets: readonly string[] | null;
  readonly enabled: boolean;
  readonly description?: string;
  /** May call `POST /v1/query/sql` without being admin. */
  readonly explain: boolean;
  /** The key was written in plaintext (`key:`), which load warns about. */
  readonly plaintext: boolean;
}

export interface TenantSettings {
  readonly schema?: string;
  readonly rateLimit?: string;
  /** Queries of the tenant running at once on one replica, across every source. */
  readonly maxConcurrent?: number;
}

/** Deployment settings of sources.yaml beyond the connections. */
export interface GatewaySettings {
  /** `redis.url`; REDIS_URL overrides it. */
  readonly redisUrl: string | null;
  readonly audit: {
    readonly sink: 'stdout' | 'file' | 'postgres' | 'none';
    readonly includeValues: boolean;
    readonly file: { readonly path: string; readonly maxBytes: number; readonly keep: number } | null;
    readonly postgres: { readonly source: string; readonly table: string } | null;
    /** Absolute path of the spool where lines wait while the sink fails. */
    readonly spool: string;
  };
  /** Addresses and CIDR ranges whose X-Forwarded-For is believed. */
  readonly trustedProxies: readonly string[];
  readonly odata: {
    readonly apiKeyParam: string | null;
    readonly maxPageSize: number;
    readonly skiptokenSecret: string | null;
  };
  readonly csv: {
    /** Neutralise formula-like text cells (`=`, `+`, `-`, `@`, tab, CR) unless the request says otherwise. */
    readonly escapeFormulas: boolean;
  };
}

/** `key_store:` of api-keys.yaml: keys in a PostgreSQL table shared by every replica. */
export interface KeyStoreSettings {
  /** A postgres source of sources.yaml (not one per tenant). */
  readonly source: string;
  readonly table: TableRef;
  readonly cacheTtlSeconds: number;
  /** Looked-up keys remembered at most; misses get a tenth of it. */
  readonly cacheMax: number;
}

export const JWT_ALGORITHMS = ['RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512', 'ES256', 'ES384', 'ES512', 'EdDSA', 'HS256', 'HS384', 'HS512'] as const;
export type JwtAlgorithm = (typeof JWT_ALGORITHMS)[number];

/** `jwt:` of api-keys.yaml: tokens signed by the customer's identity provider. */
export interface JwtSettings {
  readonly issuer: string | null;
  readonly audience: string | readonly string[] | null;
  /** Exactly one way to check a signature (the loader refuses anything else). */
  readonly verifyWith:
    | { readonly kind: 'jwks'; readonly url: string }
    | { readonly kind: 'public_key'; readonly pem: string }
    | { readonly kind: 'secret'; readonly secret: string };
  readonly algorithms: readonly JwtAlgorithm[];
  /** Claim names: tenant, role, filters, datasets. */
  readonly claims: { readonly tenant: string; readonly role: string; readonly filters: string; readonly datasets: string };
  readonly defaultRole: string;
  readonly maxTtlSeconds: number;
  readonly clockSkewSeconds: number;
  readonly jwksCacheTtlSeconds: number;
}

/** `guest_tokens:` of api-keys.yaml: tokens this gateway mints for embedded dashboards. */
export interface GuestTokenSettings {
  readonly secret: string;
  readonly ttlSeconds: number;
  readonly maxTtlSeconds: number;
}

export interface Catalog {
  readonly datasets: ReadonlyMap<string, Dataset>;
  readonly sources: ReadonlyMap<string, Source>;
  /** The keys of api-keys.yaml, held compactly (a million fit in a few tens of MB). */
  readonly apiKeys: KeyTable;
  readonly keyStore: KeyStoreSettings | null;
  readonly jwt: JwtSettings | null;
  readonly guestTokens: GuestTokenSettings | null;
  readonly defaults: { readonly rateLimit: string | null; readonly maxConcurrent: number | null };
  readonly tenants: ReadonlyMap<string, TenantSettings>;
  readonly settings: GatewaySettings;
  /** Where the files were read from (for reload and messages). */
  readonly dir: string;
}

export const TENANT_ID_PATTERN = /^[A-Za-z0-9_-]{1,64}$/;

/** One finding of validation: every error names file, line, column and field. */
export interface ConfigIssue {
  readonly file: string;
  readonly line: number;
  readonly column: number;
  /** Path of the field in the file, e.g. `datasets[0].metrics[2].expr`. */
  readonly field: string;
  readonly message: string;
  readonly severity: 'error' | 'warning';
}
