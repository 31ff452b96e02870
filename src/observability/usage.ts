/**
 * Per-tenant usage for `/v1/usage` and `/v1/admin/usage`, in memory. Durations keep a
 * bounded window per tenant, so p95 is over the most recent requests of the day.
 */
export interface UsageReport {
  tenant: string;
  date: string;
  queries_today: number;
  avg_response_ms: number;
  p95_response_ms: number;
  cache_hit_rate: number;
  rate_limit_hits: number;
  errors: number;
  last_active: string | null;
  /** With `?days=N`: the last N UTC days, oldest first, today last (days without queries as zeros). */
  daily?: DailyUsage[];
}

/** One tenant's counts of one UTC day, for the portal's chart over the last days. */
export interface DailyUsage {
  date: string;
  queries: number;
  avg_response_ms: number;
  cache_hit_rate: number;
  rate_limit_hits: number;
  errors: number;
}

/** How many days of history are kept per tenant (and the most `?days=` may ask for). */
export const HISTORY_DAYS = 31;

interface TenantDay {
  date: string;
  queries: number;
  totalMs: number;
  window: number[];
  cacheHits: number;
  rateLimitHits: number;
  errors: number;
  lastActive: number | null;
}

const WINDOW = 2048;

/** A day's counters, wherever they are kept (here, or in Redis for every replica). */
export type DayCounters = Pick<TenantDay, 'queries' | 'totalMs' | 'cacheHits' | 'rateLimitHits' | 'errors' | 'lastActive'>;

/**
 * The report from a day's counters and its recent durations: one computation, so a replica
 * reading Redis and one counting in memory round the same way (ms to 0.1, the hit rate to
 * 0.1%). p95 is nearest-rank over the window.
 */
export function summarise(tenant: string, date: string, d: DayCounters, latencies: readonly number[]): UsageReport {
  const sorted = [...latencies].sort((a, b) => a - b);
  const p95 = sorted.length === 0 ? 0 : sorted[Math.min(sorted.length - 1, Math.ceil(sorted.length * 0.95) - 1)]!;
  const round = (n: number): number => Math.round(n * 10) / 10;
  return {
    tenant,
    date,
    queries_today: d.queries,
    avg_response_ms: d.queries === 0 ? 0 : round(d.totalMs / d.queries),
    p95_response_ms: round(p95),
    cache_hit_rate: d.queries === 0 ? 0 : round((d.cacheHits / d.queries) * 100) / 100,
    rate_limit_hits: d.rateLimitHits,
    errors: d.errors,
    last_active: d.lastActive === null ? null : new Date(d.lastActive).toISOString(),
  };
}

/** A day's entry of `daily`, rounded as `summarise` rounds. */
export function summariseDay(date: string, d: DayCounters | undefined): DailyUsage {
  const r = summarise('', date, d ?? ZERO_DAY, []);
  return { date, queries: r.queries_today, avg_response_ms: r.avg_response_ms, cache_hit_rate: r.cache_hit_rate, rate_limit_hits: r.rate_limit_hits, errors: r.errors };
}

const ZERO_DAY: DayCounters = { queries: 0, totalMs: 0, cacheHits: 0, rateLimitHits: 0, errors: 0, lastActive: null };

/** The last `days` UTC dates up to `today` (YYYY-MM-DD), oldest first. */
export function lastDates(today: string, days: number): string[] {
  const end = Date.parse(`${today}T00:00:00Z`);
  return Array.from({ length: days }, (_, i) => new Date(end - (days - 1 - i) * 86_400_000).toISOString().slice(0, 10));
}

export interface UsageEvent {
  ms: number;
  status: number;
  cached?: boolean;
}

export class UsageStats {
  private readonly days = new Map<string, TenantDay>();
  /** Finished days per tenant, newest last, at most HISTORY_DAYS of them. */
  private readonly past = new Map<string, (DayCounters & { date: string })[]>();
  constructor(private readonly now: () => Date = () => new Date()) {}

  private today = { date: '', until: 0 };

  /** The UTC date, worked out again only after midnight (this runs on every request). */
  private date(): string {
    const now = this.now().getTime();
    if (now >= this.today.until || now < this.today.until - 86_400_000) {
      const d = new Date(now);
      this.today = { date: d.toISOString().slice(0, 10), until: Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), d.getUTCDate() + 1) };
    }
    return this.today.date;
  }

  private day(tenant: string): TenantDay {
    const date = this.date();
    let d = this.days.get(tenant);
    if (!d || d.date !== date) {
      if (d) this.keep(tenant, d);
      d = { date, queries: 0, totalMs: 0, window: [], cacheHits: 0, rateLimitHits: 0, errors: 0, lastActive: d?.lastActive ?? null };
      this.days.set(tenant, d);
    }
    return d;
  }

  /** One query request of a tenant, whatever its outcome. */
  record(tenant: string, e: UsageEvent): void {
    const d = this.day(tenant);
    d.lastActive = this.now().getTime();
    if (e.status === 429) {
      d.rateLimitHits++;
      return;
    }
    if (e.status >= 400) {
      d.errors++;
      return;
    }
    d.queries++;
    d.totalMs += e.ms;
    if (e.cached) d.cacheHits++;
    if (d.window.length >= WINDOW) d.window.shift();
    d.window.push(e.ms);
  }

  report(tenant: string): UsageReport {
    const d = this.day(tenant);
    return summarise(tenant, d.date, d, d.window);
  }

  /** The last `days` days of a tenant, oldest first, today last. */
  daily(tenant: string, days: number): DailyUsage[] {
    const today = this.day(tenant);
    const byDate = new Map<string, DayCounters>((this.past.get(tenant) ?? []).map((p) => [p.date, p]));
    byDate.set(today.date, today);
    return lastDates(today.date, days).map((date) => summariseDay(date, byDate.get(date)));
  }

  private keep(tenant: string, d: TenantDay): void {
    let list = this.past.get(tenant);
    if (!list) {
      list = [];
      this.past.set(tenant, list);
    }
    const { date, queries, totalMs, cacheHits, rateLimitHits, errors, lastActive } = d;
    list.push({ date, queries, totalMs, cacheHits, rateLimitHits, errors, lastActive });
    if (list.length > HISTORY_DAYS) list.splice(0, list.length - HISTORY_DAYS);
  }

  tenants(): string[] {
    return [...this.days.keys()].sort();
  }
}
