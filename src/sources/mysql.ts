/**
 * MySQL / MariaDB executor: one mysql2 pool per source (or per tenant). A timeout runs
 * `KILL QUERY <thread id>` over a separate connection, the one form that stops a running
 * statement on both MySQL and MariaDB; the killed connection is then discarded rather
 * than returned to the pool, so a late KILL can never hit the next request's query.
 */
import type { Readable } from 'node:stream';
import mysql from 'mysql2/promise';
import type { Source } from '../catalog/types.ts';
import { GatewayError } from '../errors.ts';
import {
  pingWith, withinConnectionWait, driveStream, STREAM_BATCH, errorCode,
  isNetworkError, num, queryFailed, queueLimitFor, resolveConnection, str, timedOut, toDriverValue,
  unavailable, withDeadline,
} from './common.ts';
import { normaliseRow } from './normalise.ts';
import type { ExecRequest, ExecResult, Executor, RowStream } from './types.ts';
import { LATE, settledWithin } from '../timing.ts';

/** The longest each step of a KILL (connect, ask, close) may take. */
const KILL_WAIT_MS = 5_000;

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
    if (discard) {
      c.destroy();
      // destroy() only half-closes (FIN); a server blocked writing a result to a paused
      // socket would wait on: reset the socket so its write fails and the thread ends.
      (c.connection as unknown as { stream?: { destroy(): void } }).stream?.destroy();
    } else {
      c.release();
    }
    inUse--;
    if (inUse === 0 && drained !== undefined) drained();
  }

  /** Asks the server to stop the statement running on `threadId`, over a fresh connection. */
  async function killQuery(threadId: number): Promise<void> {
    let killer: mysql.Connection | undefined;
    try {
      // Every step bounded: a server that accepts but never answers must not hold the caller.
      killer = await mysql.createConnection({ ...connectionOptions, connectTimeout: KILL_WAIT_MS });
      await killer.query({ sql: `KILL QUERY ${Math.trunc(threadId)}`, timeout: KILL_WAIT_MS });
    } catch {
      // The backstop in withDeadline still answers 504 and discards the connection.
    } finally {
      if (killer && (await settledWithin(killer.end(), KILL_WAIT_MS).catch(() => LATE)) === LATE) killer.destroy();
    }
  }

  async function prepareSession(c: mysql.PoolConnection): Promise<void> {
    if (!prepared.has(c.connection)) {
      await c.query("SET time_zone = '+00:00'");
      prepared.add(c.connection);
    }
  }

  async function execute(c: mysql.PoolConnection, req: ExecRequest): Promise<unknown[][]> {
    await prepareSession(c);
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

  function mapError(err: unknown, req: ExecRequest): GatewayError {
    if (errno(err) === QUERY_INTERRUPTED) return timedOut(source, req.timeoutMs, err);
    return isUnavailable(err) ? unavailable(source, err) : queryFailed(err);
  }

  /**
   * mysql2's row stream on the pool connection's core connection (a prepared statement when
   * there are values, as in run()). The server sends the whole result; when our buffer is full
   * mysql2 pauses the socket, so the server waits: backpressure down to the database. Stopping
   * early is KILL QUERY and then destroying the connection (a server blocked writing to us
   * ends with the socket).
   */
  async function stream(req: ExecRequest): Promise<RowStream> {
    const c = await acquire();
    let rows: Readable | undefined;
    let ended = false;
    let failed: unknown;
    let started: Promise<void> | undefined;
    const start = async (): Promise<void> => {
      await prepareSession(c);
      const core = c.connection as unknown as CoreConnection;
      const options = { sql: req.sql, rowsAsArray: true };
      const command = req.parameters.length > 0 ? core.execute(options, req.parameters.map(toDriverValue)) : core.query(options);
      const s = command.stream({ highWaterMark: STREAM_BATCH });
      rows = s;
      s.on('end', () => (ended = true));
      s.on('error', (err: unknown) => (failed = err));
      // A connection lost before the first row may never reach the command's stream: a
      // read waiting on it would wait forever. Its loss ends the stream as a network error.
      const lost = (err?: unknown): void => {
        if (ended || failed !== undefined) return;
        failed = errorCode(err) !== undefined ? err : Object.assign(new Error('Connection lost: the server closed the connection'), { code: 'PROTOCOL_CONNECTION_LOST' });
        s.destroy();
      };
      const events = core as unknown as NodeJS.EventEmitter;
      const onEnd = (): void => lost();
      events.once('end', onEnd);
      events.once('error', lost);
      s.once('close', () => {
        events.off('end', onEnd);
        events.off('error', lost);
      });
    };
    const wait = (s: Readable): Promise<void> => new Promise((resolve) => {
      const done = (): void => {
        s.off('readable', done); s.off('end', done); s.off('error', done); s.off('close', done);
        resolve();
      };
      s.on('readable', done); s.on('end', done); s.on('error', done); s.on('close', done);
    });
    return driveStream(source, req, {
      async read() {
        started ??= start();
        await started;
        const s = rows!;
        for (;;) {
          const batch: unknown[][] = [];
          let row: unknown[] | null;
          while (batch.length < STREAM_BATCH && (row = s.read() as unknown[] | null) !== null) batch.push(row);
          if (batch.length > 0) return batch;
          if (failed !== undefined) throw failed;
          if (ended || s.destroyed) return null;
          await wait(s);
        }
      },
      async interrupt() {
        if (!ended) await killQuery(c.threadId);
      },
      release: (clean) => giveBack(c, !clean),
    }, (err) => mapError(err, req));
  }

  return {
    run,
    stream,
    ping: () => pingWith(source, run),
    async close() {
      closing = true;
      if (inUse > 0) await new Promise<void>((resolve) => (drained = resolve));
      await pool.end();
    },
    stats: () => ({ inUse, idle: idleCount(pool), waiting }),
  };
}

/** The callback-style connection under a promise pool connection: its commands can stream. */
interface CoreConnection {
  query(options: { sql: string; rowsAsArray: boolean }): { stream(options: { highWaterMark: number }): Readable };
  execute(options: { sql: string; rowsAsArray: boolean }, values: unknown[]): { stream(options: { highWaterMark: number }): Readable };
}

/** mysql2 has no public counter for idle connections; read it where the pool keeps it. */
function idleCount(pool: mysql.Pool): number {
  const core = (pool as unknown as { pool?: { _freeConnections?: { length: number } } }).pool;
  return core?._freeConnections?.length ?? 0;
}
