/**
 * Raw, fully validated YAML data -> the frozen `Catalog`. Runs only when no check found an
 * error, so the raw shapes below are guaranteed by the JSON Schemas and the semantic checks.
 */
import type { Catalog, GatewaySettings, GuestTokenSettings, JwtAlgorithm, JwtSettings, KeyStoreSettings, Dataset, Dimension, Join, Metric, MetricFormula, Reached, Relationship, Segment, Source, SourceType, TenantLayout, TenantSettings, TimeGrain, DimensionType, MetricType } from './types.ts';
import { isAbsolute, resolve } from 'node:path';
import type { SourceFacts } from './check-sources.ts';
import { keyHashOf } from './check-api-keys.ts';
import { KeyTable, type KeyEntry } from './key-table.ts';
import { asIdent, declaredLayouts, expandMetrics, metricRefs, parseExpiry, parseTableRef, TENANT_ID_PLACEHOLDER } from './rules.ts';
import { narrowFieldRoles } from './field-roles.ts';
import { walkJoins } from './join-graph.ts';

export const DEFAULTS = {
  maxRows: 100_000,
  timeoutMs: 30_000,
  /** Seconds. A minute keeps dashboards that refresh together cheap without serving stale data for long. */
  cacheTtlSeconds: 60,
  poolMax: 10,
  idleTimeoutMs: 30_000,
  maxTenantPools: 50,
  /** How long a query waits for a concurrency slot or a pooled connection: pg's old connect wait. */
  queueTimeoutMs: 5_000,
} as const;

interface RawField { name: string; label?: string; description?: string; roles?: string[] }
interface RawDimension extends RawField { type: DimensionType; expr?: string; time_grains?: TimeGrain[] }
interface RawMetric extends RawField { type: MetricType; expr: string }
interface RawSegment { name: string; description?: string; expr: string }
interface RawJoin { dataset: string; relationship: Relationship; on: Record<string, string> }
interface RawDataset {
  name: string; label?: string; description?: string; source: string; table?: string; sql?: string;
  rls?: 'none' | { tenant_column: string }; primary_key?: string | string[]; joins?: RawJoin[];
  cache?: { ttl?: number }; limits?: { max_rows?: number; timeout_ms?: number }; access?: { roles: string[] };
  dimensions?: RawDimension[]; metrics?: RawMetric[]; segments?: RawSegment[];
}
interface RawSource {
  name: string; type: SourceType; connection: Record<string, string | number | boolean>;
  pool?: { max?: number; idle_timeout_ms?: number; max_tenant_pools?: number };
  limits?: { max_concurrent?: number; max_concurrent_per_tenant?: number; queue_timeout_ms?: number };
  native_rls?: { setting: string }; init_sql?: string; read_only?: boolean;
}
interface RawApiKey {
  key?: string; key_hash?: string; tenant?: string; role: string; rate_limit?: string; expires_at?: string;
  allowed_datasets?: string[]; enabled?: boolean; description?: string; explain?: boolean;
}
interface RawSettings {
  redis?: { url: string };
  audit?: {
    sink?: 'stdout' | 'file' | 'postgres' | 'none'; include_values?: boolean;
    file?: { path: string; max_bytes?: number; keep?: number };
    postgres?: { source: string; table?: string }; spool?: string;
  };
  server?: { trusted_proxies?: string[] };
  odata?: { api_key_param?: string; max_page_size?: number; skiptoken_secret?: string };
  csv?: { escape_formulas?: boolean };
}
interface RawTokens {
  key_store?: { source: string; table?: string; cache_ttl?: number; cache_max?: number };
  jwt?: {
    issuer?: string; audience?: string | string[]; jwks_url?: string; public_key?: string; secret?: string;
    algorithms: JwtAlgorithm[]; claims?: { tenant?: string; role?: string; filters?: string; datasets?: string };
    default_role?: string; max_ttl?: number; clock_skew?: number; jwks_cache_ttl?: number;
  };
  guest_tokens?: { secret: string; ttl?: number; max_ttl?: number };
}
export interface RawConfig {
  catalog: { datasets: RawDataset[] };
  sources: { sources: RawSource[] } & RawSettings;
  apiKeys: { api_keys?: RawApiKey[]; defaults?: { rate_limit?: string; max_concurrent?: number }; tenants?: Record<string, { schema?: string; rate_limit?: string; max_concurrent?: number }> } & RawTokens;
}

function deepFreeze<T>(value: T): T {
  if (value && typeof value === 'object' && !Object.isFrozen(value) && !Buffer.isBuffer(value)) {
    Object.freeze(value);
    for (const v of value instanceof Map ? value.values() : Object.values(value)) deepFreeze(v);
  }
  return value;
}

