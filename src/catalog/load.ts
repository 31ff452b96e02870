/**
 * Loads and validates catalog.yaml, sources.yaml and api-keys.yaml into one immutable Catalog.
 * Every finding of every file is collected; the Catalog is returned only when none is an error,
 * so a bad edit can never replace a configuration that is already serving.
 */
import { dirname, resolve } from 'node:path';
import { buildCatalog, type RawConfig } from './build.ts';
import { checkApiKeys } from './check-api-keys.ts';
import { checkCatalog } from './check-catalog.ts';
import { checkSources } from './check-sources.ts';
import { checkTokens } from './check-tokens.ts';
import type { ConfigFileKind } from './schema-check.ts';
import type { Catalog, ConfigIssue } from './types.ts';
import { readConfigFile, type ParsedFile } from './yaml-file.ts';

export const CONFIG_FILES: Readonly<Record<ConfigFileKind, string>> = {
  catalog: 'catalog.yaml',
  sources: 'sources.yaml',
  apiKeys: 'api-keys.yaml',
};

export interface LoadOptions {
  /** Where `${VAR}` values come from; default `process.env`. */
  env?: NodeJS.ProcessEnv;
  /** Other file paths (relative to `dir`, or absolute) instead of the default names. */
  files?: Partial<Record<ConfigFileKind, string>>;
}

export interface LoadResult {
  /** Null when any issue has severity `error`. */
  catalog: Catalog | null;
  /** Errors and warnings of all files, in file order, then by line. */
  issues: ConfigIssue[];
}

export async function loadConfig(dir: string, opts: LoadOptions = {}): Promise<LoadResult> {
  const root = resolve(dir);
  const env = opts.env ?? process.env;
  const fileOf = (kind: ConfigFileKind): string => resolve(root, opts.files?.[kind] ?? CONFIG_FILES[kind]);
  const issues: ConfigIssue[] = [];

  const sources = await readConfigFile('sources', fileOf('sources'), env, issues);
  const catalog = await readConfigFile('catalog', fileOf('catalog'), env, issues);
  // A large api-keys.yaml takes the fast path when it is correct (fast-yaml.ts).
  let apiKeys = await readConfigFile('apiKeys', fileOf('apiKeys'), env, issues, { fast: true });

  // Semantic checks run on whatever parsed, even past schema errors, to report everything in
  // one pass; cross-file checks are skipped when the other file could not be parsed at all.
  const sourceFacts = sources.data !== null ? checkSources(sources.data, dirname(fileOf('sources')), sources.sink) : null;
  const catalogFacts = catalog.data !== null ? checkCatalog(catalog.data, sourceFacts, catalog.sink) : null;
  const checkKeys = (file: ParsedFile): void => {
    if (file.data === null) return;
    checkApiKeys(file.data, catalogFacts, file.sink);
    checkTokens(file.data, sourceFacts, file.sink);
  };
  checkKeys(apiKeys);
  if (apiKeys.fastFindings !== undefined && apiKeys.fastFindings.length > 0) {
    // A finding without a line is no use: read the file again with positions, and check again.
    apiKeys = await readConfigFile('apiKeys', fileOf('apiKeys'), env, issues);
    checkKeys(apiKeys);
  }

  const order = [fileOf('catalog'), fileOf('sources'), fileOf('apiKeys')];
  issues.sort((a, b) => order.indexOf(a.file) - order.indexOf(b.file) || a.line - b.line || a.column - b.column);

  const failed = issues.some((i) => i.severity === 'error');
  if (failed || !sources.valid || !catalog.valid || sourceFacts === null) return { catalog: null, issues };
  // A missing api-keys.yaml is allowed (a warning): the gateway then has no keys.
  const raw = {
    catalog: catalog.data,
    sources: sources.data,
    apiKeys: apiKeys.data ?? {},
  } as RawConfig; // shapes guaranteed by the schemas and checks above
  return { catalog: buildCatalog(raw, sourceFacts, root), issues };
}
