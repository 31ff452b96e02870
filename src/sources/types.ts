import type { FieldType } from '../catalog/types.ts';

/** What an executor is asked to run. */
export interface ExecRequest {
  readonly sql: string;
  readonly parameters: readonly unknown[];
  /** Output column types, in SELECT order, used to normalise values. */
  readonly columnTypes: readonly FieldType[];
  /** Cancel the statement in the database after this many ms (504 `source.timeout`). */
  readonly timeoutMs: number;
  /** The tenant the query runs for, if any (database per tenant, native RLS). */
  readonly tenant: string | null;
}

/**
 * Rows as arrays in SELECT order, values normalised to the spec's JSON types:
 * string; number (integers beyond 2^53 and exact decimals beyond 2^53 as strings);
 * boolean; date as `YYYY-MM-DD`; timestamp as `YYYY-MM-DDTHH:MM:SS.sssZ`; or null.
 */
export type Row = (string | number | boolean | null)[];

export interface ExecResult {
  readonly rows: Row[];
}

/**
 * A result read from the database while it is being sent: batches of normalised rows, with
 * backpressure (the next batch is fetched only when asked for). The connection stays checked
 * out until the end or `cancel()`.
 */
export interface RowStream {
  /** The next batch (never empty), or null at the end, when the connection is back in its pool. */
  next(): Promise<Row[] | null>;
  /**
   * Ends early (the client went away): stops the statement in the database if it is still
   * running (pg_cancel_backend, KILL QUERY, interrupt) and discards the connection, which
   * never goes back to a pool mid-result. Idempotent; a no-op after the end.
   */
  cancel(): Promise<void>;
}

/** One pool for one source (and, for per-tenant sources, one tenant). */
export interface Executor {
  run(req: ExecRequest): Promise<ExecResult>;
  /**
   * Starts the statement and hands back its rows as they come: a pg cursor, mysql2's row
   * stream, DuckDB's chunked result. Each batch must come within `timeoutMs` (the first
   * holds most of a query's work); past it, 504 as with `run`. Errors come from `next()`.
   */
  stream(req: ExecRequest): Promise<RowStream>;
  /** A trivial query; throws GatewayError `source.unavailable` when it can't. */
  ping(): Promise<void>;
  /** Drains: waits for running queries, then closes connections. */
  close(): Promise<void>;
  readonly stats: () => { readonly inUse: number; readonly idle: number; readonly waiting: number };
}
