/**
 * A response body written from a ResultStream as the client reads it: the next batch is
 * fetched from the database only when the socket has taken the previous one (the web
 * stream's pull), so memory stays bounded whatever the result's size. A client that goes
 * away cancels the stream, which stops the statement in the database.
 */
import type { HttpBindings } from '@hono/node-server';
import type { Context } from 'hono';
import type { ResultStream, ResultSummary } from '../service/result-stream.ts';
import type { Row } from '../sources/types.ts';
import { GatewayError } from '../errors.ts';
import { envMs } from '../timing.ts';
import { detailOf } from './body.ts';
import type { GatewayEnv } from './env.ts';

/** How a streamed answer ended, for the audit line. */
export type StreamOutcome = 'ok' | 'aborted' | 'failed';

/**
 * One chunk of a body, encoded (UTF-8) as its text is written: a batch written row by row
 * into one buffer, instead of one long string built up and then flattened and encoded,
 * which cost more than the formatting itself (bench/stream.ts).
 */
export class Chunk {
  #buf: Buffer;
  #off = 0;
  /** Text not yet encoded: short rows are encoded a few at a time (one call per ~4 KB). */
  #pending = '';
  constructor(size: number) {
    this.#buf = Buffer.allocUnsafe(size);
  }

  write(text: string): void {
    this.#pending += text;
    if (this.#pending.length >= 4096) this.#flush();
  }

  #flush(): void {
    const text = this.#pending;
    if (text === '') return;
    this.#pending = '';
    // UTF-8 takes at most 3 bytes per UTF-16 code unit.
    const need = this.#off + text.length * 3;
    if (need > this.#buf.length) {
      const grown = Buffer.allocUnsafe(Math.max(need, this.#buf.length * 2));
      this.#buf.copy(grown, 0, 0, this.#off);
      this.#buf = grown;
    }
    this.#off += this.#buf.write(text, this.#off, 'utf8');
  }

  get size(): number {
    this.#flush();
    return this.#off;
  }

  /** The bytes written (only those: the rest of the buffer is never handed out). */
  bytes(): Buffer {
    this.#flush();
    return this.#buf.subarray(0, this.#off);
  }
}

export interface BodyParts {
  /** Before the first row. */
  readonly open: string;
  /** Writes one batch of rows; `first` for the batch that starts the rows. */
  readonly rows: (batch: readonly Row[], first: boolean, out: Chunk) => void;
  /** After the last row, with what is known only then. */
  readonly close: (summary: ResultSummary) => string;
}

/** BodyParts.rows for rows separated by commas (JSON arrays), each written by `format`. */
export function commaSeparated(format: (row: Row) => string): BodyParts['rows'] {
  return (batch, first, out) => {
    for (let i = 0; i < batch.length; i++) out.write(first && i === 0 ? format(batch[i]!) : `,${format(batch[i]!)}`);
  };
}

/** Bytes per write to the socket. */
const PIECE = 64 * 1024;

/** Rows of `head` per chunk: the same size as a database batch. */
const SLICE = 8000;

/** The client's end of a streamed answer, where there is a socket (none for in-process requests). */
export interface ClientLink {
  /**
   * Cuts the connection (node: destroys the socket), so a body that broke off after its 200
   * can never look complete; false where there is no socket, where the stream's error does
   * it. Left to itself, @hono/node-server would end the body with an `Error: ...` line and a
   * proper last chunk, and print the stack.
   */
  cut(): boolean;
  /** Bytes the client's connection has taken so far (handed to the kernel), or null without a socket. */
  taken(): number | null;
}

export const NO_LINK: ClientLink = { cut: () => false, taken: () => null };

export function clientLink(c: Context): ClientLink {
  const outgoing = (): HttpBindings['outgoing'] | undefined => (c.env as HttpBindings | undefined)?.outgoing;
  return {
    cut: () => {
      const o = outgoing();
      if (!o) return false;
      o.destroy();
      return true;
    },
    taken: () => {
      const socket = outgoing()?.socket;
      // Written to the socket, less what still waits in its buffer: it grows only as the
      // kernel takes bytes, which it does only as the client reads.
      return socket ? socket.bytesWritten - socket.writableLength : null;
    },
  };
}

/** What streamBody reports when a stream ends: its byte count, outcome and rows. */
export type StreamDone = (bytes: number, outcome: StreamOutcome, summary: ResultSummary, error?: unknown) => void;

/**
 * The request's detail for a streamed answer: its size, rows and outcome become known when
 * the stream ends (the audit line waits for them, src/web/observe.ts); a stream that broke
 * off after its 200 is logged.
 */
export function streamDetail(c: Context<GatewayEnv>): StreamDone {
  const detail = detailOf(c);
  let finished: (bytes: number) => void = () => undefined;
  detail.bytes = new Promise<number>((resolve) => { finished = resolve; });
  return (bytes, outcome, summary, error) => {
    detail.rows = summary.row_count;
    detail.outcome = outcome;
    if (outcome === 'failed') c.get('gateway').logger.warn({ req_id: c.get('requestId'), err: error }, 'a streamed answer broke off: the connection was cut');
    finished(bytes);
  };
}

/** The default of SEMGATE_STREAM_STALL_MS: as long as nginx's send_timeout. */
export const STREAM_STALL_MS = 60_000;

/**
 * How long a streamed answer waits for its client to take the next chunk before it gives
 * up: SEMGATE_STREAM_STALL_MS (0: forever). A client that stops reading would otherwise hold
 * its concurrency slot, a pooled connection and an open cursor for as long as it likes.
 */
export function streamStallMs(env: NodeJS.ProcessEnv = process.env): number {
  return envMs(env, 'SEMGATE_STREAM_STALL_MS', STREAM_STALL_MS);
}

/** Why a stream was given up when its client stopped reading (logged; the audit line says aborted). */
export const clientStalled = (ms: number): GatewayError =>
  new GatewayError('http.client_stalled', 408, `The client took no data for ${ms} ms: the export was stopped (SEMGATE_STREAM_STALL_MS).`);

export function streamBody(result: ResultStream, parts: BodyParts,
  done: (bytes: number, outcome: StreamOutcome, summary: ResultSummary, error?: unknown) => void,
  link: ClientLink = NO_LINK, stallMs: number = streamStallMs()): ReadableStream<Uint8Array> {
  let bytes = 0;
  let next = 0; // index into result.head
  let first = true;
  let opened = false;
  let finished = false;
  const end = (outcome: StreamOutcome, error?: unknown): void => {
    if (finished) return;
    finished = true;
    done(bytes, outcome, result.summary(), error);
  };
  // Each chunk is sized from the one before, so a steady export rarely grows one.
  let chunkSize = 64 * 1024;
  // Armed while a chunk waits for the client to take it; the database's time never counts.
  let stall: NodeJS.Timeout | undefined;
  const send = (controller: ReadableStreamDefaultController<Uint8Array>, chunk: Chunk, last = false): void => {
    if (chunk.size === 0) return;
    bytes += chunk.size;
    chunkSize = Math.max(64 * 1024, Math.ceil(chunk.size * 1.1));
    // In pieces of 64 KiB: the socket reports progress a whole write at a time, and the stall
    // timer must see a slow client's progress within a batch (a batch can be megabytes).
    const all = chunk.bytes();
    for (let at = 0; at < all.length; at += PIECE) controller.enqueue(all.subarray(at, at + PIECE));
    if (stallMs > 0 && !last && !finished) {
      // The timer asks whether the client took any byte since it was armed: a big chunk
      // read slowly but steadily is never cut, only a client that takes nothing.
      let before = link.taken();
      const check = (): void => {
        const now = link.taken();
        if (now !== null && before !== null && now > before) {
          before = now;
          stall = setTimeout(check, stallMs);
          stall.unref();
          return;
        }
        // The slot, the connection and the cursor go back now; the connection is cut, so
        // the client can never take the part it has for a complete answer.
        const err = clientStalled(stallMs);
        end('aborted', err);
        void result.cancel().catch(() => undefined);
        if (!link.cut()) controller.error(err);
      };
      stall = setTimeout(check, stallMs);
      stall.unref();
    }
  };
  return new ReadableStream<Uint8Array>({
    async pull(controller) {
      clearTimeout(stall);
      if (finished) return;
      try {
        const chunk = new Chunk(chunkSize);
        if (!opened) {
          opened = true;
          chunk.write(parts.open);
        }
        if (next < result.head.length) {
          const slice = result.head.slice(next, next + SLICE);
          next += slice.length;
          parts.rows(slice, first, chunk);
          first = false;
          send(controller, chunk);
          return;
        }
        const batch = await result.nextBatch();
        if (batch === null) {
          chunk.write(parts.close(result.summary()));
          send(controller, chunk, true);
          controller.close();
          end('ok');
          return;
        }
        parts.rows(batch, first, chunk);
        first = false;
        send(controller, chunk);
      } catch (err) {
        // Headers are sent: the only honest signal left is a body that does not end well
        // (the connection is reset, so the client sees an incomplete response).
        // A read stopped because the client left (its abort cancelled the stream) is an
        // abort, not a failure of the database.
        const left = (err instanceof GatewayError && err.code === 'http.client_closed');
        end(left ? 'aborted' : 'failed', err);
        if (!link.cut()) controller.error(err);
      }
    },
    async cancel() {
      clearTimeout(stall);
      await result.cancel();
      end('aborted');
    },
  }, { highWaterMark: 0 });
}
