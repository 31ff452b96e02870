/**
 * A fast path for large api-keys.yaml files (thousands of generated `key_hash` entries).
 * The `yaml` library keeps a document with positions for every node and its parser grows
 * worse than linearly with a long list: 100,000 keys took 10 s and over 800 MB. Here
 * js-yaml (YAML 1.2 core schema with merge keys, as `yaml` reads these files) turns the text
 * into plain data in about a second, and the same interpolation and JSON Schema run over it.
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

/** Replaces `${VAR}` in every string in place; false at the first reference that cannot be. */
function interpolate(value: unknown, env: NodeJS.ProcessEnv, path: (string | number)[], touched: InterpolatedPaths): boolean {
  if (value === null || typeof value !== 'object') return true;
  const holder = value as Record<string | number, unknown>;
  const keys: (string | number)[] = Array.isArray(value) ? value.map((_, i) => i) : Object.keys(value);
  for (const k of keys) {
    const v = holder[k];
    if (typeof v === 'string') {
      if (!v.includes('${')) continue;
      const out = replaced(v, env);
      if (out === null) return false;
      holder[k] = out;
      touched.add(pointerOf([...path, k]));
    } else if (!interpolate(v, env, [...path, k], touched)) {
      return false;
    }
  }
  return true;
}

function replaced(text: string, env: NodeJS.ProcessEnv): string | null {
  let ok = true;
  const out = interpolateText(text, env, () => {
    ok = false;
  });
  return ok ? out : null;
}

/** Items of the `api_keys:` list parsed at a time: their garbage dies young (peak RSS halves). */
const CHUNK_ITEMS = 2000;

/**
 * The file as plain data, its `api_keys:` block list parsed a few thousand items at a time.
 * An alias to an anchor in another chunk fails to parse, and the caller falls back.
 */
function parseInChunks(text: string, file: string): unknown {
  const start = /^api_keys:[ \t]*(?:#.*)?$/m.exec(text);
  if (!start) return load(text, { schema: SCHEMA, filename: file });
  const from = start.index + start[0].length + 1;
  // The block ends at the next top-level key (a line starting with neither space, `#` nor `-`).
  const next = /^[^\s#-]/m.exec(text.slice(from));
  const to = next ? from + next.index : text.length;
  const restText = `${text.slice(0, start.index)}${text.slice(to)}`;
  const rest = /\S/.test(restText.replace(/#.*$/gm, '')) ? load(restText, { schema: SCHEMA, filename: file }) ?? {} : {};
  if (typeof rest !== 'object' || Array.isArray(rest) || 'api_keys' in rest) throw new Error('unexpected shape');
  const indent = /^( *)- /m.exec(text.slice(from, to))?.[1] ?? '';
  const itemStart = `\n${indent}- `;
  const keys: unknown[] = [];
  let at = from - 1; // the newline before the block
  while (at < to - 1) {
    let end = at;
    for (let n = 0; n < CHUNK_ITEMS; n++) {
      const found = text.indexOf(itemStart, end + 1);
      if (found < 0 || found >= to - 1) {
        end = to - 1;
        break;
      }
      end = found;
    }
    if (end <= at) end = to - 1;
    const chunk = load(`api_keys:${text.slice(at, end)}\n`, { schema: SCHEMA, filename: file }) as { api_keys?: unknown } | null;
    const items = chunk?.api_keys;
    if (items !== null && items !== undefined && !Array.isArray(items)) throw new Error('unexpected shape');
    if (items) for (const item of items) keys.push(item);
    at = end;
  }
  return { ...rest, api_keys: keys };
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
    data = parseInChunks(text, file);
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
