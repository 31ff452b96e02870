/**
 * Positions for findings made after load, by checks that only have the built `Catalog`
 * (the live check of `semgate validate --connect`): the three files are read again for
 * their YAML nodes, so such a finding names file, line and field like every other.
 */
import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { LineCounter, parseDocument } from 'yaml';
import { CONFIG_FILES, type LoadOptions } from './load.ts';
import { IssueSink } from './positions.ts';
import type { ConfigFileKind } from './schema-check.ts';
import type { ConfigIssue } from './types.ts';

export interface ConfigLocator {
  /** A sink per file; everything reported lands in `issues`. */
  readonly sinks: Readonly<Record<ConfigFileKind, IssueSink>>;
  readonly issues: ConfigIssue[];
  /** Index of the dataset named `name` in catalog.yaml's `datasets` (0 if not found). */
  datasetIndex(name: string): number;
  /** Index of the source named `name` in sources.yaml's `sources` (0 if not found). */
  sourceIndex(name: string): number;
}

async function sinkFor(file: string, issues: ConfigIssue[]): Promise<{ sink: IssueSink; data: unknown }> {
  const text = await readFile(file, 'utf8').catch(() => null);
  if (text === null) return { sink: new IssueSink(file, issues), data: null };
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines, prettyErrors: false, merge: true });
  let data: unknown = null;
  try {
    data = doc.toJS({ maxAliasCount: 100 });
  } catch {
    data = null;
  }
  return { sink: new IssueSink(file, issues, doc, lines, text), data };
}

function indexByName(data: unknown, list: string): (name: string) => number {
  const items = (data as Record<string, unknown> | null)?.[list];
  const names = Array.isArray(items) ? items.map((x) => (x as { name?: unknown } | null)?.name) : [];
  return (name) => Math.max(0, names.indexOf(name));
}

/** Reads the files of a configuration directory (the names `loadConfig` used) for positions only. */
export async function locateConfig(dir: string, files: LoadOptions['files'] = {}): Promise<ConfigLocator> {
  const issues: ConfigIssue[] = [];
  const fileOf = (kind: ConfigFileKind): string => resolve(dir, files[kind] ?? CONFIG_FILES[kind]);
  const [catalog, sources, apiKeys] = await Promise.all([sinkFor(fileOf('catalog'), issues), sinkFor(fileOf('sources'), issues), sinkFor(fileOf('apiKeys'), issues)]);
  return {
    sinks: { catalog: catalog.sink, sources: sources.sink, apiKeys: apiKeys.sink },
    issues,
    datasetIndex: indexByName(catalog.data, 'datasets'),
    sourceIndex: indexByName(sources.data, 'sources'),
  };
}