/** Optional text fields are left out rather than set to undefined (exactOptionalPropertyTypes-safe). */
function texts(raw: { label?: string; description?: string }): { label?: string; description?: string } {
  return { ...(raw.label !== undefined && { label: raw.label }), ...(raw.description !== undefined && { description: raw.description }) };
}

export function buildCatalog(raw: RawConfig, sourceFacts: ReadonlyMap<string, SourceFacts>, dir: string): Catalog {
  const sources = new Map<string, Source>(raw.sources.sources.map((s) => [s.name, buildSource(s, sourceFacts.get(s.name), dir)]));
  const datasets = new Map<string, Dataset>(raw.catalog.datasets.map((d) => [d.name, buildDataset(d, sources)]));
  linkDatasets(datasets);
  const tenants = new Map<string, TenantSettings>(
    Object.entries(raw.apiKeys.tenants ?? {}).map(([id, t]) => [id, {
      ...(t.schema !== undefined && { schema: t.schema }),
      ...(t.rate_limit !== undefined && { rateLimit: t.rate_limit }),
      ...(t.max_concurrent !== undefined && { maxConcurrent: t.max_concurrent }),
    }]),
  );
  const catalog: Catalog = {
    datasets,
    sources,
    apiKeys: new KeyTable((raw.apiKeys.api_keys ?? []).map(buildApiKey)),
    keyStore: buildKeyStore(raw.apiKeys.key_store),
    jwt: buildJwt(raw.apiKeys.jwt),
    guestTokens: buildGuestTokens(raw.apiKeys.guest_tokens),
    defaults: { rateLimit: raw.apiKeys.defaults?.rate_limit ?? null, maxConcurrent: raw.apiKeys.defaults?.max_concurrent ?? null },
    tenants,
    settings: buildSettings(raw.sources, dir),
    dir,
  };
  return deepFreeze(catalog);
}

/** Paths are relative to the config directory, like `init_sql`. */
function buildSettings(raw: RawSettings, dir: string): GatewaySettings {
  const a = raw.audit ?? {};
  return {
    redisUrl: raw.redis?.url ?? null,
    audit: {
      sink: a.sink ?? 'stdout',
      includeValues: a.include_values ?? false,
      file: a.file ? { path: resolve(dir, a.file.path), maxBytes: a.file.max_bytes ?? 100 * 1024 * 1024, keep: a.file.keep ?? 5 } : null,
      postgres: a.postgres ? { source: a.postgres.source, table: a.postgres.table ?? 'semgate_audit' } : null,
      spool: resolve(dir, a.spool ?? './semgate-audit-spool.jsonl'),
    },
    trustedProxies: raw.server?.trusted_proxies ?? [],
    odata: {
      apiKeyParam: raw.odata?.api_key_param ?? null,
      maxPageSize: raw.odata?.max_page_size ?? 5000,
      skiptokenSecret: raw.odata?.skiptoken_secret ?? null,
    },
    csv: { escapeFormulas: raw.csv?.escape_formulas ?? false },
  };
}

/** A DuckDB file path is relative to the config directory, like `init_sql`, not to the cwd. */
function connectionOf(s: RawSource, dir: string): Record<string, string | number | boolean> {
  const path = s.connection.path;
  if (s.type !== 'duckdb' || typeof path !== 'string' || path === ':memory:' || isAbsolute(path)) return { ...s.connection };
  return { ...s.connection, path: resolve(dir, path) };
}

/**
 * A source's concurrency caps: by default as many queries as its pool has connections (so
 * none queue inside the driver), and half of them for one tenant of a shared pool (so one
 * tenant's slow queries leave connections for the others); a tenant's own pool is its own.
 */
export function sourceLimitsOf(s: RawSource, perTenant: boolean): Source['limits'] {
  const maxConcurrent = s.limits?.max_concurrent ?? s.pool?.max ?? DEFAULTS.poolMax;
  return {
    maxConcurrent,
    maxConcurrentPerTenant: s.limits?.max_concurrent_per_tenant ?? (perTenant ? maxConcurrent : Math.max(1, Math.floor(maxConcurrent / 2))),
    queueTimeoutMs: s.limits?.queue_timeout_ms ?? DEFAULTS.queueTimeoutMs,
  };
}

