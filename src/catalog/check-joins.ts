/**
 * Rules of `joins:` and `primary_key:` that the JSON Schema cannot express: the joined
 * dataset exists and is on the same source, no dataset is reached twice or in a circle,
 * a `primary_key` wherever a metric could otherwise be counted more than once, and
 * references across datasets (`{customers.customer_count}`) that reach what they name.
 */
import type { IssueSink } from './positions.ts';
import { obj, objects, str, strings, type RawObject } from './raw.ts';
import { walkJoins, type JoinEdge } from './join-graph.ts';
import { metricRefs } from './rules.ts';
import type { Relationship } from './types.ts';
import { didYouMeanOrList } from '../suggest.ts';

const RELATIONSHIPS: readonly string[] = ['many_to_one', 'one_to_one', 'one_to_many'];

interface Entry { readonly item: RawObject; readonly index: number; readonly name: string }

function primaryKeyOf(item: RawObject): string[] {
  const pk = item['primary_key'];
  return typeof pk === 'string' ? [pk] : strings(pk);
}

/** The joins of a dataset that name a known dataset, as edges. */
function edgesOf(entry: Entry, known: ReadonlyMap<string, Entry>): JoinEdge[] {
  return objects(entry.item['joins']).flatMap(({ item, index }) => {
    const to = str(item['dataset']);
    const rel = str(item['relationship']);
    if (to === undefined || !known.has(to) || rel === undefined || !RELATIONSHIPS.includes(rel)) return [];
    return [{ from: entry.name, to, relationship: rel as Relationship, index }];
  });
}

export function checkJoins(raw: unknown, sink: IssueSink): void {
  const entries = objects(obj(raw)?.['datasets']).flatMap(({ item, index }) => {
    const name = str(item['name']);
    return name === undefined ? [] : [{ item, index, name }];
  });
  const byName = new Map<string, Entry>();
  for (const e of entries) if (!byName.has(e.name)) byName.set(e.name, e);
  const at = (e: Entry, ...rest: (string | number)[]): (string | number)[] => ['datasets', e.index, ...rest];
  const lineOf = (e: Entry, ...rest: (string | number)[]): number => sink.positionOf(at(e, ...rest)).line;

  for (const e of entries) {
    const dimensions = objects(e.item['dimensions']).map(({ item }) => str(item['name'])).filter((n): n is string => n !== undefined);
    primaryKeyOf(e.item).forEach((pk, i) => {
      if (!dimensions.includes(pk)) {
        const where = typeof e.item['primary_key'] === 'string' ? at(e, 'primary_key') : at(e, 'primary_key', i);
        sink.error(where, `primary key \`${pk}\` is not a dimension of \`${e.name}\`.${didYouMeanOrList(pk, dimensions, 'Its dimensions')} Declare the identifying column as a dimension and name it here.`);
      }
    });
    for (const { item, index } of objects(e.item['joins'])) {
      const to = str(item['dataset']);
      if (to === undefined) continue;
      const target = byName.get(to);
      if (!target) {
        sink.error(at(e, 'joins', index, 'dataset'), `\`${e.name}\` joins \`${to}\`, which is not a dataset of this catalog.${didYouMeanOrList(to, [...byName.keys()].filter((n) => n !== e.name), 'Datasets')}`);
      } else if (to === e.name) {
        sink.error(at(e, 'joins', index, 'dataset'), `\`${e.name}\` joins itself: a join must name another dataset.`);
      } else {
        const a = str(e.item['source']);
        const b = str(target.item['source']);
        if (a !== undefined && b !== undefined && a !== b) {
          sink.error(at(e, 'joins', index, 'dataset'), `\`${e.name}\` (source \`${a}\`) joins \`${to}\` (source \`${b}\`, line ${lineOf(target, 'source')}): the datasets of one query run on one source. Put both on the same source, or query them separately.`);
        }
      }
    }
  }

  // Cycles and second paths, each reported once, at the join that closes it.
  const reported = new Set<string>();
  const needsKey = new Map<string, string>(); // dataset -> why
  for (const base of entries) {
    if (byName.get(base.name) !== base) continue;
    const { reached, problems } = walkJoins(base.name, (n) => edgesOf(byName.get(n)!, byName));
    for (const p of problems) {
      const id = `${p.edge.from}#${p.edge.index}`;
      if (reported.has(id)) continue;
      reported.add(id);
      const from = byName.get(p.edge.from)!;
      const where = at(from, 'joins', p.edge.index, 'dataset');
      if (p.kind === 'cycle') {
        sink.error(where, `joins go round in a circle: ${p.path.map((n) => `\`${n}\``).join(' -> ')}. A dataset may not reach itself through joins; remove one of them.`);
      } else {
        sink.error(where, `\`${p.edge.to}\` is reached twice from \`${base.name}\`: through ${p.path.map((n) => `\`${n}\``).join(' -> ')} and through \`${p.edge.from}\`. A joined dataset's fields are named by its own name, so it may be reached one way only: remove one join, or declare a second dataset over the same table.`);
      }
    }
    const fanOut = [...reached].find(([, by]) => by.fansOut);
    if (fanOut && objects(base.item['metrics']).length > 0 && !needsKey.has(base.name)) {
      needsKey.set(base.name, `it reaches \`${fanOut[0]}\` through a one_to_many join, so its metrics are counted once per row of \`${base.name}\``);
    }
    const timeDims = new Set(objects(base.item['dimensions']).filter(({ item }) => item['time_grains'] !== undefined).map(({ item }) => str(item['name'])));
    for (const [name, by] of reached) {
      if (timeDims.has(name)) {
        const from = byName.get(by.edge.from)!;
        sink.error(at(from, 'joins', by.edge.index, 'dataset'), `dataset \`${name}\` is named like the time dimension \`${name}\` of \`${base.name}\`, which reaches it: \`${name}.month\` would mean both. Rename the dataset or the dimension.`);
      }
      const target = byName.get(name)!;
      if (objects(target.item['metrics']).length > 0 && !needsKey.has(name)) {
        needsKey.set(name, `its metrics are reached from \`${base.name}\` through joins, and are counted once per row of \`${name}\` by it`);
      }
    }
  }
  for (const e of entries) {
    for (const { item, index } of objects(e.item['joins'])) {
      const to = str(item['dataset']);
      const rel = str(item['relationship']);
      if (to === undefined || !byName.has(to)) continue;
      const line = lineOf(e, 'joins', index);
      if (rel === 'many_to_one' || rel === 'one_to_one') needsKey.set(to, needsKey.get(to) ?? `\`${e.name}\` joins it ${rel} (line ${line}): it is the 'one' side`);
      if (rel === 'one_to_many' || rel === 'one_to_one') needsKey.set(e.name, needsKey.get(e.name) ?? `it joins \`${to}\` ${rel} (line ${line}): it is the 'one' side`);
    }
  }
  for (const [name, why] of needsKey) {
    const e = byName.get(name)!;
    if (e.item['primary_key'] === undefined) {
      sink.error(at(e, 'name'), `dataset \`${name}\` needs \`primary_key\`: ${why}. Name the dimension that identifies a row (for example \`primary_key: ${name.replace(/s$/, '')}_id\`).`);
    }
  }
  checkCrossRefs(entries, byName, sink);
}

