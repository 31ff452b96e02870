/**
 * `${VAR}` and `${VAR:-default}` in every string value of a parsed YAML file, replaced in
 * place on the YAML nodes so that each unset variable is reported at its own line.
 */
import { isMap, isPair, isScalar, isSeq, type Document } from 'yaml';
import type { FieldPath, IssueSink } from './positions.ts';

// Anything that starts like a reference; checked against the strict form below so that a
// typo such as `${PG HOST}` is an error instead of text silently sent to the database.
const REFERENCE_START = /\$\{([^}]*)\}?/g;
const STRICT = /^([A-Za-z_][A-Za-z0-9_]*)(?::-(.*))?$/s;

/** JSON pointers of the values that came from the environment (see `coerceFromEnv`). */
export type InterpolatedPaths = Set<string>;

export function pointerOf(path: FieldPath): string {
  return path.map((s) => '/' + String(s).replace(/~/g, '~0').replace(/\//g, '~1')).join('');
}

export function interpolateDocument(doc: Document, env: NodeJS.ProcessEnv, text: string, sink: IssueSink): InterpolatedPaths {
  const touched: InterpolatedPaths = new Set();
  walk(doc.contents, []);
  return touched;

  function walk(node: unknown, path: (string | number)[]): void {
    if (isMap(node)) {
      for (const pair of node.items) {
        if (!isPair(pair)) continue;
        const key = isScalar(pair.key) ? String(pair.key.value) : String(pair.key);
        walk(pair.value, [...path, key]);
      }
    } else if (isSeq(node)) {
      node.items.forEach((item, i) => walk(item, [...path, i]));
    } else if (isScalar(node) && typeof node.value === 'string' && node.value.includes('${')) {
      const start = node.range?.[0] ?? 0;
      const end = node.range?.[1] ?? text.length;
      const source = text.slice(start, end);
      node.value = interpolateText(node.value, env, (token, message) => {
        // Point at the token itself: in a multi-line SQL block it may be lines below the key.
        const offset = source.indexOf(token);
        sink.error(path, message, { at: sink.positionAtOffset(offset >= 0 ? start + offset : start) });
      });
      touched.add(pointerOf(path));
    }
  }
}

/**
 * `${VAR}` and `${VAR:-default}` in one text; `report` is told of each reference that is
 * malformed or names an unset variable without a default (that token is then kept).
 */
export function interpolateText(value: string, env: NodeJS.ProcessEnv, report: (token: string, message: string) => void): string {
  return value.replace(REFERENCE_START, (token: string, inner: string) => {
    const m = token.endsWith('}') ? STRICT.exec(inner) : null;
    if (!m) {
      report(token, `\`${token}\` is not a valid variable reference: write \${NAME} or \${NAME:-default} (letters, digits and _ only).`);
      return token;
    }
    const name = m[1] ?? '';
    const fallback = m[2];
    const set = env[name];
    // Like the shell: `:-` also replaces a variable that is set but empty.
    if (set !== undefined && (set !== '' || fallback === undefined)) return set;
    if (fallback !== undefined) return fallback;
    report(token, `environment variable ${name} is not set: set it, or give a default with \${${name}:-value}.`);
    return token;
  });
}
