/**
 * A query's answer as the front doors write it: the rows read before the answer starts
 * (`head`), then, for a result too big to hold, the rest straight from the database cursor,
 * batch by batch, only as fast as the client reads. The limit cut and the row count happen
 * here, so `summary()` tells the truth once the rows are all read.
 */
import type { FieldType } from '../catalog/types.ts';
import type { Row, RowStream } from '../sources/types.ts';

export interface ResultSummary {
  readonly row_count: number;
  readonly truncated: boolean;
  readonly duration_ms: number;
}

/**
 * Estimated JSON size of rows (what the cache would hold), cheap enough to run on every batch:
 * string length plus quotes, 8 characters a number, the separators.
 */
export function estimateBytes(rows: readonly Row[]): number {
  let n = 0;
  for (const row of rows) {
    n += 3;
    for (const v of row) n += typeof v === 'string' ? v.length + 3 : 8;
  }
  return n;
}

export class ResultStream {
  #rows: RowStream | null;
  #count: number;
  #truncated: boolean;
  #hooks: (() => void)[] = [];
  #closing: Promise<void> | undefined;
  readonly head: readonly Row[];

  /**
   * `head` is not changed (it may be a cached array shared with other requests); rows past
   * `limit` (the SQL asks for one more, to know) are left out and make `truncated` true.
   */
  constructor(
    readonly columns: readonly { readonly name: string; readonly type: FieldType }[],
    readonly cached: boolean,
    head: readonly Row[],
    rows: RowStream | null,
    private readonly limit: number,
    truncated: boolean,
    private readonly started: number,
  ) {
    this.head = head.length > limit ? head.slice(0, limit) : head;
    this.#truncated = truncated || head.length > limit;
    this.#count = this.head.length;
    this.#rows = rows;
  }

  /** The whole result is `head`: row count and truncation are known before the first byte. */
  get complete(): boolean {
    return this.#rows === null;
  }

  /** Meaningful once `nextBatch()` has returned null (or at once when complete). */
  summary(): ResultSummary {
    return { row_count: this.#count, truncated: this.#truncated, duration_ms: Math.round((performance.now() - this.started) * 10) / 10 };
  }

  /**
   * The next batch after `head`, or null at the end (the connection is back in its pool and
   * the close hooks have run). A database error closes the stream and is thrown.
   */
  async nextBatch(): Promise<Row[] | null> {
    for (;;) {
      const rows = this.#rows;
      if (rows === null) {
        await this.close();
        return null;
      }
      let batch: Row[] | null;
      try {
        batch = await rows.next();
      } catch (err) {
        this.#rows = null;
        await this.close();
        throw err;
      }
      if (batch === null) {
        this.#rows = null;
        await this.close();
        return null;
      }
      const room = this.limit - this.#count;
      if (batch.length > room) {
        // Read on to the end (one more row at most: the SQL's LIMIT is limit + 1) so the
        // connection goes back to its pool clean.
        this.#truncated = true;
        batch = batch.slice(0, Math.max(0, room));
      }
      this.#count += batch.length;
      if (batch.length > 0) return batch;
    }
  }

  /** Reads everything that is left (for callers that want one array: the CLI, tests). */
  async drain(): Promise<Row[]> {
    if (this.complete) {
      await this.close();
      return this.head as Row[];
    }
    const out = [...this.head];
    for (let b = await this.nextBatch(); b !== null; b = await this.nextBatch()) for (const r of b) out.push(r);
    return out;
  }

  /**
   * Runs when the stream ends, fails or is cancelled, once (at once if it already has): for
   * what must be held exactly as long as the database works for this answer (a concurrency slot).
   */
  onClose(hook: () => void): void {
    if (this.#rows === null) hook();
    else this.#hooks.push(hook);
  }

  /**
   * Ends the answer: if rows are still coming, the statement is stopped in the database
   * (the client went away). Idempotent.
   */
  close(): Promise<void> {
    // Every caller waits for the one close: a second one (the stall timer and the socket's
    // cancel, say) must not free the slot while the first still stops the statement.
    this.#closing ??= this.#close();
    return this.#closing;
  }

  async #close(): Promise<void> {
    const rows = this.#rows;
    this.#rows = null;
    try {
      if (rows !== null) await rows.cancel();
    } finally {
      for (const hook of this.#hooks.splice(0)) hook();
    }
  }

  /** The client went away: the same as close(). */
  async cancel(): Promise<void> {
    await this.close();
  }
}
