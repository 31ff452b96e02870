/**
 * What the three executors share: tenant substitution in connection settings, the three
 * source errors, the pool queue bound, and the backstop that ends a request whose
 * in-database cancellation did not come back.
 */
import type { ExecRequest, Row, RowStream } from './types.ts';
import { normaliseRowInPlace } from './normalise.ts';
import type { Source } from '../catalog/types.ts';
import { TENANT_ID_PATTERN } from '../catalog/types.ts';
import { TENANT_PLACEHOLDER } from '../catalog/rules.ts';
import { GatewayError } from '../errors.ts';

export type ConnectionSettings = Readonly<Record<string, string | number | boolean>>;

/** Checked again here because the value lands in a connection string, not a parameter. */
export function assertTenantId(tenant: string): void {
  if (!TENANT_ID_PATTERN.test(tenant)) throw new GatewayError('query.invalid_tenant', 400, 'Invalid tenant id');
}

/** The source's connection settings with every `{tenant}` replaced. */
export function resolveConnection(source: Source, tenant: string | null): ConnectionSettings {
  if (tenant !== null) assertTenantId(tenant);
  const out: Record<string, string | number | boolean> = {};
  for (const [key, value] of Object.entries(source.connection)) {
    if (typeof value !== 'string' || !value.includes(TENANT_PLACEHOLDER)) {
      out[key] = value;
    } else if (tenant === null) {
      throw new GatewayError('internal.tenant_missing', 500, `Source '${source.name}' needs a tenant`);
    } else {
      out[key] = value.replaceAll(TENANT_PLACEHOLDER, tenant);
    }
  }
  return Object.freeze(out);
}

export function str(settings: ConnectionSettings, key: string): string | undefined {
  const v = settings[key];
  return v === undefined ? undefined : String(v);
}

export function num(settings: ConnectionSettings, key: string): number | undefined {
  const v = settings[key];
  if (v === undefined || v === '') return undefined;
  const n = Number(v);
  return Number.isFinite(n) ? n : undefined;
}

/** Requests allowed to wait for a connection before we answer 503 instead of queueing. */
export function queueLimitFor(source: Source): number {
  return Math.max(16, source.pool.max * 4);
}

/**
 * How long a request waits for a pooled connection: the source's queue timeout (at least a
 * second, which also bounds connecting to a server that does not answer).
 */
export function connectionWaitMs(source: Source): number {
  return Math.max(1_000, source.limits.queueTimeoutMs);
}

/**
 * A pool's connection, or 503 after `connectionWaitMs`: a connection that arrives after we
 * gave up is handed to `giveBack` at once (never leaked, never used).
 */
export async function withinConnectionWait<C>(source: Source, pending: Promise<C>, giveBack: (c: C) => void): Promise<C> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<'timeout'>((resolve) => {
    timer = setTimeout(() => resolve('timeout'), connectionWaitMs(source));
  });
  try {
    const first = await Promise.race([pending, timeout]);
    if (first === 'timeout') {
      pending.then(giveBack, () => undefined);
      throw unavailable(source, new Error(`no connection within ${connectionWaitMs(source)} ms`));
    }
    return first as C;
  } finally {
    clearTimeout(timer);
  }
}

export function unavailable(source: Source, cause: unknown): GatewayError {
  return new GatewayError('source.unavailable', 503, `Source '${source.name}' is unavailable`, {
    headers: { 'Retry-After': '5' },
    cause,
  });
}

/** The ping every executor answers: `SELECT 1` through its own run(); any failure is 503. */
export async function pingWith(source: Source, run: (req: ExecRequest) => Promise<unknown>): Promise<void> {
  try {
    await run({ sql: 'SELECT 1', parameters: [], columnTypes: ['integer'], timeoutMs: 5_000, tenant: null });
  } catch (err) {
    throw unavailable(source, err);
  }
}

export function timedOut(source: Source, timeoutMs: number, cause?: unknown): GatewayError {
  return new GatewayError('source.timeout', 504, `The query ran past its ${timeoutMs} ms limit and was cancelled`, {
    cause,
    hint: `source '${source.name}'`,
  });
}

/**
 * A bound parameter as the drivers take it (mysql2 and DuckDB infer the SQL type from the JS
 * type): strings, booleans, bigints and finite numbers as they are; non-finite numbers as NULL.
 */
export function toDriverValue(v: unknown): string | number | boolean | bigint | null {
  if (v === null || v === undefined) return null;
  if (typeof v === 'string' || typeof v === 'boolean' || typeof v === 'bigint') return v;
  if (typeof v === 'number') return Number.isFinite(v) ? v : null;
  throw new GatewayError('internal.bad_parameter', 500, 'A query parameter has an unsupported type');
}

export function queryFailed(cause: unknown): GatewayError {
  return new GatewayError('source.query_failed', 500, 'The query failed in the source', { cause });
}

/** Socket-level failures that mean "cannot reach the database", whatever the driver. */
const NETWORK_CODES = new Set([
  'ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'ETIMEDOUT', 'ECONNRESET', 'EHOSTUNREACH',
  'ENETUNREACH', 'EPIPE', 'ECONNABORTED', 'PROTOCOL_CONNECTION_LOST', 'ER_SERVER_SHUTDOWN',
]);

