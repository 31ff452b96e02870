/**
 * MySQL / MariaDB executor: one mysql2 pool per source (or per tenant). A timeout runs
 * `KILL QUERY <thread id>` over a separate connection, the one form that stops a running
 * statement on both MySQL and MariaDB; the killed connection is then discarded rather
 * than returned to the pool, so a late KILL can never hit the next request's query.
 */
import mysql from 'mysql2/promise';
import type { Source } from '../catalog/types.ts';
import { GatewayError } from '../errors.ts';
import {
  pingWith, withinConnectionWait,
  isNetworkError, num, queryFailed, queueLimitFor, resolveConnection, str, timedOut, toDriverValue,
  unavailable, withDeadline,
} from './common.ts';
import { normaliseRow } from './normalise.ts';
import type { ExecRequest, ExecResult, Executor } from './types.ts';

const QUERY_INTERRUPTED = 1317;
// Too many connections, bad credentials, no access to / no such database, host not allowed,
// server shutting down.
const UNAVAILABLE_ERRNOS = new Set([1040, 1044, 1045, 1049, 1053, 1130, 1203]);

function errno(err: unknown): number | undefined {
  if (typeof err === 'object' && err !== null && 'errno' in err) {
    const n = (err as { errno: unknown }).errno;
    return typeof n === 'number' ? n : undefined;
  }
  return undefined;
}

function isUnavailable(err: unknown): boolean {
  const n = errno(err);
  return isNetworkError(err) || (n !== undefined && UNAVAILABLE_ERRNOS.has(n));
}

export function createMysqlExecutor(source: Source, tenant: string | null): Executor {
  const conn = resolveConnection(source, tenant);
  const connectionOptions: mysql.ConnectionOptions = {
    host: str(conn, 'host'),
    port: num(conn, 'port'),
    database: str(conn, 'database'),
    user: str(conn, 'user'),
    password: str(conn, 'password') ?? '',
    connectTimeout: 5_000,
    // Exact text for BIGINT and DECIMAL, dates as written: normalise.ts does the rest.
    supportBigNumbers: true,
    bigNumberStrings: true,
    decimalNumbers: false,
    dateStrings: true,
    timezone: 'Z',
  };
  const pool = mysql.createPool({
    ...connectionOptions,
    connectionLimit: source.pool.max,
    maxIdle: source.pool.max,
    idleTimeout: source.pool.idleTimeoutMs,
    waitForConnections: true,
    // Statements are cached per connection; bound it so many distinct queries times many
    // connections stay under the server's global max_prepared_stmt_count (16382).
    maxPreparedStatements: 128,
    queueLimit: queueLimitFor(source),
    rowsAsArray: true,
  });
  // Session setup done once per physical connection (keyed on the driver's own object).
  const prepared = new WeakSet<object>();
  let inUse = 0;
  let waiting = 0;
  let closing = false;
  let drained: (() => void) | undefined;

  async function acquire(): Promise<mysql.PoolConnection> {
    if (closing) throw unavailable(source, new Error('executor closed'));
    waiting++;
    try {
      // mysql2's pool waits for a free connection without a bound: ours is the queue timeout.
      const c = await withinConnectionWait(source, pool.getConnection(), (late) => late.release());
      inUse++;
      return c;
    } catch (err) {
      throw err instanceof GatewayError ? err : unavailable(source, err);
    } finally {
      waiting--;
    }
  }

  function giveBack(c: mysql.PoolConnection, discard: boolean): void {
    if (discard) c.destroy();
    else c.release();
    inUse--;
    if (inUse === 0 && drained !== undefined) drained();
  }

  /** Asks the server to stop the statement running on `threadId`, over a fresh connection. */
  async function killQuery(threadId: number): Promise<void> {
    let killer: mysql.Connection | undefined;
    try {
      killer = await mysql.createConnection(connectionOptions);
      await killer.query(`KILL QUERY ${Math.trunc(threadId)}`);
    } catch {
      // The backstop in withDeadline still answers 504 and discards the connection.
    } finally {
      await killer?.end().catch(() => killer?.destroy());
    }
  }

  async function execute(c: mysql.PoolConnection, req: ExecRequest): Promise<unknown[][]> {
    if (!prepared.has(c.connection)) {
      await c.query("SET time_zone = '+00:00'");
      prepared.add(c.connection);
    }
    // Server-side prepared statements when there are values: they are bound, never
    // spliced into the SQL text.
    const [rows] = req.parameters.length > 0
      ? await c.execute({ sql: req.sql, rowsAsArray: true }, req.parameters.map(toDriverValue))
      : await c.query({ sql: req.sql, rowsAsArray: true });
    return rows as unknown as unknown[][];
  }

  async function run(req: ExecRequest): Promise<ExecResult> {
    const c = await acquire();
    let discard = false;
    let kill: Promise<void> | undefined;
    let abandoned = false;
    try {
      const outcome = await withDeadline(
        source,
        req.timeoutMs,
        execute(c, req),
        () => {
          kill = killQuery(c.threadId);
        },
        () => {
          abandoned = true;
        },
      );
      if (outcome.fired) {
        // A killed connection is not reused; wait for the KILL so it cannot outlive us,
        // unless the server has not answered at all (a silent path): then the KILL goes on
        // in the background and the caller gets its 504 now.
        discard = true;
        if (!abandoned) await kill;
        throw timedOut(source, req.timeoutMs, 'error' in outcome ? outcome.error : undefined);
      }
      if ('value' in outcome) return { rows: outcome.value.map((r) => normaliseRow(r, req.columnTypes)) };
      const err = outcome.error;
      if (err instanceof GatewayError) throw err;
      if (errno(err) === QUERY_INTERRUPTED) throw timedOut(source, req.timeoutMs, err);
      if (isUnavailable(err)) {
        discard = true;
        throw unavailable(source, err);
      }
      throw queryFailed(err);
    } finally {
      giveBack(c, discard);
    }
  }

  return {
    run,
    ping: () => pingWith(source, run),
    async close() {
      closing = true;
      if (inUse > 0) await new Promise<void>((resolve) => (drained = resolve));
      await pool.end();
    },
    stats: () => ({ inUse, idle: idleCount(pool), waiting }),
  };
}

/** mysql2 has no public counter for idle connections; read it where the pool keeps it. */
function idleCount(pool: mysql.Pool): number {
  const core = (pool as unknown as { pool?: { _freeConnections?: { length: number } } }).pool;
  return core?._freeConnections?.length ?? 0;
}
