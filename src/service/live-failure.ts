/**
 * What a database said when the live check's statement or connection failed, for an
 * administrator's eyes (the CLI, the start-up log): the driver's own message, never the
 * SQL, a password or a connection string, and which connection setting it points at.
 */
import { GatewayError } from '../errors.ts';

export interface Failure {
  readonly message: string;
  /** The `connection:` setting a connection failure is about, when the driver says. */
  readonly connectionField: 'host' | 'database' | 'user' | 'path' | null;
}

const DATABASE_CODES = new Set(['3D000', 'ER_BAD_DB_ERROR']);
const CREDENTIAL_CODES = new Set(['28P01', '28000', 'ER_ACCESS_DENIED_ERROR', 'ER_DBACCESS_DENIED_ERROR', 'ER_ACCESS_DENIED_NO_PASSWORD_ERROR']);
const NETWORK_CODES = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH', 'ECONNRESET']);

function codeOf(err: unknown): string | undefined {
  const code = typeof err === 'object' && err !== null ? (err as { code?: unknown }).code : undefined;
  return typeof code === 'string' ? code : undefined;
}

/** The driver's error under our GatewayError (its `cause`), and under an AggregateError its first part. */
function driverError(err: unknown): unknown {
  let e: unknown = err;
  while (e instanceof GatewayError && e.cause !== undefined) e = e.cause;
  if (e instanceof AggregateError && e.errors.length > 0) return e.errors[0];
  return e;
}

/** The first paragraph of a message: DuckDB appends the statement (`LINE 1: ...`) and a caret. */
function firstPart(message: string): string {
  const lines = message.split('\n').map((l) => l.trim()).filter((l) => l !== '');
  const cut = lines.findIndex((l) => /^LINE \d+:/.test(l));
  return (cut >= 0 ? lines.slice(0, cut) : lines).join(' ').slice(0, 500);
}

export function describeFailure(err: unknown): Failure {
  const e = driverError(err);
  const code = codeOf(e);
  const message = firstPart(e instanceof Error ? e.message || code || e.name : String(e)) || 'no message';
  let connectionField: Failure['connectionField'] = null;
  if (code !== undefined && DATABASE_CODES.has(code)) connectionField = 'database';
  else if (code !== undefined && CREDENTIAL_CODES.has(code)) connectionField = 'user';
  else if ((code !== undefined && NETWORK_CODES.has(code)) || (code === undefined && /timeout|timed out/i.test(message))) connectionField = 'host';
  return { message, connectionField };
}
