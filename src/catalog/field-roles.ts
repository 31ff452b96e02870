/**
 * Who may see a field that reads other fields. A derived metric is visible to a role only
 * when every metric it references is (and their datasets); a segment, a dimension or an
 * aggregate whose SQL names a role-restricted field narrows the same way. Its own `roles`
 * may narrow that, never widen it. Run by the build once every dataset exists, so what
 * the planner, `/v1/datasets/{name}` and `$metadata` check is one list per field.
 */
import type { Dataset, Dimension, Metric, Segment } from './types.ts';

type Roles = readonly string[] | null;

/** `null` is every role; otherwise the roles both allow. */
export function narrowRoles(a: Roles, b: Roles): Roles {
  if (a === null) return b;
  if (b === null) return a;
  return a.filter((r) => b.includes(r));
}

/** Plain words of an SQL text outside its string literals, double-quoted names unquoted. */
function wordsOf(sql: string): Set<string> {
  const bare = sql.replace(/'(?:[^']|'')*'/g, ' ');
  const words = new Set<string>();
  for (const m of bare.matchAll(/"([^"]+)"|`([^`]+)`|([A-Za-z_][A-Za-z0-9_$]*)/g)) words.add(m[1] ?? m[2] ?? m[3]!);
  return words;
}

/** The roles of the restricted dimensions an SQL text names (other than `self`). */
function rolesOfNamed(sql: string, dims: readonly Dimension[], self: string | null): Roles {
  let roles: Roles = null;
  const words = wordsOf(sql);
  for (const d of dims) if (d.roles !== null && d.name !== self && words.has(d.name)) roles = narrowRoles(roles, d.roles);
  return roles;
}

type Mutable<T> = { -readonly [K in keyof T]: T[K] };

/**
 * Narrows, in place, the roles of every field of every dataset (they are frozen afterwards).
 * Dimensions first (from their own SQL), then segments, then metrics through their
 * references, across datasets.
 */
export function narrowFieldRoles(datasets: ReadonlyMap<string, Dataset>): void {
  for (const ds of datasets.values()) {
    const dims = ds.dimensions as Mutable<Dimension>[];
    // A dimension reading one that reads a restricted one: narrow until nothing changes
    // (roles only ever narrow, so this ends).
    for (let changed = true; changed;) {
      changed = false;
      for (const d of dims) {
        if (d.expr === null) continue;
        const roles = narrowRoles(d.roles, rolesOfNamed(d.expr, dims, d.name));
        if (roles !== d.roles && JSON.stringify(roles) !== JSON.stringify(d.roles)) {
          d.roles = roles;
          changed = true;
        }
      }
    }
    for (const s of ds.segments as Mutable<Segment>[]) s.roles = narrowRoles(s.roles, rolesOfNamed(s.expr, dims, null));
  }
  const done = new Map<Metric, Roles>();
  const metricRoles = (ds: Dataset, m: Metric): Roles => {
    const known = done.get(m);
    if (known !== undefined) return known;
    done.set(m, m.roles); // a reference circle is a load error: stop here if one slipped through
    let roles = narrowRoles(m.roles, rolesOfNamed(m.expr.replace(/\{[^{}]*\}/g, ' '), ds.dimensions, null));
    for (const ref of m.formula?.refs ?? []) {
      const target = datasets.get(ref.dataset);
      const metric = target?.metrics.find((x) => x.name === ref.metric);
      if (!target || !metric) continue;
      roles = narrowRoles(roles, metricRoles(target, metric));
      if (target !== ds) roles = narrowRoles(roles, target.roles);
    }
    done.set(m, roles);
    return roles;
  };
  for (const ds of datasets.values()) for (const m of ds.metrics) metricRoles(ds, m);
  for (const ds of datasets.values()) for (const m of ds.metrics as Mutable<Metric>[]) m.roles = done.get(m) ?? m.roles;
}
