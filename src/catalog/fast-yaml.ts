/**
 * A fast path for large api-keys.yaml files (thousands of generated `key_hash` entries).
 * The `yaml` library keeps a document with positions for every node and its parser grows
 * worse than linearly with a long list: 100,000 keys took 10 s and over 800 MB. Here the
 * `api_keys:` list is read line by line where its lines have the shape tooling generates
 * (`- key_hash: "sha256:..."`, `tenant: t1`, `role: analyst`: simple scalars, comments),
 * into the plain data js-yaml (YAML 1.2 core schema with merge keys, as `yaml` reads these
 * files) would make; any other entry, and the rest of the file, is read by js-yaml. The same
 * interpolation and JSON Schema then run over the data.
 * Only a file that passes everything without one finding is taken this way: at the first
 * finding the caller reads the file again the slow way, so every message keeps its exact
 * line and column. Correct files are fast; incorrect ones are reported exactly as before.
 */
import { CORE_SCHEMA, load, mergeTag } from 'js-yaml';
import { pointerOf, interpolateText, type InterpolatedPaths } from './interpolate.ts';
import { IssueSink } from './positions.ts';
import { checkSchema, type ConfigFileKind } from './schema-check.ts';
import type { ConfigIssue } from './types.ts';

/** Below this size the `yaml` library is quick enough, and its positions come for free. */
export const FAST_PATH_BYTES = 512 * 1024;

const SCHEMA = CORE_SCHEMA.withTags(mergeTag);

/**
 * Replaces `${VAR}` in every string in place; false at the first reference that cannot be.
 * `path` is one stack pushed and popped on the way down (no array or closure per entry of a
 * large list).
 */
function interpolate(value: unknown, env: NodeJS.ProcessEnv, path: (string | number)[], touched: InterpolatedPaths): boolean {
  if (value === null || typeof value !== 'object') return true;
  const holder = value as Record<string | number, unknown>;
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) if (!interpolateAt(holder, i, env, path, touched)) return false;
  } else {
    for (const k of Object.keys(value)) if (!interpolateAt(holder, k, env, path, touched)) return false;
  }
  return true;
}

function interpolateAt(holder: Record<string | number, unknown>, k: string | number, env: NodeJS.ProcessEnv, path: (string | number)[], touched: InterpolatedPaths): boolean {
  const v = holder[k];
  if (typeof v === 'string') {
    if (!v.includes('${')) return true;
    const out = replaced(v, env);
    if (out === null) return false;
    holder[k] = out;
    touched.add(pointerOf([...path, k]));
    return true;
  }
  if (v === null || typeof v !== 'object') return true;
  path.push(k);
  const ok = interpolate(v, env, path, touched);
  path.pop();
  return ok;
}

function replaced(text: string, env: NodeJS.ProcessEnv): string | null {
  let ok = true;
  const out = interpolateText(text, env, () => {
    ok = false;
  });
  return ok ? out : null;
}

/** Items of the `api_keys:` list parsed by js-yaml at a time: their garbage dies young (peak RSS halves). */
const CHUNK_ITEMS = 2000;

/**
 * One line of the shape provisioning tools generate: `- field: value` (an item's first line)
 * or `field: value`, the value a double- or single-quoted string without escapes, or a plain
 * word, then at most a comment. Printable ASCII only (js-yaml refuses some other characters).
 * Groups: indent, dash, field, "double", 'single', plain.
 */
