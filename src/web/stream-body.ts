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
import { detailOf } from './body.ts';
import type { GatewayEnv } from './env.ts';

/** How a streamed answer ended, for the audit line. */
export type StreamOutcome = 'ok' | 'aborted' | 'failed';

export interface BodyParts {
  /** Before the first row. */
  readonly open: string;
  /** One batch of rows; `first` for the batch that starts the rows. */
  readonly rows: (batch: readonly Row[], first: boolean) => string;
  /** After the last row, with what is known only then. */
  readonly close: (summary: ResultSummary) => string;
}

/** Rows of `head` per chunk: the same size as a database batch. */
const SLICE = 8000;

/**
 * Cuts the connection under a streamed answer (node: destroys the socket), so a body that
 * broke off after its 200 can never look complete; false where there is no socket (in-process
 * requests), where the stream's error does it. Left to itself, @hono/node-server would end the
 * body with an `Error: ...` line and a proper last chunk, and print the stack.
 */
export function connectionBreaker(c: Context): () => boolean {
  return () => {
    const outgoing = (c.env as HttpBindings | undefined)?.outgoing;
    if (!outgoing) return false;
    outgoing.destroy();
    return true;
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

export function streamBody(result: ResultStream, parts: BodyParts,
  done: (bytes: number, outcome: StreamOutcome, summary: ResultSummary, error?: unknown) => void,
  breakOff: () => boolean = () => false): ReadableStream<Uint8Array> {
  const encoder = new TextEncoder();
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
  const send = (controller: ReadableStreamDefaultController<Uint8Array>, text: string): void => {
    if (text === '') return;
    const chunk = encoder.encode(text);
    bytes += chunk.byteLength;
    controller.enqueue(chunk);
  };
  return new ReadableStream<Uint8Array>({
    async pull(controller) {
      try {
        let text = '';
        if (!opened) {
          opened = true;
          text = parts.open;
        }
        if (next < result.head.length) {
          const slice = result.head.slice(next, next + SLICE);
          next += slice.length;
          text += parts.rows(slice, first);
          first = false;
          send(controller, text);
          return;
        }
        const batch = await result.nextBatch();
        if (batch === null) {
          send(controller, text + parts.close(result.summary()));
          controller.close();
          end('ok');
          return;
        }
        text += parts.rows(batch, first);
        first = false;
        send(controller, text);
      } catch (err) {
        // Headers are sent: the only honest signal left is a body that does not end well
        // (the connection is reset, so the client sees an incomplete response).
        // A read stopped because the client left (its abort cancelled the stream) is an
        // abort, not a failure of the database.
        const left = (err instanceof GatewayError && err.code === 'http.client_closed');
        end(left ? 'aborted' : 'failed', err);
        if (!breakOff()) controller.error(err);
      }
    },
    async cancel() {
      await result.cancel();
      end('aborted');
    },
  }, { highWaterMark: 0 });
}
