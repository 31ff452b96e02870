/**
 * The stall timer of src/web/stream-body.ts asks the connection whether the client took any
 * byte since it was armed: a client that takes bytes, however slowly, is never cut; one
 * that takes none for the limit is. (The connection is a stand-in here, so the timing is
 * exact; test/stream/stall.test.ts cuts a real client over a real socket.)
 */
import { describe, expect, it } from 'vitest';
import { ResultStream } from '../../src/service/result-stream.ts';
import type { Row, RowStream } from '../../src/sources/types.ts';
import { streamBody, type ClientLink, type StreamOutcome } from '../../src/web/stream-body.ts';

const STALL_MS = 100;

function endless(): { rows: RowStream; cancelled: () => boolean } {
  let cancelled = false;
  let n = 0;
  return {
    rows: {
      next: async () => (cancelled ? null : Array.from({ length: 100 }, (): Row => [n++])),
      cancel: async () => { cancelled = true; },
    },
    cancelled: () => cancelled,
  };
}

describe('the stall timer', () => {
  it('re-arms while the client takes bytes, and cuts once it takes none for the limit', async () => {
    const { rows, cancelled } = endless();
    const result = new ResultStream([{ name: 'n', type: 'integer' }], false, [], rows, 1_000_000, false, performance.now());
    let taken = 0;
    let cut = 0;
    const link: ClientLink = { cut: () => { cut++; return true; }, taken: () => taken };
    let outcome: StreamOutcome | undefined;
    const body = streamBody(result, { open: '[', rows: (batch, _first, out) => { for (const r of batch) out.write(`${r[0]},`); }, close: () => ']' },
      (_bytes, o) => { outcome = o; }, link, STALL_MS);
    const reader = body.getReader();
    await reader.read(); // one chunk is out; the client reads no further chunk from here on
    // The connection keeps taking bytes for 5 limits: no cut.
    const progress = setInterval(() => { taken += 1000; }, STALL_MS / 4);
    await new Promise((r) => setTimeout(r, STALL_MS * 5));
    clearInterval(progress);
    expect(outcome).toBeUndefined();
    expect(cut).toBe(0);
    expect(cancelled()).toBe(false);
    // It takes nothing more: cut within two limits (one may still see the last progress).
    await new Promise((r) => setTimeout(r, STALL_MS * 2.5));
    expect(outcome).toBe('aborted');
    expect(cut).toBe(1);
    expect(cancelled()).toBe(true);
  });

  it('without a socket (in-process), cuts after the limit by erroring the body', async () => {
    const { rows, cancelled } = endless();
    const result = new ResultStream([{ name: 'n', type: 'integer' }], false, [], rows, 1_000_000, false, performance.now());
    let outcome: StreamOutcome | undefined;
    const body = streamBody(result, { open: '', rows: (batch, _f, out) => out.write(String(batch.length)), close: () => '' }, (_b, o) => { outcome = o; }, undefined, STALL_MS);
    const reader = body.getReader();
    await reader.read();
    await new Promise((r) => setTimeout(r, STALL_MS * 2));
    expect(outcome).toBe('aborted');
    expect(cancelled()).toBe(true);
    await expect(reader.read()).rejects.toThrow(/took no data/);
  });
});
