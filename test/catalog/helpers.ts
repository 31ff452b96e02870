/** Shared helpers for the catalog tests: temp config dirs and line lookup by marker. */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { expect } from 'vitest';
import { loadConfig, type LoadResult } from '../../src/catalog/load.ts';
import type { ConfigIssue } from '../../src/catalog/types.ts';

export const FIXTURES = new URL('../fixtures/catalog/', import.meta.url).pathname;

export type FileName = 'catalog.yaml' | 'sources.yaml' | 'api-keys.yaml';

/** The 1-based line holding `marker` (e.g. `# @cycle`); fails the test when absent or repeated. */
export function lineOf(text: string, marker: string): number {
  // Whole markers only: `# @tenant` must not match `# @tenant-key`.
  const re = new RegExp(`${marker.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}(?![\\w-])`);
  const hits = text.split('\n').flatMap((l, i) => (re.test(l) ? [i + 1] : []));
  if (hits.length !== 1) throw new Error(`marker ${marker} found ${hits.length} times`);
  return hits[0]!;
}

export function fixtureLine(dir: string, file: FileName, marker: string): number {
  return lineOf(readFileSync(join(FIXTURES, dir, file), 'utf8'), marker);
}

export const SOURCES = `sources:
  - name: warehouse
    type: postgres
    connection: { host: db.local, database: analytics, user: reader }
  - name: lake
    type: duckdb
    connection: { path: ":memory:" }
    init_sql: "CREATE TABLE t (x INT)"
`;

export const CATALOG = `datasets:
  - name: orders
    source: warehouse
    table: public.orders
    rls: { tenant_column: tenant_id }
    dimensions:
      - { name: region, type: string }
    metrics:
      - { name: revenue, type: number, expr: "SUM(amount)" }
`;

export const API_KEYS = `api_keys:
  - key_hash: "sha256:9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"
    tenant: acme
    role: analyst
`;

export interface Files {
  catalog?: string | null;
  sources?: string | null;
  apiKeys?: string | null;
}

/** Writes the files to a fresh temp dir (null = leave the file out) and loads it. */
export async function loadFiles(files: Files, env: NodeJS.ProcessEnv = {}): Promise<LoadResult & { dir: string; texts: Record<FileName, string> }> {
  const dir = mkdtempSync(join(tmpdir(), 'semgate-catalog-'));
  const texts: Record<FileName, string> = {
    'catalog.yaml': files.catalog === undefined ? CATALOG : files.catalog ?? '',
    'sources.yaml': files.sources === undefined ? SOURCES : files.sources ?? '',
    'api-keys.yaml': files.apiKeys === undefined ? API_KEYS : files.apiKeys ?? '',
  };
  if (files.catalog !== null) writeFileSync(join(dir, 'catalog.yaml'), texts['catalog.yaml']);
  if (files.sources !== null) writeFileSync(join(dir, 'sources.yaml'), texts['sources.yaml']);
  if (files.apiKeys !== null) writeFileSync(join(dir, 'api-keys.yaml'), texts['api-keys.yaml']);
  return { ...(await loadConfig(dir, { env })), dir, texts };
}

export const errorsOf = (issues: readonly ConfigIssue[]): ConfigIssue[] => issues.filter((i) => i.severity === 'error');

/**
 * Asserts one issue of `file` at the marker's line with this field whose message matches,
 * and returns it. Line numbers always come from the text, never from the test's memory.
 */
export function expectIssue(
  result: { issues: readonly ConfigIssue[]; texts: Record<FileName, string> },
  file: FileName,
  marker: string,
  field: string,
  message: RegExp,
  severity: ConfigIssue['severity'] = 'error',
): ConfigIssue {
  const line = lineOf(result.texts[file], marker);
  const hit = result.issues.find((i) => basename(i.file) === file && i.line === line && i.field === field && message.test(i.message));
  expect(hit, `expected ${severity} at ${file}:${line} ${field} ~ ${String(message)}; got:\n${listIssues(result.issues)}`).toBeDefined();
  expect(hit!.severity).toBe(severity);
  return hit!;
}

export function listIssues(issues: readonly ConfigIssue[]): string {
  return issues.map((i) => `  ${basename(i.file)}:${i.line}:${i.column} ${i.field} ${i.severity}: ${i.message}`).join('\n');
}
