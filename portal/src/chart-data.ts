/**
 * A query result as chart series, without the DOM: the x axis is the first time dimension
 * (drawn as lines), else the first dimension (drawn as bars); each metric is a series, split
 * by the values of the other dimensions.
 */

export interface ChartSeries { label: string; data: (number | null)[] }

export interface ChartData {
  kind: 'line' | 'bar';
  labels: string[];
  series: ChartSeries[];
  /** A sentence for screen readers: what the chart shows. */
  description: string;
}

/** More lines than this are not readable: the rest are left out (the table has them all). */
export const MAX_SERIES = 12;

const TIME_TYPES = new Set(['date', 'timestamp']);

function numberOf(v: unknown): number | null {
  if (typeof v === 'number') return v;
  // Exact decimals beyond 2^53 come as strings.
  if (typeof v === 'string' && v.trim() !== '' && Number.isFinite(Number(v))) return Number(v);
  return null;
}

/** Null when there is nothing to draw: no metric, or no row. */
export function chartData(columns: readonly { name: string; type: string }[], rows: readonly unknown[][], metrics: readonly string[]): ChartData | null {
  const metricIdx = columns.map((c, i) => (metrics.includes(c.name) ? i : -1)).filter((i) => i >= 0);
  const dimIdx = columns.map((c, i) => (metrics.includes(c.name) ? -1 : i)).filter((i) => i >= 0);
  if (metricIdx.length === 0 || rows.length === 0) return null;
  const xIdx = dimIdx.find((i) => TIME_TYPES.has(columns[i]!.type)) ?? dimIdx[0];
  const splitIdx = dimIdx.filter((i) => i !== xIdx);
  const kind = xIdx !== undefined && TIME_TYPES.has(columns[xIdx]!.type) ? 'line' : 'bar';
  const text = (v: unknown): string => (v === null || v === undefined ? '(empty)' : String(v));

  const labels: string[] = [];
  const labelAt = new Map<string, number>();
  for (const row of rows) {
    const x = xIdx === undefined ? 'Total' : text(row[xIdx]);
    if (!labelAt.has(x)) {
      labelAt.set(x, labels.length);
      labels.push(x);
    }
  }
  if (kind === 'line') {
    labels.sort();
    labels.forEach((l, i) => labelAt.set(l, i));
  }

  const series = new Map<string, ChartSeries>();
  for (const row of rows) {
    const split = splitIdx.map((i) => text(row[i])).join(' / ');
    const at = labelAt.get(xIdx === undefined ? 'Total' : text(row[xIdx]))!;
    for (const m of metricIdx) {
      const label = split === '' ? columns[m]!.name : `${columns[m]!.name} ${split}`;
      let s = series.get(label);
      if (!s) {
        if (series.size >= MAX_SERIES) continue;
        s = { label, data: labels.map(() => null) };
        series.set(label, s);
      }
      s.data[at] = numberOf(row[m]);
    }
  }
  const names = metricIdx.map((i) => columns[i]!.name).join(', ');
  const by = xIdx === undefined ? '' : ` by ${columns[xIdx]!.name}`;
  const split = splitIdx.length === 0 ? '' : `, one ${kind === 'line' ? 'line' : 'bar'} per ${splitIdx.map((i) => columns[i]!.name).join(' and ')}`;
  return { kind, labels, series: [...series.values()], description: `${kind === 'line' ? 'Line' : 'Bar'} chart of ${names}${by}${split}.` };
}
