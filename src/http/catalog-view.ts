import type { Catalog, Dataset } from '../catalog/types.ts';
import { roleMaySee, visibleJoined } from '../query/fields.ts';
import { defaultLimit } from '../query/plan.ts';
import type { Principal } from '../query/types.ts';

/** What a key may learn about a dataset: never its source, table, SQL or hidden fields. */
export function datasetSummary(ds: Dataset): Record<string, unknown> {
  return { name: ds.name, label: ds.label ?? ds.name, description: ds.description ?? null };
}

/** One dataset's fields a key may see, named as a query names them (`customers.segment` when joined). */
function fieldsOf(ds: Dataset, p: Principal, prefix: string) {
  return {
    dimensions: ds.dimensions.filter((d) => roleMaySee(d.roles, p)).map((d) => ({
      name: `${prefix}${d.name}`, dataset: ds.name, label: d.label ?? d.name, type: d.type, description: d.description ?? null, time_grains: [...d.timeGrains],
    })),
    metrics: ds.metrics.filter((m) => roleMaySee(m.roles, p)).map((m) => ({
      name: `${prefix}${m.name}`, dataset: ds.name, label: m.label ?? m.name, type: m.type, description: m.description ?? null,
    })),
    segments: ds.segments.filter((s) => roleMaySee(s.roles, p)).map((s) => ({ name: `${prefix}${s.name}`, dataset: ds.name, description: s.description ?? null })),
  };
}

/**
 * A dataset's fields, then those of every dataset it reaches by joins that the key may
 * read (each named `<dataset>.<field>` and marked with its dataset), and the joins.
 */
export function datasetDetail(catalog: Catalog, ds: Dataset, p: Principal): Record<string, unknown> {
  const joined = visibleJoined(catalog, ds, p);
  const all = [fieldsOf(ds, p, ''), ...joined.map((j) => fieldsOf(j, p, `${j.name}.`))];
  return {
    ...datasetSummary(ds),
    dimensions: all.flatMap((f) => f.dimensions),
    metrics: all.flatMap((f) => f.metrics),
    segments: all.flatMap((f) => f.segments),
    joins: joined.map((j) => {
      const step = ds.reach.get(j.name)!;
      return { dataset: j.name, label: j.label ?? j.name, via: step.via, relationship: step.join.relationship };
    }),
    limits: { max_rows: ds.maxRows, default_limit: defaultLimit(ds) },
  };
}