/** `{dataset.metric}` in a derived metric: a metric of a dataset this one reaches. */
function checkCrossRefs(entries: readonly Entry[], byName: ReadonlyMap<string, Entry>, sink: IssueSink): void {
  for (const e of entries) {
    if (byName.get(e.name) !== e) continue;
    const { reached } = walkJoins(e.name, (n) => edgesOf(byName.get(n)!, byName));
    for (const { item, index } of objects(e.item['metrics'])) {
      const expr = str(item['expr']);
      if (expr === undefined) continue;
      const where = ['datasets', e.index, 'metrics', index, 'expr'];
      for (const ref of metricRefs(expr)) {
        const dot = ref.name.indexOf('.');
        if (dot < 0) continue; // a metric of this dataset: checked with the dataset's fields
        const ds = ref.name.slice(0, dot);
        const metric = ref.name.slice(dot + 1);
        const pos = sink.positionOfText(where, `{${ref.name}`);
        const target = byName.get(ds);
        if (ds !== e.name && (!target || !reached.has(ds))) {
          const reachable = [...reached.keys()];
          sink.error(where, `\`{${ref.name}}\`: \`${e.name}\` does not reach a dataset \`${ds}\` through its joins.${didYouMeanOrList(ds, reachable, 'It reaches', ' It joins no dataset.')}`, { at: pos });
          continue;
        }
        const metrics = objects((target ?? e).item['metrics']).map(({ item: m }) => str(m['name'])).filter((n): n is string => n !== undefined);
        if (!metrics.includes(metric)) {
          sink.error(where, `\`{${ref.name}}\`: \`${ds}\` has no metric \`${metric}\`.${didYouMeanOrList(metric, metrics, `Metrics of \`${ds}\``)}`, { at: pos });
        }
      }
    }
  }
}
