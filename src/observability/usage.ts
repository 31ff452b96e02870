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
}

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

export interface UsageEvent {
  ms: number;
  status: number;
  cached?: boolean;
}

export class UsageStats {
  private readonly days = new Map<string, TenantDay>();
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

  tenants(): string[] {
    return [...this.days.keys()].sort();
  }
}