const FIELD_LINE = /( *)(- )?([a-z_]+): (?:"([ !#-[\]-~]*)"|'([ -&(-~]*)'|([A-Za-z_][A-Za-z0-9_./-]*))(?: +(?:#[ -~]*)?)?(?:\n|$)/y;
/** A blank line, or one that holds only a comment. */
const EMPTY_LINE = / *(?:#[ -~]*)?(?:\n|$)/y;

/** What js-yaml's core schema makes of a plain word that FIELD_LINE accepts; undefined: leave it to js-yaml. */
function plainValue(word: string): string | boolean | undefined {
  switch (word) {
    case 'true': case 'True': case 'TRUE': return true;
    case 'false': case 'False': case 'FALSE': return false;
    case 'null': case 'Null': case 'NULL': return undefined;
    default: return word; // a word starting with a letter is no number, `.inf` or `.nan`
  }
}

/**
 * The items of an `api_keys:` block list (text[from, to), items at `indent`): lines of the
 * generated shape are read here into the plain objects js-yaml would make, an item with any
 * other line is handed to js-yaml with its neighbours of the same kind. Throws where js-yaml
 * throws (the caller then reads the file the slow way).
 */
export function parseKeyItems(text: string, from: number, to: number, indent: string, file: string): unknown[] | null {
  const items: unknown[] = [];
  const itemStart = `\n${indent}- `;
  const fieldIndent = indent.length + 2;
  let oddFrom = -1; // start of the pending run of items for js-yaml
  let oddCount = 0;
  let list = false; // an empty block is null, as in js-yaml
  const flush = (until: number): void => {
    if (oddFrom < 0) return;
    const chunk = load(`api_keys:\n${text.slice(oddFrom, until)}\n`, { schema: SCHEMA, filename: file }) as { api_keys?: unknown } | null;
    const got = chunk?.api_keys;
    if ((got !== null && got !== undefined && !Array.isArray(got)) || Object.keys(chunk ?? {}).length !== 1) throw new Error('unexpected shape');
    if (got) for (const item of got) items.push(item);
    if (got) list = true;
    oddFrom = -1;
    oddCount = 0;
  };
  let pos = from;
  let item: Record<string, unknown> | null = null; // the item being read here, while its lines fit
  let itemFrom = from;
  const done = (): void => {
    if (item === null) return;
    flush(itemFrom);
    items.push(item);
    list = true;
    item = null;
  };
  while (pos < to) {
    const lineStart = pos;
    EMPTY_LINE.lastIndex = pos;
    if (EMPTY_LINE.test(text) && EMPTY_LINE.lastIndex > pos) {
      pos = EMPTY_LINE.lastIndex;
      continue;
    }
    FIELD_LINE.lastIndex = pos;
    const m = FIELD_LINE.exec(text);
    if (m !== null && FIELD_LINE.lastIndex <= to) {
      const [, spaces, dash, field, dq, sq, plain] = m as unknown as [string, string, string | undefined, string, string | undefined, string | undefined, string | undefined];
      const value = dq ?? sq ?? plainValue(plain!);
      const first = dash !== undefined;
      const fits = first ? spaces.length === indent.length : spaces.length === fieldIndent && item !== null && !Object.hasOwn(item, field);
      if (value !== undefined && field !== '__proto__' && fits) {
        if (first) {
          done();
          item = {};
          itemFrom = lineStart;
        }
        item![field] = value;
        pos = FIELD_LINE.lastIndex;
        continue;
      }
    }
    // Not the generated shape: this item (from its first line, or from this line if it has
    // none) up to the next item goes to js-yaml, with the odd items just before it.
    if (oddFrom < 0) oddFrom = item !== null ? itemFrom : lineStart;
    item = null;
    oddCount++;
    const next = text.indexOf(itemStart, lineStart);
    pos = next < 0 || next >= to ? to : next + 1;
    if (oddCount >= CHUNK_ITEMS) flush(pos);
  }
  done();
  flush(to);
  return list ? items : null;
}

/**
 * The file as plain data, its `api_keys:` block list read by parseKeyItems.
 */
export function parseFast(text: string, file: string): unknown {
  const start = /^api_keys:[ \t]*(?:#.*)?$/m.exec(text);
  if (!start) return load(text, { schema: SCHEMA, filename: file });
  const from = Math.min(text.length, start.index + start[0].length + 1);
  // The block ends at the next top-level key (a line starting with neither space, `#` nor `-`).
  const topLevel = /[\n\r][^\s#-]/g;
  topLevel.lastIndex = Math.max(0, from - 1);
  const next = topLevel.exec(text);
  const to = next ? next.index + 1 : text.length;
  const restText = `${text.slice(0, start.index)}${text.slice(to)}`;
  const rest = /\S/.test(restText.replace(/#.*$/gm, '')) ? load(restText, { schema: SCHEMA, filename: file }) ?? {} : {};
  if (typeof rest !== 'object' || Array.isArray(rest) || 'api_keys' in rest) throw new Error('unexpected shape');
  const indent = /^( *)- /m.exec(text.slice(from, to))?.[1] ?? '';
  return { ...rest, api_keys: parseKeyItems(text, from, to, indent, file) };
}

/**
 * Plain data of a large, correct file, or null when the slow path must read it (a small
 * file, a YAML error, an unresolvable `${VAR}`, or any schema finding). `sink` has no
 * positions: the checks that follow must send the file back the slow way on any finding.
 */
export function readFast(kind: ConfigFileKind, file: string, text: string, env: NodeJS.ProcessEnv): { data: unknown; sink: IssueSink; scratch: ConfigIssue[] } | null {
  if (text.length < FAST_PATH_BYTES) return null;
  let data: unknown;
  try {
    data = parseFast(text, file);
  } catch {
    return null;
  }
  if (data === null || typeof data !== 'object' || Array.isArray(data)) return null;
  const touched: InterpolatedPaths = new Set();
  if (!interpolate(data, env, [], touched)) return null;
  const scratch: ConfigIssue[] = [];
  const sink = new IssueSink(file, scratch);
  if (!checkSchema(kind, data, touched, sink) || scratch.length > 0) return null;
  return { data, sink, scratch };
}
