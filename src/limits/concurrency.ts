/**
 * Fair shares of the databases: caps on the queries running at once, per tenant and per
 * source, each with a bounded wait. A query takes, in this order,
 *
 *   1. a slot of its tenant across every source (`tenants.<id>.max_concurrent` or
 *      `defaults.max_concurrent` of api-keys.yaml; unset: no such cap),
 *   2. a slot of its tenant on the source (`limits.max_concurrent_per_tenant` of the
 *      source, below the source's own cap, so one tenant never holds every connection),
 *   3. a slot of the source (`limits.max_concurrent`, by default `pool.max`: queries never
 *      queue inside the driver's pool, where every tenant waits in one line).
 *
 * Waiting for 1 or 2 past the source's `limits.queue_timeout_ms` (one deadline for all
 * three) is a 429 (the tenant is over its share); for 3 a 503 (the source is saturated).
 * A query holds nothing while it waits for an earlier gate, so a tenant's queue never
 * holds a slot another tenant could use. Counts are per replica (per process): N replicas
 * let a tenant run up to N times its cap.
 */
import type { Source } from '../catalog/types.ts';
import { GatewayError } from '../errors.ts';

/** Ends a slot; calling it again does nothing. */
export type Release = () => void;

export type SlotScope = 'tenant' | 'source';

/** Who is told about waits and refusals (metrics): the limiter itself imports no observability. */
export interface ConcurrencyObserver {
  /** Every query that got its slots, with how long it stood in line for them (0: it did not). */
  waited?(source: string, tenant: string, seconds: number): void;
  rejected?(scope: SlotScope, source: string, tenant: string): void;
}

export interface SlotRequest {
  readonly source: Source;
  /** The tenant pool of a database-per-tenant source (each pool has its own source slots). */
  readonly pool: string | null;
  /** Whose share it spends: the tenant whose rows are read, else the caller's key (`key:<id>`). */
  readonly tenant: string;
  /** The tenant's cap across every source, if api-keys.yaml sets one. */
  readonly tenantCap: number | null;
  /** Gives up waiting (a client that went away): rejects with the signal's reason. */
  readonly signal?: AbortSignal;
}

interface Waiter {
  readonly grant: () => void;
  readonly fail: (err: unknown) => void;
}

/** One counter with a FIFO line in front of it. */
class Gate {
  running = 0;
  readonly line: Waiter[] = [];
  constructor(public cap: number) {}

  get idle(): boolean {
    return this.running === 0 && this.line.length === 0;
  }

  /** Hands freed capacity to the line, oldest first (also after a reload raised the cap). */
  drain(): void {
    while (this.running < this.cap && this.line.length > 0) {
      this.running++;
      this.line.shift()!.grant();
    }
  }
}

export interface GateStats {
  readonly running: number;
  readonly waiting: number;
}

export class ConcurrencyLimits {
  readonly #gates = new Map<string, Gate>();

  constructor(private readonly observer: ConcurrencyObserver = {}) {}

