import type { QueryResult } from '../service/query.ts';

/** RFC 4180: quote a cell when it holds a comma, quote, CR or LF. NULL is an empty cell. */
function cell(v: string | number | boolean | null): string {
  if (v === null) return '';
  const s = String(v);
  return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

/** Streams the result as CSV with a header row, a few thousand rows per chunk. */
export function csvStream(result: QueryResult): ReadableStream<Uint8Array> {
  const encoder = new TextEncoder();
  let next = -1; // -1: the header row
  const CHUNK = 2000;
  return new ReadableStream<Uint8Array>({
    pull(controller) {
      if (next === -1) {
        controller.enqueue(encoder.encode(`${result.columns.map((c) => cell(c.name)).join(',')}\r\n`));
        next = 0;
        return;
      }
      if (next >= result.rows.length) {
        controller.close();
        return;
      }
      const end = Math.min(next + CHUNK, result.rows.length);
      let text = '';
      for (let i = next; i < end; i++) text += `${result.rows[i]!.map(cell).join(',')}\r\n`;
      next = end;
      controller.enqueue(encoder.encode(text));
    },
  });
}
