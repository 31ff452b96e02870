/**
 * DuckDB executor: one embedded instance per executor and a few connections to it (DuckDB
 * runs connections of one instance in parallel). A timeout calls `interrupt()` on the
 * connection, which stops the statement inside DuckDB and leaves the connection usable.
 */
import { DOUBLE, DuckDBInstance, DuckDBDateValue, DuckDBTimestampValue } from '@duckdb/node-api';
import type { DuckDBConnection, DuckDBResult, DuckDBType, DuckDBValue } from '@duckdb/node-api';
import { existsSync } from 'node:fs';
import type { Source } from '../catalog/types.ts';
import { TENANT_PLACEHOLDER } from '../catalog/rules.ts';
import { GatewayError } from '../errors.ts';
import { connectionWaitMs, driveStream, pingWith, queryFailed, toDriverValue, queueLimitFor, resolveConnection, str, timedOut, unavailable, withDeadline } from './common.ts';
import { normaliseRow } from './normalise.ts';
import type { ExecRequest, ExecResult, Executor, RowStream } from './types.ts';


/**
 * DuckDB binds an integral number as BIGINT, which fails past 2^63 (1e308 is integral too).
 * Beyond 2^53 a JS number is a double anyway, so it is bound as one.
 */
function toDuckType(v: unknown): DuckDBType | undefined {
  return typeof v === 'number' && Number.isInteger(v) && !Number.isSafeInteger(v) ? DOUBLE : undefined;
}

/** ±infinity dates print as far-future calendar dates in DuckDB; every engine gives null. */
function fromDuckValue(v: DuckDBValue): unknown {
  if ((v instanceof DuckDBDateValue || v instanceof DuckDBTimestampValue) && !v.isFinite) return null;
  return v;
}

/** Parameters as DuckDB binds them: it infers integer -> INTEGER/BIGINT, else DOUBLE, VARCHAR, BOOLEAN. */
function bound(req: ExecRequest): { values: ReturnType<typeof toDriverValue>[]; types: DuckDBType[] } {
  // `undefined` entries leave the type to DuckDB's inference (the array type says otherwise).
  return { values: req.parameters.map(toDriverValue), types: req.parameters.map(toDuckType) as DuckDBType[] };
}

/**
 * Opens the database the way a shared gateway must: a file read-only unless the source says
 * `read_only: false`, and a per-tenant file only if it exists (an unknown tenant id must not
 * create a database). `:memory:` cannot be read-only and has nothing to protect.
 */
async function openInstance(source: Source, path: string): Promise<DuckDBInstance> {
  if (path === ':memory:') return DuckDBInstance.create(path);
  const templated = String(source.connection['path'] ?? '').includes(TENANT_PLACEHOLDER);
  if (templated && !existsSync(path)) throw new Error('no database file for this tenant');
  return DuckDBInstance.create(path, source.readOnly ? { access_mode: 'READ_ONLY' } : {});
}

