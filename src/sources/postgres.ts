/**
 * PostgreSQL executor: one pg.Pool per source (or per tenant). Timeouts are enforced by the
 * server (`statement_timeout`), so a cancelled query stops running in the database and the
 * connection stays usable.
 */
import pg from 'pg';
import Cursor from 'pg-cursor';
import type { Source } from '../catalog/types.ts';
import { GatewayError } from '../errors.ts';
import {
  pingWith, connectionWaitMs, driveStream, STREAM_BATCH,
  assertTenantId, errorCode, isNetworkError, num, queryFailed, queueLimitFor, resolveConnection,
  str, timedOut, unavailable, withDeadline, type ConnectionSettings,
} from './common.ts';
import { normaliseRow } from './normalise.ts';
import type { ExecRequest, ExecResult, Executor, RowStream } from './types.ts';
import { settledWithin } from '../timing.ts';

/** The longest each step of a cancel (connect, ask, close) may take. */
const KILL_WAIT_MS = 5_000;

// Exact text for the types a JS number or Date would distort; everything else as pg parses it.
const RAW_TEXT_OIDS = new Set([
  20, // int8
  1700, // numeric
  1082, // date
  1114, // timestamp
  1184, // timestamptz
]);
const rawText = (value: string): string => value;

/** Per-pool parsers, so pg's process-wide `types` (which other code may use) stay untouched. */
const typeParsers: pg.CustomTypesConfig = {
  getTypeParser: ((oid: number, format?: 'text' | 'binary') =>
    RAW_TEXT_OIDS.has(oid) && format !== 'binary'
      ? rawText
      : pg.types.getTypeParser(oid, format ?? 'text')) as pg.CustomTypesConfig['getTypeParser'],
};

/** The statement_timeout each pooled connection currently has, so we only SET on change. */
const sessionTimeout = new WeakMap<pg.PoolClient, number>();

const CANCELED = '57014';

function isUnavailable(err: unknown): boolean {
  if (isNetworkError(err)) return true;
  const code = errorCode(err) ?? '';
  // 08: connection exception; 28: bad credentials; 3D000: no such database;
  // 53300: too many connections; 57P01-03: shutting down / not accepting connections.
  if (/^(08|28)/.test(code) || ['3D000', '53300', '57P01', '57P02', '57P03'].includes(code)) return true;
  const message = err instanceof Error ? err.message : '';
  return /Connection terminated|timeout exceeded when trying to connect|connection timeout/i.test(message);
}

/** Where and as whom to connect, from a source's connection settings (also the audit sink's). */
export function pgConnectionOf(conn: ConnectionSettings): pg.PoolConfig {
  return {
    host: str(conn, 'host'),
    port: num(conn, 'port'),
    database: str(conn, 'database'),
    user: str(conn, 'user'),
    password: str(conn, 'password'),
    ...(conn['ssl'] === true ? { ssl: true } : {}),
  };
}

