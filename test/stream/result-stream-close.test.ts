/**
 * ResultStream.close() is one close, however many ask for it at once: the close hooks (the
 * concurrency slot) run only after the statement is stopped and the connection given
 * back, for every caller. Two callers are real: a stalled client's timer and the socket's
 * cancel. (A unit test of the stream's contract; the engines' cancels are tested in
 * test/stream/disconnect.test.ts.)
 */
import { describe, expect, it } from 'vitest';
import { ResultStream } from '../../src/service/result-stream.ts';
import type { RowStream } from '../../src/sources/types.ts';

describe('ResultStream.close', () => {
  it('makes every concurrent caller wait for the one cancel before the hooks run', async () => {
    const events: string[] = [];
    let finishCancel!: () => void;
    let cancels = 0;
    const rows: RowStream = {
      next: async () => [[1]],
      cancel: () => {
        cancels++;
        events.push('cancel started');
        return new Promise<void>((resolve) => {
          finishCancel = () => {
            events.push('connection given back');
            resolve();
          };
        });
      },
    };
    const stream = new ResultStream([{ name: 'n', type: 'integer' }], false, [], rows, 10, false, performance.now());
    stream.onClose(() => events.push('slot freed'));
    const first = stream.close();
    const second = stream.cancel();
    let secondDone = false;
    void second.then(() => { secondDone = true; });
    await new Promise((r) => setTimeout(r, 20));
    // The second caller has not freed the slot while the first still stops the statement.
    expect(events).toEqual(['cancel started']);
    expect(secondDone).toBe(false);
    finishCancel();
    await Promise.all([first, second]);
    expect(events).toEqual(['cancel started', 'connection given back', 'slot freed']);
    expect(cancels).toBe(1);
    // A close after the end is at once, and runs nothing twice.
    await stream.close();
    expect(events).toHaveLength(3);
  });
});
