import type { QueryResult } from '../service/query.ts';

/** A plain text table for the terminal: right-aligned numbers, `∅` for NULL. */
export function formatTable(result: QueryResult): string {
  const header = result.columns.map((c) => c.name);
  const cells = result.rows.map((r) => r.map((v) => (v === null ? '∅' : String(v))));
  const widths = header.map((h, i) => Math.max(h.length, ...cells.map((r) => r[i]!.length)));
  const numeric = result.columns.map((c) => c.type === 'number' || c.type === 'integer');
  const line = (r: string[]): string =>
    r.map((v, i) => (numeric[i] ? v.padStart(widths[i]!) : v.padEnd(widths[i]!))).join('  ').trimEnd();
  const out = [line(header), widths.map((w) => '-'.repeat(w)).join('  '), ...cells.map(line)];
  const m = result.meta;
  out.push(`(${m.row_count} row${m.row_count === 1 ? '' : 's'}${m.truncated ? ', truncated' : ''}, ${m.duration_ms} ms)`);
  return out.join('\n');
}
