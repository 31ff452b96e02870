/**
 * The portal's only way to the gateway: the REST API under the page's own prefix, with the
 * key in the Authorization header (never in a URL or a cookie), and X-Tenant-Id when an
 * admin acts as a tenant. An error answer becomes an ApiError carrying the API's own words.
 */
import { apiPrefix, type FieldType, type SemanticQuery } from './query.ts';

export interface DatasetSummary { name: string; label: string; description: string | null }

export interface DatasetDetail extends DatasetSummary {
  /** `dataset` is this one, or one it reaches by joins (then `name` is `<dataset>.<field>`). */
  dimensions: { name: string; dataset: string; label: string; type: FieldType; description: string | null; time_grains: string[] }[];
  metrics: { name: string; dataset: string; label: string; type: FieldType; description: string | null }[];
  segments: { name: string; dataset: string; description: string | null }[];
  joins: { dataset: string; label: string; via: string; relationship: 'many_to_one' | 'one_to_one' | 'one_to_many' }[];
  limits: { max_rows: number; default_limit: number };
}

export interface DailyUsage {
  date: string; queries: number; avg_response_ms: number; cache_hit_rate: number; rate_limit_hits: number; errors: number;
}

export interface Usage {
  tenant: string; date: string; queries_today: number; avg_response_ms: number; p95_response_ms: number;
  cache_hit_rate: number; rate_limit_hits: number; errors: number; last_active: string | null; daily?: DailyUsage[];
}

export interface QueryResult {
  columns: { name: string; type: string }[];
  rows: unknown[][];
  meta: { row_count: number; truncated: boolean; cached: boolean; duration_ms: number; request_id: string };
}

/** An answer other than 2xx: `message` is the problem's `detail`, as the API words it. */
export class ApiError extends Error {
  constructor(readonly status: number, message: string, readonly field: string | undefined) {
    super(message);
    this.name = 'ApiError';
  }
}

/** The prefix in front of `/portal` (e.g. `/analytics` behind a proxy), so API calls go where the page came from. */
export const prefix = apiPrefix(location.pathname);
/** Absolute URLs as the browser reached this gateway, for the curl line and the BI tools. */
export const origin = `${location.origin}${prefix}`;

export class Api {
  constructor(readonly key: string, readonly actAs: string | null) {}

  private headers(extra: Record<string, string> = {}): Record<string, string> {
    const h: Record<string, string> = { Authorization: `Bearer ${this.key}`, ...extra };
    if (this.actAs !== null) h['X-Tenant-Id'] = this.actAs;
    return h;
  }

  private async send(path: string, init: RequestInit & { headers?: Record<string, string> }): Promise<Response> {
    let res: Response;
    try {
      // `credentials: 'omit'`: the key is the only credential; no cookie goes with it.
      res = await fetch(`${prefix}${path}`, { ...init, headers: this.headers(init.headers), credentials: 'omit', cache: 'no-store' });
    } catch {
      throw new ApiError(0, 'The gateway could not be reached. Check your connection and try again.', undefined);
    }
    if (!res.ok) throw await errorOf(res);
    return res;
  }

  async get<T>(path: string): Promise<T> {
    return (await (await this.send(path, { method: 'GET' })).json()) as T;
  }

  async query(q: SemanticQuery): Promise<QueryResult> {
    const res = await this.send('/v1/query', { method: 'POST', body: JSON.stringify(q), headers: { 'Content-Type': 'application/json' } });
    return (await res.json()) as QueryResult;
  }

  /** The same query as `Accept: text/csv` gives it, for the Download CSV link. */
  async csv(q: SemanticQuery): Promise<Blob> {
    const res = await this.send('/v1/query', {
      method: 'POST', body: JSON.stringify(q), headers: { 'Content-Type': 'application/json', Accept: 'text/csv' },
    });
    return await res.blob();
  }

  withActAs(tenant: string | null): Api {
    return new Api(this.key, tenant);
  }
}

async function errorOf(res: Response): Promise<ApiError> {
  const text = await res.text().catch(() => '');
  try {
    const body = JSON.parse(text) as { detail?: unknown; field?: unknown; error?: { message?: unknown } };
    const detail = typeof body.detail === 'string' ? body.detail : typeof body.error?.message === 'string' ? body.error.message : null;
    if (detail !== null) return new ApiError(res.status, detail, typeof body.field === 'string' ? body.field : undefined);
  } catch {
    // not JSON: a proxy's page, say
  }
  return new ApiError(res.status, `The gateway answered ${res.status} ${res.statusText}.`.replace(/ \.$/, '.'), undefined);
}

/** Who the key is: a tenant's key, or an admin's (no tenant), found from the usage endpoints. */
export interface Identity { tenant: string | null; admin: boolean }

export async function identify(api: Api): Promise<{ identity: Identity; datasets: DatasetSummary[] }> {
  // A bad key fails here, with the API's words (401).
  const { datasets } = await api.get<{ datasets: DatasetSummary[] }>('/v1/datasets');
  if (api.actAs !== null) return { identity: { tenant: api.actAs, admin: true }, datasets };
  try {
    const usage = await api.get<Usage>('/v1/usage');
    return { identity: { tenant: usage.tenant, admin: false }, datasets };
  } catch (e) {
    // An admin key has no tenant: /v1/usage asks for X-Tenant-Id, /v1/admin/usage answers.
    if (e instanceof ApiError && e.status === 400 && e.field === 'X-Tenant-Id') {
      await api.get('/v1/admin/usage');
      return { identity: { tenant: null, admin: true }, datasets };
    }
    if (e instanceof ApiError && e.status === 403) return { identity: { tenant: null, admin: false }, datasets };
    throw e;
  }
}

/** The key lives in this tab's session storage only: gone when the tab closes. */
export const session = {
  load(): { key: string; actAs: string | null } | null {
    const key = sessionStorage.getItem('semgate.key');
    return key ? { key, actAs: sessionStorage.getItem('semgate.actAs') } : null;
  },
  save(key: string, actAs: string | null): void {
    sessionStorage.setItem('semgate.key', key);
    if (actAs === null) sessionStorage.removeItem('semgate.actAs');
    else sessionStorage.setItem('semgate.actAs', actAs);
  },
  clear(): void {
    sessionStorage.removeItem('semgate.key');
    sessionStorage.removeItem('semgate.actAs');
  },
};
