/**
 * One config file from text to plain data: YAML syntax (all of yaml's own errors, with their
 * positions), `${VAR}` interpolation, then the JSON Schema. Each step reports into the sink.
 */
import { readFile } from 'node:fs/promises';
import { basename } from 'node:path';
import { LineCounter, parseDocument } from 'yaml';
import { IssueSink } from './positions.ts';
import { interpolateDocument } from './interpolate.ts';
import { checkSchema, normaliseDates, TOP_LEVEL_HINT, type ConfigFileKind } from './schema-check.ts';
import type { ConfigIssue } from './types.ts';
import { readFast } from './fast-yaml.ts';

export interface ParsedFile {
  readonly sink: IssueSink;
  /** Plain data after interpolation; null when the file is missing or not valid YAML. */
  readonly data: unknown;
  /** False when the YAML or the schema had errors (semantic checks still run, defensively). */
  readonly valid: boolean;
  /**
   * Read by the fast path (fast-yaml.ts): the sink has no positions and collects here, and
   * any finding of the checks that follow means the file must be read again the slow way.
   */
  readonly fastFindings?: ConfigIssue[];
}

const SYNTAX_HINTS: Partial<Record<string, string>> = {
  DUPLICATE_KEY: 'the same field is written twice in one mapping; keep one of them',
  TAB_AS_INDENT: 'indent with spaces, not tabs',
  BAD_INDENT: 'check the indentation: items of one list or mapping must line up',
  MISSING_CHAR: 'a quote or bracket is not closed',
  MULTIPLE_DOCS: 'a config file holds one document: remove the `---` separator',
};

export async function readConfigFile(
  kind: ConfigFileKind,
  file: string,
  env: NodeJS.ProcessEnv,
  issues: ConfigIssue[],
  opts: { fast?: boolean } = {},
): Promise<ParsedFile> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (e) {
    const sink = new IssueSink(file, issues);
    const missing = (e as NodeJS.ErrnoException).code === 'ENOENT';
    if (kind === 'apiKeys' && missing) {
      sink.warning([], `${basename(file)} not found: no API keys are configured, so every query will be refused until you add it.`);
    } else {
      sink.error([], missing ? `${basename(file)} not found: create it with ${TOP_LEVEL_HINT[kind]}.` : `${basename(file)} cannot be read (${(e as NodeJS.ErrnoException).code ?? 'error'}).`);
    }
    return { sink, data: null, valid: false };
  }

  const fast = opts.fast ? readFast(kind, file, text, env) : null;
  if (fast) return { sink: fast.sink, data: fast.data, valid: true, fastFindings: fast.scratch };

  const lineCounter = new LineCounter();
  // `merge`: administrators share settings between entries with `<<: *defaults`.
  const doc = parseDocument(text, { lineCounter, prettyErrors: false, uniqueKeys: true, merge: true });
  const sink = new IssueSink(file, issues, doc, lineCounter, text);
  for (const err of doc.errors) {
    const hint = SYNTAX_HINTS[err.code];
    const offset = err.code === 'MISSING_CHAR' ? openingQuoteBefore(text, err.pos[0]) ?? err.pos[0] : err.pos[0];
    sink.error([], `YAML syntax error: ${err.message}${hint ? ` (${hint})` : ''}`, { at: sink.positionAtOffset(offset) });
  }
  for (const w of doc.warnings) {
    sink.warning([], `YAML: ${w.message}`, { at: sink.positionAtOffset(w.pos[0]) });
  }
  // A syntax error makes the rest of the file unreliable: later findings would be noise.
  if (doc.errors.length > 0) return { sink, data: null, valid: false };
  if (doc.contents === null) {
    sink.error([], `${basename(file)} is empty: it must contain ${TOP_LEVEL_HINT[kind]}.`);
    return { sink, data: null, valid: false };
  }

  const before = issues.length;
  const envPaths = interpolateDocument(doc, env, text, sink);
  let data: unknown;
  try {
    data = normaliseDates(doc.toJS({ maxAliasCount: 100 }));
  } catch (e) {
    sink.error([], `YAML cannot be read: ${(e as Error).message}`);
    return { sink, data: null, valid: false };
  }
  const schemaOk = checkSchema(kind, data, envPaths, sink);
  const interpolationOk = !issues.slice(before).some((i) => i.severity === 'error');
  return { sink, data, valid: schemaOk && interpolationOk };
}

/**
 * yaml reports an unclosed quote where the file ends; the administrator needs the line where
 * the quote was opened: the nearest line above with an odd number of that quote character.
 */
function openingQuoteBefore(text: string, offset: number): number | null {
  const quote = text.slice(0, offset).includes('"') ? '"' : "'";
  let end = offset;
  while (end > 0) {
    const start = text.lastIndexOf('\n', end - 1) + 1;
    const line = text.slice(start, end);
    if (line.split(quote).length % 2 === 0) return start + line.indexOf(quote);
    end = start - 1;
  }
  return null;
}
