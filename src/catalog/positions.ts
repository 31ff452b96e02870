/**
 * Where a finding lives in a YAML file. A field path (`['datasets', 1, 'metrics', 0, 'expr']`)
 * is mapped to the nearest node that exists, so a missing field points at its parent object.
 */
import { isMap, isPair, isScalar, isSeq, type Document, type LineCounter, type Node } from 'yaml';
import type { ConfigIssue } from './types.ts';

export type FieldPath = readonly (string | number)[];

/** `datasets[1].metrics[0].expr`; keys that are not plain words are quoted. */
export function formatPath(path: FieldPath): string {
  let out = '';
  for (const seg of path) {
    if (typeof seg === 'number') out += `[${seg}]`;
    else if (/^[A-Za-z_][A-Za-z0-9_]*$/.test(seg)) out += out === '' ? seg : `.${seg}`;
    else out += `[${JSON.stringify(seg)}]`;
  }
  return out;
}

/** An ajv instancePath (`/datasets/1/expr`) as a field path; digits become indices. */
export function pointerToPath(pointer: string): (string | number)[] {
  if (pointer === '') return [];
  return pointer
    .slice(1)
    .split('/')
    .map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'))
    .map((s) => (/^(0|[1-9][0-9]*)$/.test(s) ? Number(s) : s));
}

/**
 * The deepest node along `path`. With `key: true` and an exact match, the key of the last
 * pair is returned instead (an unknown field is best shown at its name, not its value).
 */
export function nodeAt(doc: Document, path: FieldPath, opts: { key?: boolean } = {}): Node | null {
  let node: unknown = doc.contents;
  let found: Node | null = isNodeLike(node) ? node : null;
  for (let i = 0; i < path.length; i++) {
    const seg = path[i];
    const last = i === path.length - 1;
    if (isMap(node)) {
      const pair = node.items.find((p) => isPair(p) && String(isScalar(p.key) ? p.key.value : p.key) === String(seg));
      if (!pair) return found;
      if (last && opts.key && isNodeLike(pair.key)) return pair.key;
      // `key:` with no value has a null value node: point at the key then.
      node = pair.value;
      found = isNodeLike(pair.value) ? pair.value : isNodeLike(pair.key) ? pair.key : found;
      if (!isNodeLike(pair.value)) return found;
    } else if (isSeq(node) && typeof seg === 'number') {
      const item: unknown = node.items[seg];
      if (!isNodeLike(item)) return found;
      node = item;
      found = item;
    } else {
      return found;
    }
  }
  return found;
}

function isNodeLike(x: unknown): x is Node {
  return typeof x === 'object' && x !== null && 'range' in x && Array.isArray((x as { range?: unknown }).range);
}

export interface Position {
  readonly line: number;
  readonly column: number;
}

/**
 * Collects findings for one file. Every check reports through a sink, never throws, so the
 * administrator sees every mistake of every file in one run.
 */
export class IssueSink {
  constructor(
    readonly file: string,
    private readonly out: ConfigIssue[],
    private readonly doc: Document | null = null,
    private readonly lines: LineCounter | null = null,
    private readonly text = '',
  ) {}

  /** The position of `needle` inside the value at `path` (e.g. a `{ref}` in an SQL block). */
  positionOfText(path: FieldPath, needle: string): Position {
    const node = this.doc ? nodeAt(this.doc, path) : null;
    const [start, end] = node?.range ?? [0, 0];
    const offset = this.text.slice(start, end).indexOf(needle);
    return offset >= 0 ? this.positionAtOffset(start + offset) : this.positionOf(path);
  }

  positionOf(path: FieldPath, opts: { key?: boolean } = {}): Position {
    if (!this.doc || !this.lines) return { line: 1, column: 1 };
    const node = nodeAt(this.doc, path, opts);
    return this.positionAtOffset(node?.range?.[0] ?? 0);
  }

  positionAtOffset(offset: number): Position {
    if (!this.lines) return { line: 1, column: 1 };
    const { line, col } = this.lines.linePos(offset);
    return { line, column: col };
  }

  error(path: FieldPath, message: string, opts: { key?: boolean; at?: Position } = {}): void {
    this.add('error', path, message, opts);
  }

  warning(path: FieldPath, message: string, opts: { key?: boolean; at?: Position } = {}): void {
    this.add('warning', path, message, opts);
  }

  private add(severity: ConfigIssue['severity'], path: FieldPath, message: string, opts: { key?: boolean; at?: Position }): void {
    const pos = opts.at ?? this.positionOf(path, opts);
    this.out.push(Object.freeze({ file: this.file, line: pos.line, column: pos.column, field: formatPath(path), message, severity }));
  }
}
