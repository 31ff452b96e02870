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

/** One pool for one source (and, for per-tenant sources, one tenant). */
export interface Executor {
  run(req: ExecRequest): Promise<ExecResult>;
  /** A trivial query; throws GatewayError `source.unavailable` when it can't. */
  ping(): Promise<void>;
  /** Drains: waits for running queries, then closes connections. */
  close(): Promise<void>;
  readonly stats: () => { readonly inUse: number; readonly idle: number; readonly waiting: number };
}