export function createPostgresExecutor(source: Source, tenant: string | null): Executor {
  const conn = resolveConnection(source, tenant);
  const pool = new pg.Pool({
    ...pgConnectionOf(conn),
    max: source.pool.max,
    idleTimeoutMillis: source.pool.idleTimeoutMs,
    // Bounds both connecting and waiting for a busy pool's connection: 503 past it.
    connectionTimeoutMillis: connectionWaitMs(source),
    allowExitOnIdle: true,
    application_name: 'semgate',
    options: '-c TimeZone=UTC',
    types: typeParsers,
  });
  // An idle connection dropped by the server emits here; without a listener it would crash
  // the process. The pool replaces it on next use.
  pool.on('error', () => undefined);
  const queueLimit = queueLimitFor(source);
  const listened = new WeakSet<pg.PoolClient>();

  async function acquire(): Promise<pg.PoolClient> {
    if (pool.waitingCount >= queueLimit) throw unavailable(source, new Error('pool queue full'));
    let client: pg.PoolClient;
    try {
      client = await pool.connect();
    } catch (err) {
      throw unavailable(source, err);
    }
    // A checked-out client whose connection dies emits 'error' (the pool listens only to idle
    // ones): unheard, that is an uncaught exception that ends the process. The running query
    // gets the failure too, and run() discards the client.
    if (!listened.has(client)) {
      listened.add(client);
      client.on('error', () => undefined);
    }
    return client;
  }

  async function setTimeoutOf(client: pg.PoolClient, req: ExecRequest): Promise<void> {
    const timeout = Math.max(1, Math.floor(req.timeoutMs));
    if (sessionTimeout.get(client) !== timeout) {
      sessionTimeout.delete(client);
      await client.query(`SET statement_timeout = ${timeout}`);
      sessionTimeout.set(client, timeout);
    }
  }

  async function execute(client: pg.PoolClient, req: ExecRequest): Promise<unknown[][]> {
    await setTimeoutOf(client, req);
    const query: pg.QueryArrayConfig = { text: req.sql, values: [...req.parameters], rowMode: 'array' };
    if (source.nativeRls === null || req.tenant === null) return (await client.query(query)).rows;
    assertTenantId(req.tenant);
    // set_config(..., true) is SET LOCAL: it ends with the transaction, so a pooled
    // connection never carries one tenant's setting into another's query.
    await client.query('BEGIN');
    try {
      await client.query('SELECT set_config($1, $2, true)', [source.nativeRls.setting, req.tenant]);
      const result = await client.query(query);
      await client.query('COMMIT');
      return result.rows;
    } catch (err) {
      await client.query('ROLLBACK').catch(() => undefined);
      throw err;
    }
  }

  async function run(req: ExecRequest): Promise<ExecResult> {
    const client = await acquire();
    let discard = false;
    try {
      const outcome = await withDeadline(
        source,
        req.timeoutMs,
        execute(client, req),
        () => undefined, // the server's statement_timeout fires at the same moment
        () => {
          discard = true;
        },
      );
      if ('value' in outcome) return { rows: outcome.value.map((r) => normaliseRow(r, req.columnTypes)) };
      const err = outcome.error;
      if (err instanceof GatewayError) throw err;
      if (errorCode(err) === CANCELED) throw timedOut(source, req.timeoutMs, err);
      if (isUnavailable(err)) {
        discard = true;
        throw unavailable(source, err);
      }
      throw queryFailed(err);
    } finally {
      client.release(discard);
    }
  }

  /**
   * Stops the statement running on `client`'s backend: pg_cancel_backend over a connection of
   * its own (the pool may be full). The caller then destroys `client`, which ends the backend.
   */
  async function cancelBackend(client: pg.PoolClient): Promise<void> {
    const pid = (client as unknown as { processID?: number }).processID;
    if (typeof pid !== 'number') return;
    // Every step bounded: a server that accepts but never answers must not hold the caller.
    const killer = new pg.Client({ ...pgConnectionOf(conn), connectionTimeoutMillis: KILL_WAIT_MS, query_timeout: KILL_WAIT_MS, application_name: 'semgate-cancel' });
    killer.on('error', () => undefined);
    try {
      await killer.connect();
      await killer.query('SELECT pg_cancel_backend($1)', [pid]);
    } catch {
      // Destroying the connection still ends the backend once it next reads from it.
    } finally {
      // pg has no public destroy: past the wait the close goes on by itself, unwaited.
      await settledWithin(killer.end(), KILL_WAIT_MS).catch(() => undefined);
    }
  }

  /** A cursor (pg-cursor) fetching STREAM_BATCH rows per round trip, in the same session setup as run(). */
  async function stream(req: ExecRequest): Promise<RowStream> {
    const client = await acquire();
    let cursor: Cursor<unknown[]> | undefined;
    let inTransaction = false;
    let started: Promise<void> | undefined;
    let ahead: Promise<unknown[][]> | undefined;
    const start = async (): Promise<void> => {
      // pg-cursor keeps its portal open between reads, and statement_timeout counts that
      // time too: an export read slowly by its client would be cut after its 200. Off for
      // this transaction (SET LOCAL); driveStream cancels a batch that takes too long instead.
      await client.query('BEGIN');
      inTransaction = true;
      await client.query('SET LOCAL statement_timeout = 0');
      if (source.nativeRls !== null && req.tenant !== null) {
        assertTenantId(req.tenant);
        await client.query('SELECT set_config($1, $2, true)', [source.nativeRls.setting, req.tenant]);
      }
      cursor = client.query(new Cursor<unknown[]>(req.sql, [...req.parameters], { rowMode: 'array', types: typeParsers }));
    };
    return driveStream(source, req, {
      async read() {
        started ??= start();
        await started;
        // One batch ahead: the database fetches the next while this one is sent.
        const rows = await (ahead ?? cursor!.read(STREAM_BATCH));
        ahead = rows.length > 0 ? cursor!.read(STREAM_BATCH) : undefined;
        ahead?.catch(() => undefined); // its failure surfaces on the next read
        if (rows.length > 0) return rows;
        if (inTransaction) {
          inTransaction = false;
          await client.query('COMMIT');
        }
        return null;
      },
      interrupt: () => cancelBackend(client),
      release: (clean) => client.release(!clean),
    }, (err) => {
      if (errorCode(err) === CANCELED) return timedOut(source, req.timeoutMs, err);
      return isUnavailable(err) ? unavailable(source, err) : queryFailed(err);
    });
  }

  return {
    run,
    stream,
    ping: () => pingWith(source, run),
    // pool.end() closes idle clients now and the others as they are released: a drain.
    close: () => pool.end(),
    stats: () => ({ inUse: pool.totalCount - pool.idleCount, idle: pool.idleCount, waiting: pool.waitingCount }),
  };
}
