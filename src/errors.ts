/**
 * The one error type of semgate. Every stage throws (or collects) GatewayError; the HTTP
 * layer maps it to RFC 9457 problem+json in one place. `message` is shown to the caller,
 * so it never carries SQL, a stack, a connection string or another tenant's id; `cause`
 * is for the log only.
 */
export type ErrorCode =
  | `catalog.${string}`
  | `auth.${string}`
  | `limit.${string}`
  | `query.${string}`
  | `source.${string}`
  | `http.${string}`
  | `internal.${string}`;

export interface GatewayErrorOptions {
  /** JSON path of the offending request field, e.g. `filters[0].values[1]`. */
  field?: string;
  /** A hint for the caller ("did you mean ..."). */
  hint?: string;
  /** For the log only: never sent to the caller. */
  cause?: unknown;
  /** Extra response headers (e.g. Retry-After). */
  headers?: Record<string, string>;
  /** Extra members of the problem+json body (RFC 9457 extensions). */
  extensions?: Record<string, unknown>;
}

export class GatewayError extends Error {
  readonly code: ErrorCode;
  readonly status: number;
  readonly field: string | undefined;
  readonly hint: string | undefined;
  readonly headers: Record<string, string> | undefined;
  readonly extensions: Record<string, unknown> | undefined;
  constructor(code: ErrorCode, status: number, message: string, opts: GatewayErrorOptions = {}) {
    // A 4xx is the caller's mistake, not ours: no stack is captured (it is never shown or
    // logged, and capturing one cost more than the rest of a 401, 404 or 429 answer).
    const stackTraceLimit = Error.stackTraceLimit;
    if (status < 500) Error.stackTraceLimit = 0;
    super(message, opts.cause === undefined ? undefined : { cause: opts.cause });
    Error.stackTraceLimit = stackTraceLimit;
    this.name = 'GatewayError';
    this.code = code;
    this.status = status;
    this.field = opts.field;
    this.hint = opts.hint;
    this.headers = opts.headers;
    this.extensions = opts.extensions;
  }
}

/** 400 for a request that does not fit the catalog or the query grammar. */
export function badQuery(code: string, message: string, opts: GatewayErrorOptions = {}): GatewayError {
  return new GatewayError(`query.${code}`, 400, message, opts);
}

export function forbidden(code: string, message: string, opts: GatewayErrorOptions = {}): GatewayError {
  return new GatewayError(`auth.${code}`, 403, message, opts);
}
