/**
 * Rules for one dataset's dimensions, metrics and segments: one namespace, time grains,
 * aggregate metrics, derived-metric references and cycles.
 */
import type { IssueSink } from './positions.ts';
import { obj, objects, str, strings, type RawObject } from './raw.ts';
import { AGGREGATE_CALL, metricRefs, TENANT_PLACEHOLDER } from './rules.ts';
import { didYouMeanOrList, listNames } from '../suggest.ts';

type Kind = 'dimensions' | 'metrics' | 'segments';
const SINGULAR: Record<Kind, string> = { dimensions: 'dimension', metrics: 'metric', segments: 'segment' };

/** Checks the fields of dataset `ds` (at `datasets[d]`); returns the roles they name. */
export function checkFields(ds: RawObject, d: number, sink: IssueSink): Set<string> {
  const roles = new Set<string>();
  const seen = new Map<string, { kind: Kind; index: number }>();
  const datasetRoles = strings(obj(ds['access'])?.['roles']);
  for (const kind of ['dimensions', 'metrics', 'segments'] as const) {
    for (const { item, index } of objects(ds[kind])) {
      const name = str(item['name']);
      if (name !== undefined) {
        const first = seen.get(name);
        if (first) {
          const line = sink.positionOf(['datasets', d, first.kind, first.index, 'name']).line;
          sink.error(['datasets', d, kind, index, 'name'], `\`${name}\` is already a ${SINGULAR[first.kind]} of this dataset (line ${line}); dimensions, metrics and segments share one set of names, so rename one of them.`);
        } else {
          seen.set(name, { kind, index });
        }
      }
      for (const role of strings(item['roles'])) {
        roles.add(role);
        if (datasetRoles.length > 0 && !datasetRoles.includes(role) && role !== 'admin') {
          sink.warning(['datasets', d, kind, index, 'roles'], `role \`${role}\` may not query this dataset (\`access.roles\` lists ${listNames(datasetRoles)}), so it will never see this ${SINGULAR[kind]}.`);
        }
      }
    }
  }
  for (const { item, index } of objects(ds['dimensions'])) checkDimension(item, ['datasets', d, 'dimensions', index], sink);
  for (const kind of ['dimensions', 'segments'] as const) {
    for (const { item, index } of objects(ds[kind])) {
      if (str(item['expr'])?.includes(TENANT_PLACEHOLDER)) {
        sink.error(['datasets', d, kind, index, 'expr'], `a ${SINGULAR[kind]} cannot use \`{tenant}\`: it is replaced only in \`table\`, \`sql\` and \`source\`. Declare tenant isolation on the dataset instead.`);
      }
    }
  }
  for (const { item, index } of objects(ds['segments'])) {
    const expr = str(item['expr']);
    if (expr !== undefined && AGGREGATE_CALL.test(expr)) {
      sink.error(['datasets', d, 'segments', index, 'expr'], 'a segment is a row filter (it goes into WHERE), so it cannot use aggregates like SUM(...) or COUNT(...); filter on columns instead.');
    }
  }
  checkMetrics(ds, d, sink);
  return roles;
}

function checkDimension(item: RawObject, at: (string | number)[], sink: IssueSink): void {
  const type = str(item['type']);
  const grains = strings(item['time_grains']);
  if (item['time_grains'] !== undefined && type !== undefined && type !== 'date' && type !== 'timestamp') {
    sink.error([...at, 'time_grains'], `\`time_grains\` only apply to dimensions of type date or timestamp, not ${type}; remove them or change \`type\`.`, { key: true });
  } else if (type === 'date' && grains.includes('hour')) {
    const i = grains.indexOf('hour');
    sink.error([...at, 'time_grains', i], 'a date has no hours: remove `hour`, or make the dimension `type: timestamp`.');
  }
  const expr = str(item['expr']);
  if (expr !== undefined && AGGREGATE_CALL.test(expr)) {
    sink.warning([...at, 'expr'], 'this dimension uses an aggregate function; dimensions are grouped by, so per-row SQL is expected. If you meant a total, make it a metric.');
  }
}

