import type { Dataset } from '../catalog/types.ts';
import { roleMaySee } from '../query/fields.ts';
import { defaultLimit } from '../query/plan.ts';
import type { Principal } from '../query/types.ts';

/** What a key may learn about a dataset: never its source, table, SQL or hidden fields. */
export function datasetSummary(ds: Dataset): Record<string, unknown> {
  return { name: ds.name, label: ds.label ?? ds.name, description: ds.description ?? null };
}

export function datasetDetail(ds: Dataset, p: Principal): Record<string, unknown> {
  return {
    ...datasetSummary(ds),
    dimensions: ds.dimensions.filter((d) => roleMaySee(d.roles, p)).map((d) => ({
      name: d.name, label: d.label ?? d.name, type: d.type, description: d.description ?? null, time_grains: [...d.timeGrains],
    })),
    metrics: ds.metrics.filter((m) => roleMaySee(m.roles, p)).map((m) => ({
      name: m.name, label: m.label ?? m.name, type: m.type, description: m.description ?? null,
    })),
    segments: ds.segments.map((s) => ({ name: s.name, description: s.description ?? null })),
    limits: { max_rows: ds.maxRows, default_limit: defaultLimit(ds) },
  };
}
