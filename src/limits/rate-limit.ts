import type { Redis } from 'ioredis';
import { RateLimiterMemory, RateLimiterRedis, RateLimiterRes, type RateLimiterAbstract } from 'rate-limiter-flexible';
import type { Catalog, RateSubject } from '../catalog/types.ts';
import { GatewayError } from '../errors.ts';

export interface Rate {
  readonly points: number;
  /** Window in seconds. */
  readonly duration: number;
}

const UNITS: Record<string, number> = { second: 1, minute: 60, hour: 3600 };

/** `100/minute` -> { points: 100, duration: 60 }. The loader has checked the format. */
export function parseRate(text: string): Rate {
  const m = /^(\d+)\/(second|minute|hour)$/.exec(text);
  if (!m) throw new Error(`invalid rate '${text}'`);
  return { points: Number(m[1]), duration: UNITS[m[2]!]! };
}

/** What the RateLimit-* headers say: the tightest of the limits that applied. */
export interface RateLimitState {
  readonly limit: number;
  readonly remaining: number;
  /** Seconds until the window resets. */
  readonly reset: number;
}

export function rateLimitHeaders(s: RateLimitState): Record<string, string> {
  return { 'RateLimit-Limit': String(s.limit), 'RateLimit-Remaining': String(s.remaining), 'RateLimit-Reset': String(s.reset) };
}

type Check = [limiter: RateLimiterAbstract, id: string, rate: Rate];

/**
 * Per-key and per-tenant limits. With Redis every replica shares one count; each Redis
 * limiter has an in-memory insurance limiter, so when Redis is unreachable requests are
 * still answered and limited per replica instead of failing or running unlimited.
 */
export class RateLimits {
  private readonly limiters = new Map<string, RateLimiterAbstract>();
  /** Per key entry or token subject (a reload makes new entries, so old ones simply fall away). */
  private readonly checks = new WeakMap<RateSubject, Check[]>();
  constructor(private readonly redis: Redis | null, private readonly prefix = 'sg:rl') {}

  private limiter(scope: 'key' | 'tenant', rate: Rate): RateLimiterAbstract {
    const id = `${scope}:${rate.points}:${rate.duration}`;
    let l = this.limiters.get(id);
    if (!l) {
      const opts = { points: rate.points, duration: rate.duration, keyPrefix: `${this.prefix}:${id}` };
      l = this.redis
        ? new RateLimiterRedis({ ...opts, storeClient: this.redis, rejectIfRedisNotReady: true, insuranceLimiter: new RateLimiterMemory(opts) })
        : new RateLimiterMemory(opts);
      this.limiters.set(id, l);
    }
    return l;
  }

  /** Which limits apply to a key: its own (else its tenant's, else the default), and its tenant's across keys. */
  static ratesFor(catalog: Catalog, key: RateSubject): { key: Rate | null; tenant: Rate | null } {
    const tenantRate = key.tenant === null ? undefined : catalog.tenants.get(key.tenant)?.rateLimit;
    const keyRate = key.rateLimit ?? tenantRate ?? catalog.defaults.rateLimit;
    return { key: keyRate ? parseRate(keyRate) : null, tenant: tenantRate ? parseRate(tenantRate) : null };
  }

  /** The limiters a key's requests go through, worked out once per key and configuration. */
  private checksFor(catalog: Catalog, key: RateSubject): readonly Check[] {
    let checks = this.checks.get(key);
    if (!checks) {
      const rates = RateLimits.ratesFor(catalog, key);
      checks = [];
      if (rates.key) checks.push([this.limiter('key', rates.key), key.id, rates.key]);
      if (rates.tenant && key.tenant) checks.push([this.limiter('tenant', rates.tenant), key.tenant, rates.tenant]);
      this.checks.set(key, checks);
    }
    return checks;
  }

  /** Takes one point from each limit that applies; a 429 GatewayError when any is spent. */
  async consume(catalog: Catalog, key: RateSubject): Promise<RateLimitState | null> {
    const checks = this.checksFor(catalog, key);
    if (checks.length === 0) return null;
    let tightest: RateLimitState | null = null;
    for (const [limiter, id, rate] of checks) {
      let res: RateLimiterRes;
      try {
        res = await limiter.consume(id);
      } catch (e) {
        if (!(e instanceof RateLimiterRes)) throw e;
        const reset = Math.max(1, Math.ceil(e.msBeforeNext / 1000));
        const state = { limit: rate.points, remaining: 0, reset };
        throw new GatewayError('limit.rate_limited', 429,
          `Rate limit of ${rate.points} requests per ${rate.duration === 1 ? 'second' : rate.duration === 60 ? 'minute' : 'hour'} reached${id === key.tenant ? ' for this tenant' : ' for this key'}. Retry in ${reset} s.`,
          { headers: { 'Retry-After': String(reset), ...rateLimitHeaders(state) } });
      }
      const state = { limit: rate.points, remaining: res.remainingPoints, reset: Math.max(1, Math.ceil(res.msBeforeNext / 1000)) };
      if (!tightest || state.remaining < tightest.remaining) tightest = state;
    }
    return tightest;
  }
}
