/** Human-readable output of a load, for `semgate validate`, the reload endpoint and logs. */
import { relative } from 'node:path';
import type { Catalog, ConfigIssue } from './types.ts';

/** One line per issue: `catalog.yaml:12:7 datasets[0].metrics[1].expr: error: <message>`. */
export function formatIssues(issues: readonly ConfigIssue[], cwd: string = process.cwd()): string {
  return issues
    .map((i) => {
      const file = relative(cwd, i.file) || i.file;
      const field = i.field === '' ? '' : ` ${i.field}:`;
      return `${file}:${i.line}:${i.column}${field} ${i.severity}: ${i.message}`;
    })
    .join('\n');
}

/** `ok: 3 datasets (12 dimensions, 9 metrics), 2 sources, 4 api keys`. */
export function summarizeCatalog(catalog: Catalog): string {
  let dimensions = 0;
  let metrics = 0;
  for (const d of catalog.datasets.values()) {
    dimensions += d.dimensions.length;
    metrics += d.metrics.length;
  }
  const n = (count: number, one: string, many: string): string => `${count} ${count === 1 ? one : many}`;
  return `ok: ${n(catalog.datasets.size, 'dataset', 'datasets')} (${n(dimensions, 'dimension', 'dimensions')}, ${n(metrics, 'metric', 'metrics')}), ${n(catalog.sources.size, 'source', 'sources')}, ${n(catalog.apiKeys.length, 'api key', 'api keys')}`;
}
