/**
 * `semgate serve` checks the catalog against the databases at start (as `validate --connect`
 * does): findings are warnings in the log and the server serves; with `--strict` it refuses
 * to start. DuckDB only, so this runs without any service. Also: a DuckDB source whose
 * init_sql fails, or whose file does not exist, is a finding at that setting's line (and
 * the missing file is not created).
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/catalog/load.ts';
import { checkLive } from '../../src/service/live-check.ts';
import { lineOf, listIssues } from '../catalog/helpers.ts';
import { ROOT } from '../helpers/cli.ts';
import { freePort } from '../helpers/free-port.ts';

const SOURCES = (extra = ''): string => `sources:
  - name: lake
    type: duckdb
    connection: { path: ":memory:" }
    init_sql: "CREATE TABLE sales (region VARCHAR, amount DOUBLE)"
${extra}`;

const CATALOG = `datasets:
  - name: sales
    source: lake
    table: sales
    rls: none
    dimensions:
      - { name: regoin, type: string }   # @typo
    metrics:
      - { name: revenue, type: number, expr: "SUM(amount)" }
`;
const KEYS = `api_keys:
  - { key_hash: "sha256:${'c'.repeat(64)}", role: admin }
`;

function configDir(sources: string, catalog = CATALOG): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'semgate-serve-check-'));
  writeFileSync(path.join(dir, 'sources.yaml'), sources);
  writeFileSync(path.join(dir, 'catalog.yaml'), catalog);
  writeFileSync(path.join(dir, 'api-keys.yaml'), KEYS);
  return dir;
}

/** `semgate serve` until it exits or `until` shows in its output; then SIGTERM. */
async function serve(dir: string, extra: string[], until: RegExp): Promise<{ code: number | null; out: string }> {
  const port = await freePort();
  const child = spawn(process.execPath, [path.join(ROOT, 'bin/semgate.js'), 'serve', '--config', dir, '--port', String(port), '--host', '127.0.0.1', ...extra], {
    env: { ...process.env, SEMGATE_AUDIT_SINK: 'none', LOG_LEVEL: 'info' }, stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout.on('data', (b: Buffer) => { out += b.toString(); });
  child.stderr.on('data', (b: Buffer) => { out += b.toString(); });
  return new Promise((resolve) => {
    const timer = setTimeout(() => child.kill('SIGTERM'), 60_000);
    const check = (): void => { if (until.test(out)) child.kill('SIGTERM'); };
    child.stdout.on('data', check);
    child.on('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, out });
    });
  });
}

describe('semgate serve checks the catalog against the databases', () => {
  const line = lineOf(CATALOG, '@typo');

  it('logs each finding as a warning with its line, and serves', async () => {
    const { out } = await serve(configDir(SOURCES()), [], /does not match the databases/);
    expect(out).toContain('semgate is listening');
    const warning = out.split('\n').find((l) => l.includes('"check":"connect"'));
    expect(warning, out).toBeDefined();
    expect(JSON.parse(warning!)).toMatchObject({ level: 40, line, field: 'datasets[0].dimensions[0].name', msg: expect.stringMatching(/dimension 'regoin'.*DuckDB/) });
  }, 90_000);

  it('--strict refuses to start on a finding', async () => {
    const { code, out } = await serve(configDir(SOURCES()), ['--strict'], /listening/);
    expect(code).toBe(1);
    expect(out).toContain('refusing to start (--strict)');
    expect(out).not.toContain('semgate is listening');
  }, 90_000);

  it('--strict starts when there is nothing to find', async () => {
    const { out } = await serve(configDir(SOURCES(), CATALOG.replace('regoin', 'region')), ['--strict'], /semgate is listening/);
    expect(out).toContain('catalog checked against the databases: no findings');
    expect(out).toContain('semgate is listening');
  }, 90_000);
});

describe('DuckDB sources in the live check', () => {
  it('a failing init_sql is a finding at init_sql; a missing file one at path, and is not created', async () => {
    const missing = path.join(tmpdir(), `semgate-missing-${process.pid}.duckdb`);
    const sources = `${SOURCES().replace('CREATE TABLE', 'CREATE TABL')}  - name: gone
    type: duckdb
    connection:
      path: "${missing}"   # @missing
`;
    const dir = configDir(sources, `${CATALOG}  - name: other
    source: gone
    table: t
    rls: none
    dimensions:
      - { name: x, type: string }
`);
    const { catalog, issues } = await loadConfig(dir, { env: {} });
    expect(issues.filter((i) => i.severity === 'error'), listIssues(issues)).toEqual([]);
    const live = await checkLive(catalog!);
    expect(live.issues.map((i) => [i.line, i.field, i.message]), listIssues(live.issues)).toEqual([
      [lineOf(sources, 'init_sql'), 'sources[0].init_sql', expect.stringMatching(/cannot connect to source 'lake' \(DuckDB\): Parser Error: syntax error at or near "TABL"/)],
      [lineOf(sources, '@missing'), 'sources[1].connection.path', expect.stringMatching(/DuckDB file .* does not exist/)],
    ]);
    expect(existsSync(missing)).toBe(false);
  }, 60_000);
});