function buildSource(s: RawSource, facts: SourceFacts | undefined, dir: string): Source {
  return {
    name: s.name,
    type: s.type,
    connection: connectionOf(s, dir),
    perTenant: facts?.perTenant ?? false,
    pool: {
      max: s.pool?.max ?? DEFAULTS.poolMax,
      idleTimeoutMs: s.pool?.idle_timeout_ms ?? DEFAULTS.idleTimeoutMs,
      maxTenantPools: s.pool?.max_tenant_pools ?? DEFAULTS.maxTenantPools,
    },
    limits: sourceLimitsOf(s, facts?.perTenant ?? false),
    readOnly: s.read_only ?? true,
    nativeRls: s.native_rls ? { setting: s.native_rls.setting } : null,
    initSql: facts?.initSql ?? null,
  };
}

function layoutOf(d: RawDataset, sources: ReadonlyMap<string, Source>): TenantLayout {
  if (d.rls === 'none') return { kind: 'global' };
  const tenantColumn = d.rls?.tenant_column;
  const [layout, ...more] = declaredLayouts({ tenantColumn, table: d.table, sql: d.sql, source: d.source }, (s) => sources.get(s)?.perTenant === true);
  // Unreachable after checkCatalog; fail closed rather than expose a table to every tenant.
  if (!layout || more.length > 0) throw new Error(`dataset ${d.name} has no single tenant layout`);
  return layout.kind === 'shared' ? { kind: 'shared', tenantColumn: asIdent(tenantColumn!) } : { kind: layout.kind };
}

function buildDataset(d: RawDataset, sources: ReadonlyMap<string, Source>): Dataset {
  const parsed = d.table !== undefined ? parseTableRef(d.table) : null;
  if (parsed && 'error' in parsed) throw new Error(parsed.error); // checked before build
  const rawMetrics = d.metrics ?? [];
  const sql = expandMetrics(rawMetrics);
  return {
    name: d.name,
    ...texts(d),
    source: d.source,
    table: parsed ? parsed.ref : null,
    sql: d.sql ?? null,
    layout: layoutOf(d, sources),
    cacheTtlSeconds: d.cache?.ttl ?? DEFAULTS.cacheTtlSeconds,
    maxRows: d.limits?.max_rows ?? DEFAULTS.maxRows,
    timeoutMs: d.limits?.timeout_ms ?? DEFAULTS.timeoutMs,
    roles: d.access?.roles ? [...d.access.roles] : null,
    dimensions: (d.dimensions ?? []).map((x): Dimension => ({
      name: x.name,
      ...texts(x),
      type: x.type,
      expr: x.expr ?? null,
      timeGrains: [...(x.time_grains ?? [])],
      roles: x.roles ? [...x.roles] : null,
    })),
    metrics: rawMetrics.map((m): Metric => ({
      name: m.name,
      ...texts(m),
      type: m.type,
      expr: m.expr,
      sql: sql.get(m.name) ?? m.expr,
      derived: metricRefs(m.expr).length > 0,
      formula: formulaOf(d.name, m.expr),
      crossDataset: false, // set by linkDatasets
      roles: m.roles ? [...m.roles] : null,
    })),
    segments: (d.segments ?? []).map((s): Segment => ({
      name: s.name,
      ...(s.description !== undefined && { description: s.description }),
      expr: s.expr,
      roles: null, // narrowed by linkDatasets
    })),
    primaryKey: d.primary_key === undefined ? null : typeof d.primary_key === 'string' ? [d.primary_key] : [...d.primary_key],
    joins: (d.joins ?? []).map(buildJoin),
    reach: new Map(), // set by linkDatasets
    sqlUsesTenantId: d.sql?.includes(TENANT_ID_PLACEHOLDER) ?? false,
  };
}

type Mutable<T> = { -readonly [K in keyof T]: T[K] };

/**
 * What needs every dataset: each one's reach through joins (checked free of cycles and
 * second paths before the build), which derived metrics cross datasets, and the roles of
 * fields that read other fields.
 */
function linkDatasets(datasets: Map<string, Dataset>): void {
  for (const ds of datasets.values()) {
    const { reached } = walkJoins(ds.name, (n) => (datasets.get(n)?.joins ?? []).map((j, index) => ({ from: n, to: j.dataset, relationship: j.relationship, index })));
    (ds as Mutable<Dataset>).reach = new Map([...reached].map(([name, by]): [string, Reached] => [name, {
      via: by.edge.from, join: datasets.get(by.edge.from)!.joins[by.edge.index]!, hops: by.hops, fansOut: by.fansOut,
    }]));
  }
  const crossing = new Map<Metric, boolean>();
  const crosses = (ds: Dataset, m: Metric): boolean => {
    const known = crossing.get(m);
    if (known !== undefined) return known;
    crossing.set(m, false);
    const result = (m.formula?.refs ?? []).some((r) => {
      if (r.dataset !== ds.name) return true;
      const own = ds.metrics.find((x) => x.name === r.metric);
      return own !== undefined && crosses(ds, own);
    });
    crossing.set(m, result);
    return result;
  };
  for (const ds of datasets.values()) for (const m of ds.metrics as Mutable<Metric>[]) m.crossDataset = crosses(ds, m);
  narrowFieldRoles(datasets);
}

