import type { QueryResult } from '../service/query.ts';

/** RFC 4180: quote a cell when it holds a comma, quote, CR or LF. NULL is an empty cell. */
function cell(v: string | number | boolean | null): string {
  if (v === null) return '';
  const s = String(v);
  return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

/** Streams the result as CSV with a header row, a few thousand rows per chunk; `onEnd` gets the bytes sent. */
export function csvStream(result: QueryResult, onEnd: (bytes: number) => void = () => undefined): ReadableStream<Uint8Array> {
  const encoder = new TextEncoder();
  let next = -1; // -1: the header row
  let bytes = 0;
  const send = (controller: ReadableStreamDefaultController<Uint8Array>, text: string): void => {
    const chunk = encoder.encode(text);
    bytes += chunk.byteLength;
    controller.enqueue(chunk);
  };
  const CHUNK = 2000;
  return new ReadableStream<Uint8Array>({
    pull(controller) {
      if (next === -1) {
        send(controller, `${result.columns.map((c) => cell(c.name)).join(',')}\r\n`);
        next = 0;
        return;
      }
      if (next >= result.rows.length) {
        controller.close();
        onEnd(bytes);
        return;
      }
      const end = Math.min(next + CHUNK, result.rows.length);
      let text = '';
      for (let i = next; i < end; i++) text += `${result.rows[i]!.map(cell).join(',')}\r\n`;
      next = end;
      send(controller, text);
    },
  });
}
