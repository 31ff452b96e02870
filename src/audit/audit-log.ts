import { open, readFile, truncate } from 'node:fs/promises';
import type { Logger } from 'pino';
import type { AuditSink } from './sinks.ts';
import { LATE, settledWithin } from '../timing.ts';

/** One line per request that reached authentication, whatever its outcome. */
export interface AuditEvent {
  ts: string;
  request_id: string;
  key_id: string | null;
  tenant: string | null;
  role: string | null;
  client_ip: string | null;
  action: string;
  dataset: string | null;
  dimensions: string[];
  metrics: string[];
  filter_fields: string[];
  filter_values?: unknown[];
  status: number;
  /**
   * How the request ended: `ok`; `error` (an error answer); `aborted` (the client went away
   * before the answer ended: the statement was stopped in the database); `failed` (a streamed
   * answer broke off after its 200 was sent).
   */
  outcome?: AuditOutcome;
  rows: number | null;
  bytes: number | null;
  cache_hit: boolean | null;
  duration_ms: number;
  /** Admin calls on keys and guest tokens: the id acted on (never the key). */
  target_key_id?: string;
}

export type AuditOutcome = 'ok' | 'error' | 'aborted' | 'failed';

export interface AuditStatus {
  sink: string;
  queued: number;
  spooled: number;
  failing: boolean;
  written: number;
  last_error: string | null;
}

const RETRIES = [50, 200];
/** How long one sink write may take before its lines go to the spool instead. */
const WRITE_TIMEOUT_MS = 2000;

class WriteTimeout extends Error {}

async function writeWithin(write: Promise<void>, ms: number): Promise<void> {
  if ((await settledWithin(write, ms)) === LATE) throw new WriteTimeout(`the audit sink did not answer within ${ms} ms`);
}

/** While the sink fails, lines go straight to the spool; delivering it is tried this often. */
const SPOOL_RETRY_MS = 1000;

/**
 * Group commit: `record()` returns a promise that resolves once the line is durable - in
 * the sink, or fsynced to the local spool when the sink fails - and the gateway answers a
 * request only after that (src/web/frame.ts), so a process killed with SIGKILL has lost no
 * line of a request it answered. Lines that arrive while a write is running go together in
 * the next one: one write per batch however many requests wait.
 *
 * A failing sink is retried; what still fails goes to a local spool file (fsynced),
 * delivered first once the sink works again. A line is never dropped silently: the state
 * shows in /ready and the metrics.
 */
export class AuditLog {
  private queue: string[] = [];
  private waiters: Array<() => void> = [];
  private spooled = 0;
  private written = 0;
  private failing = false;
  private lastError: string | null = null;
  private lastSpoolTry = 0;
  private flushing: Promise<void> = Promise.resolve();
  /** A flush chained behind the running one and not started yet: new lines join it. */
  private pending: Promise<void> | null = null;
  private pendingForced = false;
  private scheduled = false;
  private readonly timer: NodeJS.Timeout;

  constructor(private readonly sink: AuditSink, private readonly spoolPath: string, private readonly logger: Logger,
    private readonly opts: { flushMs?: number; batch?: number; writeTimeoutMs?: number } = {}) {
    this.timer = setInterval(() => void this.flush(false), opts.flushMs ?? 250);
    this.timer.unref();
  }

  /** Counts what an earlier process left in the spool, so it is delivered too. */
  async init(): Promise<void> {
    const text = await readFile(this.spoolPath, 'utf8').catch(() => '');
    this.spooled = text.split('\n').filter((l) => l !== '').length;
  }

  /**
   * Queues the line; resolves when it is durable (sink or spool). Never rejects. The write
   * starts at the end of this turn of the event loop (setImmediate), so every request that
   * finished in the same turn shares it.
   */
  record(e: AuditEvent): Promise<void> {
    this.queue.push(JSON.stringify(e));
    const done = new Promise<void>((resolve) => this.waiters.push(resolve));
    if (!this.scheduled && !this.pending) {
      this.scheduled = true;
      setImmediate(() => {
        this.scheduled = false;
        void this.flush(false);
      });
    }
    return done;
  }

  /**
   * Runs one flush after any in progress (joining one already waiting); resolves when it is
   * done. `force` (the default: shutdown, tests) also tries to deliver the spool at once;
   * the flushes requests trigger try it at most once a second while the sink fails.
   */
  flush(force = true): Promise<void> {
    if (this.pending) {
      this.pendingForced ||= force;
      return this.pending;
    }
    this.pendingForced = force;
    const run = (): Promise<void> => {
      this.pending = null;
      return this.flushOnce(this.pendingForced);
    };
    this.pending = this.flushing.then(run, run);
    this.flushing = this.pending;
    return this.pending;
  }

  private async tryWrite(lines: string[]): Promise<boolean> {
    for (let attempt = 0; ; attempt++) {
      try {
        await writeWithin(this.sink.write(lines), this.opts.writeTimeoutMs ?? WRITE_TIMEOUT_MS);
        return true;
      } catch (err) {
        this.lastError = (err as Error).message;
        // A sink that does not answer (a silent network path) is not waited for again: the
        // requests waiting on these lines get them from the spool. If the write does land
        // later, the spool delivers them a second time: lines are at least once, never lost.
        if (err instanceof WriteTimeout) return false;
        if (attempt >= RETRIES.length) return false;
        await new Promise((r) => setTimeout(r, RETRIES[attempt]));
      }
    }
  }

  private async flushOnce(force: boolean): Promise<void> {
    if (this.spooled > 0 && (force || Date.now() - this.lastSpoolTry >= SPOOL_RETRY_MS)) {
      this.lastSpoolTry = Date.now();
      const text = await readFile(this.spoolPath, 'utf8').catch(() => '');
      const lines = text.split('\n').filter((l) => l !== '');
      if (lines.length === 0 || (await this.tryWrite(lines))) {
        await truncate(this.spoolPath, 0).catch(() => undefined);
        this.written += lines.length;
        this.spooled = 0;
        if (this.failing) this.logger.warn({ delivered: lines.length }, 'audit sink is back: spooled lines delivered');
        this.failing = false;
      }
    }
    if (this.queue.length === 0) return;
    const batch = this.queue;
    const waiters = this.waiters;
    this.queue = [];
    this.waiters = [];
    try {
      // While the spool still holds older lines, new ones queue behind them to keep order.
      if (this.spooled === 0 && (await this.tryWrite(batch))) {
        this.written += batch.length;
        return;
      }
      try {
        const h = await open(this.spoolPath, 'a');
        try {
          await h.appendFile(`${batch.join('\n')}\n`);
          await h.datasync();
        } finally {
          await h.close();
        }
      } catch (err) {
        // Neither the sink nor the spool took them: kept in memory for the next flush (the
        // requests are answered rather than held; the metrics and /ready show the failure).
        this.queue = batch.concat(this.queue);
        this.failing = true;
        this.logger.error({ sink: this.sink.name, err: (err as Error).message }, 'audit spool not writable: lines held in memory');
        return;
      }
      if (!this.failing) this.logger.error({ sink: this.sink.name, err: this.lastError }, 'audit sink failing: lines are spooled');
      this.spooled += batch.length;
      this.failing = true;
    } finally {
      for (const w of waiters) w();
    }
  }

  status(): AuditStatus {
    return { sink: this.sink.name, queued: this.queue.length, spooled: this.spooled, failing: this.failing, written: this.written, last_error: this.lastError };
  }

  /** Flushes everything (SIGTERM, shutdown), then closes the sink. */
  async close(): Promise<void> {
    clearInterval(this.timer);
    await this.flush();
    await this.sink.close();
  }
}