  /**
   * Takes the three slots a query needs, waiting at most the source's `queue_timeout_ms` in
   * all; the returned function gives them back. Throws 429 `limit.concurrency` or 503
   * `source.saturated`, with Retry-After.
   */
  async acquire(req: SlotRequest): Promise<Release> {
    const { source, tenant } = req;
    const limits = source.limits;
    const deadline = performance.now() + limits.queueTimeoutMs;
    const poolKey = req.pool === null ? source.name : `${source.name}\u0000${req.pool}`;
    const steps: [key: string, cap: number, scope: SlotScope][] = [];
    if (req.tenantCap !== null) steps.push([`t\u0000${tenant}`, req.tenantCap, 'tenant']);
    steps.push([`ts\u0000${poolKey}\u0000${tenant}`, limits.maxConcurrentPerTenant, 'tenant']);
    steps.push([`s\u0000${poolKey}`, limits.maxConcurrent, 'source']);
    const held: Release[] = [];
    const started = performance.now();
    let queued = false;
    try {
      for (const [key, cap, scope] of steps) held.push(await this.#take(key, cap, scope, req, deadline, () => (queued = true)));
    } catch (err) {
      for (const r of held.reverse()) r();
      throw err;
    }
    // Exactly 0 for a query that found its slots free: it stood in no line.
    this.observer.waited?.(source.name, tenant, queued ? (performance.now() - started) / 1000 : 0);
    let released = false;
    return () => {
      if (released) return;
      released = true;
      for (const r of held.reverse()) r();
    };
  }

  /** Slots running and requests waiting per source (tenant pools of a source summed). */
  stats(): Record<string, GateStats> {
    const out: Record<string, { running: number; waiting: number }> = {};
    for (const [key, gate] of this.#gates) {
      if (!key.startsWith('s\u0000')) continue;
      const source = key.slice(2).split('\u0000')[0]!;
      const s = (out[source] ??= { running: 0, waiting: 0 });
      s.running += gate.running;
      s.waiting += gate.line.length;
    }
    return out;
  }

  /** What one tenant holds and waits for on one source: for tests and the admin view. */
  tenantStats(source: string, tenant: string, pool: string | null = null): GateStats {
    const poolKey = pool === null ? source : `${source}\u0000${pool}`;
    const gate = this.#gates.get(`ts\u0000${poolKey}\u0000${tenant}`);
    return { running: gate?.running ?? 0, waiting: gate?.line.length ?? 0 };
  }

  #gate(key: string, cap: number): Gate {
    let gate = this.#gates.get(key);
    if (gate === undefined) {
      gate = new Gate(cap);
      this.#gates.set(key, gate);
    } else if (gate.cap !== cap) {
      // A reload changed the setting: new requests see the new cap at once.
      gate.cap = cap;
      gate.drain();
    }
    return gate;
  }

  #releaser(key: string, gate: Gate): Release {
    return () => {
      gate.running--;
      gate.drain();
      // Thousands of tenants come and go: an unused gate is dropped (the next one starts at 0).
      if (gate.idle && this.#gates.get(key) === gate) this.#gates.delete(key);
    };
  }

  #take(key: string, cap: number, scope: SlotScope, req: SlotRequest, deadline: number, onQueue: () => void): Promise<Release> {
    const gate = this.#gate(key, Math.max(1, cap));
    if (gate.running < gate.cap && gate.line.length === 0) {
      gate.running++;
      return Promise.resolve(this.#releaser(key, gate));
    }
    onQueue();
    const left = deadline - performance.now();
    if (left <= 0 || req.signal?.aborted) return Promise.reject(this.#refusal(scope, req, gate.cap, req.signal));
    return new Promise<Release>((resolve, reject) => {
      const leave = (): void => {
        clearTimeout(timer);
        req.signal?.removeEventListener('abort', onAbort);
        const i = gate.line.indexOf(waiter);
        if (i >= 0) gate.line.splice(i, 1);
        if (gate.idle && this.#gates.get(key) === gate) this.#gates.delete(key);
      };
      const waiter: Waiter = {
        grant: () => {
          clearTimeout(timer);
          req.signal?.removeEventListener('abort', onAbort);
          resolve(this.#releaser(key, gate));
        },
        fail: (err) => {
          leave();
          reject(err);
        },
      };
      const onAbort = (): void => waiter.fail(this.#refusal(scope, req, gate.cap, req.signal));
      const timer = setTimeout(() => waiter.fail(this.#refusal(scope, req, gate.cap)), left);
      req.signal?.addEventListener('abort', onAbort, { once: true });
      gate.line.push(waiter);
    });
  }

  #refusal(scope: SlotScope, req: SlotRequest, cap: number, signal?: AbortSignal): unknown {
    if (signal?.aborted) return signal.reason;
    const { source } = req;
    this.observer.rejected?.(scope, source.name, req.tenant);
    const waitedMs = source.limits.queueTimeoutMs;
    if (scope === 'tenant') {
      return new GatewayError('limit.concurrency', 429,
        `Too many queries of yours are running at once (at most ${cap}); this one waited ${waitedMs} ms for one of them to finish. Retry when fewer are running.`,
        { headers: { 'Retry-After': '1' } });
    }
    return new GatewayError('source.saturated', 503,
      `Source '${source.name}' is busy: its ${cap} query slots stayed taken for ${waitedMs} ms. Retry shortly.`,
      { headers: { 'Retry-After': '1' } });
  }
}