function checkMetrics(ds: RawObject, d: number, sink: IssueSink): void {
  const metrics = objects(ds['metrics']).flatMap(({ item, index }) => {
    const name = str(item['name']);
    const expr = str(item['expr']);
    return name !== undefined && expr !== undefined ? [{ name, expr, index }] : [];
  });
  const metricNames = metrics.map((m) => m.name);
  const dimensionNames = new Set(objects(ds['dimensions']).map(({ item }) => str(item['name'])));
  const edges = new Map<string, string[]>();

  for (const m of metrics) {
    const at = ['datasets', d, 'metrics', m.index, 'expr'];
    const refs = metricRefs(m.expr);
    const valid: string[] = [];
    if (refs.length === 0 && !AGGREGATE_CALL.test(m.expr)) {
      sink.error(at, `metric \`${m.name}\` must aggregate rows, for example \`SUM(${m.expr.trim() || 'amount'})\` or \`COUNT(*)\`; to combine other metrics write them as \`{name}\`.`);
    }
    for (const ref of refs) {
      if (ref.name.includes('.')) continue; // another dataset's metric: checked with the joins
      const pos = sink.positionOfText(at, `{${ref.name}`);
      if (metricNames.includes(ref.name)) {
        valid.push(ref.name);
      } else if (`{${ref.name}}` === TENANT_PLACEHOLDER) {
        sink.error(at, 'metrics cannot use `{tenant}`: tenant isolation is declared on the dataset (rls, table or source).', { at: pos });
      } else if (dimensionNames.has(ref.name)) {
        sink.error(at, `\`{${ref.name}}\` is a dimension; a derived metric can only reference metrics. Use an aggregate such as \`SUM(${ref.name})\`, or reference a metric.`, { at: pos });
      } else {
        const others = metricNames.filter((n) => n !== m.name);
        const hint = didYouMeanOrList(ref.name, others, 'Metrics of this dataset');
        sink.error(at, `\`{${ref.name}}\` is not a metric of this dataset.${hint}`, { at: pos });
      }
    }
    edges.set(m.name, valid);
  }
  reportCycles(metrics, edges, d, sink);
}

/** Each circle of references once, at its first metric in the file, with the full path. */
function reportCycles(metrics: { name: string; index: number }[], edges: Map<string, string[]>, d: number, sink: IssueSink): void {
  const state = new Map<string, 'visiting' | 'done'>();
  const reported = new Set<string>();
  const order = new Map(metrics.map((m) => [m.name, m.index]));
  const visit = (name: string, stack: string[]): void => {
    state.set(name, 'visiting');
    for (const next of edges.get(name) ?? []) {
      if (state.get(next) === 'visiting') {
        const cycle = stack.slice(stack.indexOf(next));
        const key = [...cycle].sort().join(',');
        if (reported.has(key)) continue;
        reported.add(key);
        // Start the printed path at the metric written first, so the message is stable.
        const start = cycle.reduce((a, b) => ((order.get(a) ?? 0) <= (order.get(b) ?? 0) ? a : b));
        const rotated = [...cycle.slice(cycle.indexOf(start)), ...cycle.slice(0, cycle.indexOf(start)), start];
        sink.error(['datasets', d, 'metrics', order.get(start) ?? 0, 'expr'], `metrics reference each other in a circle: ${rotated.map((n) => `\`${n}\``).join(' -> ')}. At least one of them must be computed from columns with an aggregate such as SUM(...).`);
      } else if (state.get(next) === undefined) {
        visit(next, [...stack, next]);
      }
    }
    state.set(name, 'done');
  };
  for (const m of metrics) if (state.get(m.name) === undefined) visit(m.name, [m.name]);
}
