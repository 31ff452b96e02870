import type { Redis } from 'ioredis';
import {
  HISTORY_DAYS, UsageStats, lastDates, summarise, summariseDay, type DailyUsage, type DayCounters, type UsageEvent, type UsageReport,
} from './usage.ts';

const WINDOW = 2048;
/** Recent durations (for p95) matter today only; a day's counters feed the history. */
const KEEP_SECONDS = 3 * 86_400;
const HISTORY_SECONDS = (HISTORY_DAYS + 1) * 86_400;

/**
 * Usage shared by every replica through Redis: per tenant and UTC day, a hash of counters
 * and a capped list of recent durations for p95. Each replica also keeps its own counts in
 * memory, and answers from them while Redis is away.
 */
export class SharedUsage {
  readonly local: UsageStats;
  constructor(private readonly redis: Redis | null, private readonly now: () => Date = () => new Date(), private readonly prefix = 'sg:usage') {
    this.local = new UsageStats(now);
  }

  private keys(tenant: string, date = this.now().toISOString().slice(0, 10)): { hash: string; latencies: string; tenants: string } {
    return { hash: `${this.prefix}:${date}:${tenant}`, latencies: `${this.prefix}:${date}:${tenant}:ms`, tenants: `${this.prefix}:${date}:tenants` };
  }

  private shared(): Redis | null {
    return this.redis?.status === 'ready' ? this.redis : null;
  }

  record(tenant: string, e: UsageEvent): void {
    this.local.record(tenant, e);
    const r = this.shared();
    if (!r) return;
    const k = this.keys(tenant);
    const p = r.pipeline().sadd(k.tenants, tenant).hset(k.hash, 'last_active', String(this.now().getTime()));
    if (e.status === 429) p.hincrby(k.hash, 'rate_limit_hits', 1);
    else if (e.status >= 400) p.hincrby(k.hash, 'errors', 1);
    else {
      p.hincrby(k.hash, 'queries', 1).hincrbyfloat(k.hash, 'total_ms', e.ms).lpush(k.latencies, String(e.ms)).ltrim(k.latencies, 0, WINDOW - 1);
      if (e.cached) p.hincrby(k.hash, 'cache_hits', 1);
    }
    p.expire(k.hash, HISTORY_SECONDS).expire(k.latencies, KEEP_SECONDS).expire(k.tenants, HISTORY_SECONDS);
    // Usage is statistics: a failed write costs accuracy, never the request.
    p.exec().catch(() => undefined);
  }

  async report(tenant: string): Promise<UsageReport> {
    const r = this.shared();
    if (!r) return this.local.report(tenant);
    try {
      const k = this.keys(tenant);
      const [h, ms] = await Promise.all([r.hgetall(k.hash), r.lrange(k.latencies, 0, -1)]);
      return summarise(tenant, k.hash.slice(this.prefix.length + 1, this.prefix.length + 11), counters(h), ms.map(Number));
    } catch {
      return this.local.report(tenant);
    }
  }

  /** The last `days` days of a tenant (at most HISTORY_DAYS), oldest first, today last. */
  async daily(tenant: string, days: number): Promise<DailyUsage[]> {
    const r = this.shared();
    if (!r) return this.local.daily(tenant, days);
    try {
      const dates = lastDates(this.now().toISOString().slice(0, 10), days);
      const p = r.pipeline();
      for (const date of dates) p.hgetall(this.keys(tenant, date).hash);
      const replies = (await p.exec()) ?? [];
      return dates.map((date, i) => {
        const [err, h] = replies[i] ?? [null, {}];
        if (err) throw err;
        return summariseDay(date, counters(h as Record<string, string>));
      });
    } catch {
      return this.local.daily(tenant, days);
    }
  }

  /** Tenants that sent a query today, or within the last `days` days. */
  async tenants(days = 1): Promise<string[]> {
    const r = this.shared();
    if (!r) return this.local.tenants();
    try {
      const dates = lastDates(this.now().toISOString().slice(0, 10), days);
      const sets = await Promise.all(dates.map((date) => r.smembers(this.keys('_', date).tenants)));
      return [...new Set(sets.flat())].sort();
    } catch {
      return this.local.tenants();
    }
  }
}

/** A day's Redis hash as counters (a missing hash reads as zeros). */
function counters(h: Record<string, string>): DayCounters {
  return {
    queries: Number(h['queries'] ?? 0),
    totalMs: Number(h['total_ms'] ?? 0),
    cacheHits: Number(h['cache_hits'] ?? 0),
    rateLimitHits: Number(h['rate_limit_hits'] ?? 0),
    errors: Number(h['errors'] ?? 0),
    lastActive: h['last_active'] ? Number(h['last_active']) : null,
  };
}
