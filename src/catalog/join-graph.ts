/**
 * The datasets one dataset reaches through `joins:`, nearest first. The checks report the
 * problems it finds (a cycle, two paths to one dataset) and the build keeps what it reached,
 * so what was checked is what runs. Pure: names and edges in, a map out.
 */
import type { Relationship } from './types.ts';

export interface JoinEdge {
  readonly from: string;
  readonly to: string;
  readonly relationship: Relationship;
  /** Index of the join in `from`'s `joins:` list (where a finding is reported). */
  readonly index: number;
}

export interface ReachedBy {
  readonly edge: JoinEdge;
  readonly hops: number;
  readonly fansOut: boolean;
  /** Datasets from the base to this one, both included. */
  readonly path: readonly string[];
}

export interface GraphProblem {
  readonly kind: 'cycle' | 'two_paths';
  readonly edge: JoinEdge;
  /** For a cycle, the datasets around it; for two paths, the path that reached the dataset first. */
  readonly path: readonly string[];
}

export function walkJoins(base: string, edgesOf: (name: string) => readonly JoinEdge[]): { reached: Map<string, ReachedBy>; problems: GraphProblem[] } {
  const reached = new Map<string, ReachedBy>();
  const problems: GraphProblem[] = [];
  const pathTo = (name: string): readonly string[] => (name === base ? [base] : reached.get(name)!.path);
  const queue = [base];
  while (queue.length > 0) {
    const from = queue.shift()!;
    const before = pathTo(from);
    for (const edge of edgesOf(from)) {
      if (edge.to === base || before.includes(edge.to)) {
        problems.push({ kind: 'cycle', edge, path: [...before.slice(before.indexOf(edge.to)), edge.to] });
      } else if (reached.has(edge.to)) {
        problems.push({ kind: 'two_paths', edge, path: reached.get(edge.to)!.path });
      } else {
        const up = from === base ? false : reached.get(from)!.fansOut;
        reached.set(edge.to, { edge, hops: before.length, fansOut: up || edge.relationship === 'one_to_many', path: [...before, edge.to] });
        queue.push(edge.to);
      }
    }
  }
  return { reached, problems };
}