/** A derived metric split at its references; `{x}` is this dataset's metric, `{ds.x}` another's. */
function formulaOf(dataset: string, expr: string): MetricFormula | null {
  const refs = metricRefs(expr);
  if (refs.length === 0) return null;
  const parts: string[] = [];
  let from = 0;
  for (const m of expr.matchAll(/\{([^{}]*)\}/g)) {
    parts.push(expr.slice(from, m.index));
    from = (m.index ?? 0) + m[0].length;
  }
  parts.push(expr.slice(from));
  return {
    parts,
    refs: refs.map((r) => {
      const dot = r.name.indexOf('.');
      return dot < 0 ? { dataset, metric: r.name } : { dataset: r.name.slice(0, dot), metric: r.name.slice(dot + 1) };
    }),
  };
}

function buildJoin(j: RawJoin): Join {
  return {
    dataset: j.dataset,
    relationship: j.relationship,
    on: Object.entries(j.on).map(([from, to]) => ({ from: asIdent(from), to: asIdent(to) })),
  };
}

function buildApiKey(k: RawApiKey): KeyEntry {
  const hash = keyHashOf(k as unknown as Record<string, unknown>);
  if (!hash) throw new Error('api key without key or key_hash'); // checked before build
  return {
    hash,
    tenant: k.tenant ?? null,
    role: k.role,
    rateLimit: k.rate_limit ?? null,
    expiresAt: k.expires_at !== undefined ? parseExpiry(k.expires_at) : null,
    allowedDatasets: k.allowed_datasets ? [...k.allowed_datasets] : null,
    enabled: k.enabled ?? true,
    ...(k.description !== undefined && { description: k.description }),
    explain: k.explain ?? false,
    plaintext: k.key !== undefined,
  };
}

export const TOKEN_DEFAULTS = {
  keyStoreTable: 'semgate_api_keys',
  keyStoreCacheTtl: 30,
  keyStoreCacheMax: 100_000,
  claims: { tenant: 'tenant_id', role: 'role', filters: 'filters', datasets: 'datasets' },
  defaultRole: 'viewer',
  jwtMaxTtl: 3600,
  clockSkew: 30,
  jwksCacheTtl: 600,
  guestTtl: 300,
  guestMaxTtl: 3600,
} as const;

function buildKeyStore(k: RawTokens['key_store']): KeyStoreSettings | null {
  if (!k) return null;
  const parsed = parseTableRef(k.table ?? TOKEN_DEFAULTS.keyStoreTable);
  if ('error' in parsed) throw new Error(parsed.error); // checked before build
  return {
    source: k.source,
    table: parsed.ref,
    cacheTtlSeconds: k.cache_ttl ?? TOKEN_DEFAULTS.keyStoreCacheTtl,
    cacheMax: k.cache_max ?? TOKEN_DEFAULTS.keyStoreCacheMax,
  };
}

function buildJwt(j: RawTokens['jwt']): JwtSettings | null {
  if (!j) return null;
  const verifyWith: JwtSettings['verifyWith'] = j.jwks_url !== undefined ? { kind: 'jwks', url: j.jwks_url }
    : j.public_key !== undefined ? { kind: 'public_key', pem: j.public_key } : { kind: 'secret', secret: j.secret! };
  return {
    issuer: j.issuer ?? null,
    audience: j.audience ?? null,
    verifyWith,
    algorithms: [...j.algorithms],
    claims: { ...TOKEN_DEFAULTS.claims, ...j.claims },
    defaultRole: j.default_role ?? TOKEN_DEFAULTS.defaultRole,
    maxTtlSeconds: j.max_ttl ?? TOKEN_DEFAULTS.jwtMaxTtl,
    clockSkewSeconds: j.clock_skew ?? TOKEN_DEFAULTS.clockSkew,
    jwksCacheTtlSeconds: j.jwks_cache_ttl ?? TOKEN_DEFAULTS.jwksCacheTtl,
  };
}

function buildGuestTokens(g: RawTokens['guest_tokens']): GuestTokenSettings | null {
  if (!g) return null;
  return { secret: g.secret, ttlSeconds: g.ttl ?? TOKEN_DEFAULTS.guestTtl, maxTtlSeconds: g.max_ttl ?? TOKEN_DEFAULTS.guestMaxTtl };
}