export function createDuckdbExecutor(source: Source, tenant: string | null): Executor {
  const path = str(resolveConnection(source, tenant), 'path') ?? ':memory:';
  const max = Math.max(1, source.pool.max);
  const queueLimit = queueLimitFor(source);
  const idle: DuckDBConnection[] = [];
  const waiters: { resolve: (c: DuckDBConnection) => void; reject: (err: unknown) => void }[] = [];
  let opened = 0; // connections created and not yet closed
  let inUse = 0;
  let closing = false;
  let drained: (() => void) | undefined;
  let ready: Promise<DuckDBInstance> | undefined;

  async function openConnection(inst: DuckDBInstance): Promise<DuckDBConnection> {
    const c = await inst.connect();
    // TimeZone is per connection in DuckDB; UTC so timestamptz functions agree with pg/mysql.
    await c.run("SET TimeZone = 'UTC'");
    return c;
  }

  /** Creates the instance and runs init_sql once; concurrent first callers share this promise. */
  function instance(): Promise<DuckDBInstance> {
    ready ??= (async () => {
      let inst: DuckDBInstance | undefined;
      try {
        inst = await openInstance(source, path);
        opened++;
        const c = await openConnection(inst);
        if (source.initSql !== null && source.initSql.trim() !== '') await c.run(source.initSql);
        // init_sql may read files (the demo builds its data so); no query after it may:
        // read_csv('/etc/passwd'), COPY ... TO, ATTACH and remote URLs all fail from here on,
        // and DuckDB refuses to switch this back on while the database is open.
        await c.run('SET enable_external_access = false');
        idle.push(c);
        return inst;
      } catch (err) {
        opened = 0;
        inst?.closeSync();
        ready = undefined; // let a later request try again
        throw unavailable(source, err);
      }
    })();
    return ready;
  }

  async function acquire(): Promise<DuckDBConnection> {
    if (closing) throw unavailable(source, new Error('executor closed'));
    const inst = await instance();
    const free = idle.pop();
    if (free !== undefined) {
      inUse++;
      return free;
    }
    if (opened < max) {
      opened++;
      inUse++;
      try {
        return await openConnection(inst);
      } catch (err) {
        opened--;
        inUse--;
        throw unavailable(source, err);
      }
    }
    if (waiters.length >= queueLimit) throw unavailable(source, new Error('pool queue full'));
    // release() hands a connection over without lowering inUse; past the wait bound, 503.
    return new Promise<DuckDBConnection>((resolve, reject) => {
      const waiter = {
        resolve: (c: DuckDBConnection) => {
          clearTimeout(timer);
          resolve(c);
        },
        reject: (err: unknown) => {
          clearTimeout(timer);
          reject(err);
        },
      };
      const timer = setTimeout(() => {
        const i = waiters.indexOf(waiter);
        if (i >= 0) waiters.splice(i, 1);
        reject(unavailable(source, new Error(`no connection within ${connectionWaitMs(source)} ms`)));
      }, connectionWaitMs(source));
      waiters.push(waiter);
    });
  }

  function release(c: DuckDBConnection): void {
    const next = waiters.shift();
    if (next !== undefined) return next.resolve(c);
    inUse--;
    idle.push(c);
    if (inUse === 0 && drained !== undefined) drained();
  }

  function discard(c: DuckDBConnection, work: Promise<unknown>): void {
    // The statement ignored interrupt(); close the connection once it finally returns,
    // and give a waiter a fresh one meanwhile (briefly one over `max`).
    void work.catch(() => undefined).finally(() => {
      c.disconnectSync();
      opened--;
    });
    const next = waiters.shift();
    if (next !== undefined && ready !== undefined) {
      opened++;
      void ready.then(openConnection).then(next.resolve, (err: unknown) => {
        opened--;
        inUse--;
        next.reject(unavailable(source, err));
      });
      return;
    }
    inUse--;
    if (inUse === 0 && drained !== undefined) drained();
  }

  async function execute(c: DuckDBConnection, req: ExecRequest): Promise<unknown[][]> {
    const { values, types } = bound(req);
    const reader = values.length > 0 ? await c.runAndReadAll(req.sql, values, types) : await c.runAndReadAll(req.sql);
    return reader.getRows().map((row) => row.map(fromDuckValue));
  }

  async function run(req: ExecRequest): Promise<ExecResult> {
    const c = await acquire();
    const work = execute(c, req);
    let abandoned = false;
    try {
      const outcome = await withDeadline(source, req.timeoutMs, work, () => c.interrupt(), () => {
        abandoned = true;
      });
      if (outcome.fired) throw timedOut(source, req.timeoutMs, 'error' in outcome ? outcome.error : undefined);
      if ('value' in outcome) return { rows: outcome.value.map((r) => normaliseRow(r, req.columnTypes)) };
      if (outcome.error instanceof GatewayError) throw outcome.error;
      throw queryFailed(outcome.error);
    } finally {
      if (abandoned) discard(c, work);
      else release(c);
    }
  }

  /** DuckDB's streaming result, one chunk (2,048 rows) per read; interrupt() stops it early. */
  async function stream(req: ExecRequest): Promise<RowStream> {
    const c = await acquire();
    let result: DuckDBResult | undefined;
    let started: Promise<void> | undefined;
    // The last call into DuckDB: a discarded connection is closed only once it has returned.
    let pending: Promise<unknown> = Promise.resolve();
    const start = async (): Promise<void> => {
      const { values, types } = bound(req);
      result = values.length > 0 ? await c.stream(req.sql, values, types) : await c.stream(req.sql);
    };
    return driveStream(source, req, {
      read() {
        const work = (async () => {
          started ??= start();
          await started;
          const chunk = await result!.fetchChunk();
          if (chunk === null || chunk.rowCount === 0) return null;
          return chunk.getRows().map((row) => row.map(fromDuckValue));
        })();
        pending = work;
        return work;
      },
      async interrupt() {
        c.interrupt();
      },
      release: (clean) => (clean ? release(c) : discard(c, pending)),
    }, (err) => queryFailed(err));
  }

  return {
    run,
    stream,
    ping: () => pingWith(source, run),
    async close() {
      closing = true;
      if (inUse > 0) await new Promise<void>((resolve) => (drained = resolve));
      const inst = ready === undefined ? undefined : await ready.catch(() => undefined);
      for (const c of idle.splice(0)) c.disconnectSync();
      opened = 0;
      inst?.closeSync();
      ready = undefined;
    },
    stats: () => ({ inUse, idle: idle.length, waiting: waiters.length }),
  };
}
