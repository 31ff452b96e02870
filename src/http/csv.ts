/**
 * CSV (RFC 4180, CRLF line ends) by d3-dsv's row formatter: a cell holding a comma, a double
 * quote or a line break is quoted, NULL is an empty cell. Written batch by batch from the
 * result stream (`streamBody`), so an export of any size holds one batch at a time.
 */
import { csvFormatRow, csvFormatValue } from 'd3-dsv';
import type { FieldType } from '../catalog/types.ts';
import type { ResultStream } from '../service/result-stream.ts';
import type { Row } from '../sources/types.ts';
import { streamBody, type ClientLink, type StreamOutcome } from '../web/stream-body.ts';
import type { ResultSummary } from '../service/result-stream.ts';

/** What a spreadsheet reads as a formula (OWASP "CSV injection"). */
const FORMULA_START = /^[=+\-@\t\r]/;

/**
 * A text cell a spreadsheet would run as a formula gets a leading `'`. Cells of number and
 * integer columns never do: `-12.5` stays a number (and so do exact decimals beyond 2^53,
 * which arrive as strings).
 */
export function neutraliseFormula(value: string | number | boolean | null, type: FieldType): string | number | boolean | null {
  return typeof value === 'string' && type !== 'number' && type !== 'integer' && FORMULA_START.test(value) ? `'${value}` : value;
}

/** The header row, CRLF included. */
export function csvHeader(columns: readonly { readonly name: string }[]): string {
  return `${csvFormatRow(columns.map((c) => c.name))}\r\n`;
}

/** Formats one row, ending in CRLF; `escapeFormulas` neutralises formula-like text cells. */
export function csvRow(columns: readonly { readonly type: FieldType }[], escapeFormulas: boolean): (row: Row) => string {
  const types = columns.map((c) => c.type);
  return (row) => {
    // Cell by cell (d3-dsv quotes a cell holding a comma, a quote or a line break; null is
    // empty): no array and join per row. A number or boolean never needs quoting.
    let text = '';
    for (let i = 0; i < row.length; i++) {
      const v = escapeFormulas ? neutraliseFormula(row[i] ?? null, types[i]!) : row[i] ?? null;
      const cell = v === null ? '' : typeof v === 'string' ? csvFormatValue(v) : String(v);
      text += i === 0 ? cell : `,${cell}`;
    }
    return `${text}\r\n`;
  };
}

/** The result as a CSV body with a header row; `done` gets the bytes sent and how it ended. */
export function csvBody(result: ResultStream, escapeFormulas: boolean,
  done: (bytes: number, outcome: StreamOutcome, summary: ResultSummary, error?: unknown) => void = () => undefined,
  link?: ClientLink): ReadableStream<Uint8Array> {
  const row = csvRow(result.columns, escapeFormulas);
  return streamBody(result, {
    open: csvHeader(result.columns),
    rows: (batch, _first, out) => { for (const r of batch) out.write(row(r)); },
    close: () => '',
  }, done, link);
}