export function errorCode(err: unknown): string | undefined {
  if (typeof err === 'object' && err !== null && 'code' in err) {
    const code = (err as { code: unknown }).code;
    return typeof code === 'string' ? code : undefined;
  }
  return undefined;
}

export function isNetworkError(err: unknown): boolean {
  const code = errorCode(err);
  if (code !== undefined && NETWORK_CODES.has(code)) return true;
  // Node wraps several failed addresses (127.0.0.1 and ::1) in an AggregateError.
  return err instanceof AggregateError && err.errors.some(isNetworkError);
}

/**
 * How long after the deadline we stop waiting for the database to confirm the
 * cancellation and answer 504 anyway (the connection is then discarded, not reused).
 */
export const CANCEL_GRACE_MS = 2_000;

/**
 * Runs `work` with a deadline: at `timeoutMs` calls `cancel` (which asks the database to
 * stop), and if `work` has not settled `CANCEL_GRACE_MS` later, rejects with 504 and calls
 * `abandon` so the caller can throw the connection away. `onSettled` tells whether the
 * deadline fired, so a result that raced the cancellation is still reported as 504.
 */
export async function withDeadline<T>(
  source: Source,
  timeoutMs: number,
  work: Promise<T>,
  cancel: () => void,
  abandon: () => void,
): Promise<{ value: T; fired: boolean } | { error: unknown; fired: boolean }> {
  let fired = false;
  let backstop: NodeJS.Timeout | undefined;
  const timer = setTimeout(() => {
    fired = true;
    cancel();
  }, Math.max(1, timeoutMs));
  const giveUp = new Promise<'gave_up'>((resolve) => {
    backstop = setTimeout(() => resolve('gave_up'), Math.max(1, timeoutMs) + CANCEL_GRACE_MS);
  });
  try {
    const settled = await Promise.race([
      work.then((value) => ({ value }), (error: unknown) => ({ error })),
      giveUp,
    ]);
    if (settled === 'gave_up') {
      abandon();
      work.catch(() => undefined);
      return { error: timedOut(source, timeoutMs), fired: true };
    }
    return { ...settled, fired };
  } finally {
    clearTimeout(timer);
    clearTimeout(backstop);
  }
}

/** Rows per batch a stream reads from the database: one round trip (pg) or chunk each. */
export const STREAM_BATCH = 8000;

/** The request ended from the client's side (it closed the connection) before its answer did. */
export function clientGone(): GatewayError {
  return new GatewayError('http.client_closed', 499, 'The client closed the connection before the answer was complete');
}

/** What an engine gives the shared stream logic: raw batches and the ways to stop. */
export interface StreamDriver {
  /** The next raw batch (rows as arrays in SELECT order; may be empty), or null at the end. */
  read(): Promise<unknown[][] | null>;
  /** Asks the database to stop the running statement. Never throws. */
  interrupt(): Promise<void>;
  /** Gives the connection back: to its pool when `clean`, else destroyed. Called once. */
  release(clean: boolean): void;
}

/**
 * A RowStream over an engine's driver: values normalised by the declared types; each batch
 * must come within `timeoutMs` (past it: interrupt, 504), as PostgreSQL's statement_timeout
 * times each fetch, so an export longer than the timeout streams on while the database keeps
 * up; any failure or early stop discards the connection, a clean end gives it back.
 */
export function driveStream(source: Source, req: ExecRequest, driver: StreamDriver, mapError: (err: unknown) => GatewayError): RowStream {
  let state: 'open' | 'ended' | 'cancelled' = 'open';
  // Read through a function: cancel() changes it while next() awaits.
  const cancelled = (): boolean => state === 'cancelled';
  // One promise per read, not one for the stream's life: every race attaches a reaction to
  // it, and a long-lived promise would keep every batch ever read reachable through them.
  let stop: ((v: 'cancelled') => void) | null = null;
  let released = false;
  const finish = (clean: boolean): void => {
    if (released) return;
    released = true;
    driver.release(clean);
  };
  return {
    async next(): Promise<Row[] | null> {
      for (;;) {
        if (state === 'ended') return null;
        if (state === 'cancelled') throw clientGone();
        const read = withDeadline(source, req.timeoutMs, driver.read(), () => void driver.interrupt(), () => undefined);
        // A cancelled read may never settle (a destroyed connection fails no command): don't wait for it.
        const stopped = new Promise<'cancelled'>((resolve) => (stop = resolve));
        const outcome = await Promise.race([read, stopped]);
        stop = null;
        if (outcome === 'cancelled' || cancelled()) {
          void read.catch(() => undefined);
          throw clientGone();
        }
        if (outcome.fired || 'error' in outcome) {
          state = 'ended';
          finish(false);
          if (outcome.fired) throw timedOut(source, req.timeoutMs, 'error' in outcome ? outcome.error : undefined);
          throw 'error' in outcome && outcome.error instanceof GatewayError ? outcome.error : mapError((outcome as { error: unknown }).error);
        }
        const raw = outcome.value;
        if (raw === null) {
          state = 'ended';
          finish(true);
          return null;
        }
        if (raw.length > 0) {
          for (const r of raw) normaliseRowInPlace(r, req.columnTypes);
          return raw as Row[];
        }
      }
    },
    async cancel(): Promise<void> {
      if (state !== 'open') return;
      state = 'cancelled';
      stop?.('cancelled');
      await driver.interrupt();
      finish(false);
    },
  };
}
