import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { AuditStatus } from '../audit/index.ts';
import type { SourceStats } from '../sources/registry.ts';

/** Live numbers read at scrape time. */
export interface MetricSources {
  pools(): Record<string, SourceStats>;
  audit(): AuditStatus;
  cache(): { entries: number; bytes: number };
  /** Concurrency slots per source: queries holding one, and waiting for one. */
  slots?(): Record<string, { running: number; waiting: number }>;
}

/**
 * Prometheus metrics of one gateway, in a registry of its own (so several gateways in one
 * test process do not collide). Tenant labels are capped: past `maxTenants` distinct
 * tenants, the rest are counted as `_other`, which keeps the series count bounded.
 */
export class Metrics {
  readonly registry = new Registry();
  private readonly tenants = new Set<string>();
  readonly requests: Counter<'route' | 'method' | 'status' | 'tenant'>;
  readonly duration: Histogram<'route' | 'method' | 'status' | 'tenant'>;
  readonly cache: Counter<'result' | 'dataset'>;
  readonly rateLimited: Counter<'tenant'>;
  readonly reloads: Counter<'result'>;
  readonly compiles: Counter<'result'>;
  readonly slotWait: Histogram<'source' | 'tenant'>;
  readonly slotRejections: Counter<'scope' | 'source' | 'tenant'>;

  constructor(live: MetricSources, private readonly maxTenants = Number(process.env.SEMGATE_METRICS_MAX_TENANTS ?? 100)) {
    const registers = [this.registry];
    // prom-client's own names already say what they are (process_cpu_seconds_total,
    // nodejs_heap_size_used_bytes): the prefix only adds ours.
    collectDefaultMetrics({ register: this.registry, prefix: 'semgate_' });
    this.requests = new Counter({ name: 'semgate_http_requests_total', help: 'HTTP requests by route, method, status and tenant', labelNames: ['route', 'method', 'status', 'tenant'], registers });
    this.duration = new Histogram({
      name: 'semgate_http_request_duration_seconds', help: 'HTTP request latency', labelNames: ['route', 'method', 'status', 'tenant'], registers,
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
    });
    this.cache = new Counter({ name: 'semgate_cache_requests_total', help: 'Result cache lookups by result (hit, miss) and dataset', labelNames: ['result', 'dataset'], registers });
    this.rateLimited = new Counter({ name: 'semgate_rate_limit_rejections_total', help: 'Requests refused with 429', labelNames: ['tenant'], registers });
    this.compiles = new Counter({ name: 'semgate_compiled_sql_cache_total', help: 'Compiled-SQL cache lookups of every front door by result (hit, miss, uncached)', labelNames: ['result'], registers });
    this.reloads = new Counter({ name: 'semgate_config_reloads_total', help: 'Configuration reloads by result (ok, refused)', labelNames: ['result'], registers });
    const pool = (name: string, help: string, pick: (s: SourceStats) => number): Gauge<'source'> => new Gauge({
      name, help, labelNames: ['source'], registers,
      collect() {
        this.reset();
        for (const [source, s] of Object.entries(live.pools())) this.set({ source }, pick(s));
      },
    });
    pool('semgate_pool_connections_in_use', 'Connections running a query, per source', (s) => s.inUse);
    pool('semgate_pool_connections_idle', 'Idle pooled connections, per source', (s) => s.idle);
    pool('semgate_pool_requests_waiting', 'Requests waiting for a connection, per source', (s) => s.waiting);
    this.slotWait = new Histogram({
      name: 'semgate_query_slot_wait_seconds', help: 'Time a query waited for its concurrency slots (tenant and source), per source and tenant', labelNames: ['source', 'tenant'], registers,
      buckets: [0.001, 0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    });
    this.slotRejections = new Counter({ name: 'semgate_query_slot_rejections_total', help: 'Queries refused after waiting for a slot: scope tenant (429, over its share) or source (503, saturated)', labelNames: ['scope', 'source', 'tenant'], registers });
    const slots = (name: string, help: string, pick: (s: { running: number; waiting: number }) => number): Gauge<'source'> => new Gauge({
      name, help, labelNames: ['source'], registers,
      collect() {
        this.reset();
        for (const [source, s] of Object.entries(live.slots?.() ?? {})) this.set({ source }, pick(s));
      },
    });
    slots('semgate_query_slots_in_use', 'Queries holding a concurrency slot of the source', (s) => s.running);
    slots('semgate_query_slots_waiting', 'Queries waiting for a concurrency slot of the source', (s) => s.waiting);
    new Gauge({ name: 'semgate_audit_queue_depth', help: 'Audit lines waiting to be written', registers, collect() { this.set(live.audit().queued); } });
    new Gauge({ name: 'semgate_audit_spooled_lines', help: 'Audit lines in the local spool (sink failing)', registers, collect() { this.set(live.audit().spooled); } });
    new Gauge({ name: 'semgate_audit_sink_failing', help: '1 while the audit sink fails', registers, collect() { this.set(live.audit().failing ? 1 : 0); } });
    new Gauge({ name: 'semgate_cache_bytes', help: 'Bytes held by the in-process result cache', registers, collect() { this.set(live.cache().bytes); } });
  }

  /** The tenant label: the tenant while under the cap, else `_other`; `_none` without one. */
  tenantLabel(tenant: string | null): string {
    if (tenant === null) return '_none';
    if (this.tenants.has(tenant)) return tenant;
    if (this.tenants.size >= this.maxTenants) return '_other';
    this.tenants.add(tenant);
    return tenant;
  }

  observeSlotWait(source: string, tenant: string, seconds: number): void {
    this.slotWait.observe({ source, tenant: this.tenantLabel(tenant.startsWith('key:') ? null : tenant) }, seconds);
  }

  observeSlotRejection(scope: 'tenant' | 'source', source: string, tenant: string): void {
    this.slotRejections.inc({ scope, source, tenant: this.tenantLabel(tenant.startsWith('key:') ? null : tenant) });
  }

  observeRequest(route: string, method: string, status: number, tenant: string | null, seconds: number): void {
    const labels = { route, method, status: String(status), tenant: this.tenantLabel(tenant) };
    this.requests.inc(labels);
    this.duration.observe(labels, seconds);
    if (status === 429) this.rateLimited.inc({ tenant: labels.tenant });
  }
}
