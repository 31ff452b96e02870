import type { MetricSpec, QueryFilter, SemanticQuery } from './types.ts';

function filter(f: QueryFilter): unknown {
  if ('and' in f) return { and: f.and.map(filter) };
  if ('or' in f) return { or: f.or.map(filter) };
  if ('not' in f) return { not: filter(f.not) };
  return [f.field, f.op, f.values ?? [], f.transform ?? null, f.case_sensitive === true];
}

function metric(m: string | MetricSpec): unknown {
  if (typeof m === 'string') return m;
  // `{field: 'revenue'}` is `'revenue'`; anything else keeps its three parts.
  if (m.aggregate === undefined && m.as === undefined && m.field !== undefined) return m.field;
  return [m.field ?? null, m.aggregate ?? null, m.as ?? null];
}

/**
 * One text per meaning of a (schema-valid) query, whichever front door wrote it and in
 * whatever member order: what the compiled-SQL cache keys on, so REST and OData share it.
 * Defaults are spelt out (`asc`, no offset); the default limit stays implicit because it
 * depends on the dataset.
 */
export function canonicalQuery(q: SemanticQuery): string {
  return JSON.stringify([
    q.dataset,
    q.dimensions ?? [],
    (q.metrics ?? []).map(metric),
    (q.filters ?? []).map(filter),
    (q.having ?? []).map(filter),
    q.segments ?? [],
    (q.order_by ?? []).map((o) => [o.field, o.direction ?? 'asc']),
    q.limit ?? null,
    q.offset ?? 0,
  ]);
}
