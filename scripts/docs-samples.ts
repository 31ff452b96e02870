/**
 * The sample outputs of docs/api.md, produced from the demo (`npm run docs:samples`).
 *
 * Every sample in docs/api.md sits between markers:
 *
 *   <!-- sample [option=value ...] -->
 *   ```sh
 *   curl ... localhost:8080 ...
 *   ```
 *   ```json            (or ```http for curl -i)
 *   ...written by this script...
 *   ```
 *   <!-- /sample -->
 *
 * The script starts the demo gateway in this process (the repository's own config: the demo
 * catalog on embedded DuckDB, its keys) on a free port, runs each sample's command through
 * bash and the real curl binary, in document order, and writes the answer in place of the
 * output block. Options shorten what is shown:
 *
 *   cut=key:N,...        arrays under `key` (any depth) keep N items, then `…`
 *   pick=a,b.c,...       only these members (dotted paths), then `…`
 *   headers=a,b          (http) these response headers, in this order, then `…`
 *   lang=json|http|text  the output block's language (default: json, or http for -i)
 *
 * test/docs/api-samples.test.ts fails when docs/api.md differs from what this script writes,
 * volatile values (request ids, timings, today's date) aside: see `normaliseVolatile`.
 */
import { execFile } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Writable } from 'node:stream';
import { pino } from 'pino';
import { AuditLog } from '../src/audit/index.ts';
import { StdoutSink } from '../src/audit/sinks.ts';
import { formatIssues } from '../src/catalog/format.ts';
import { loadConfig } from '../src/catalog/load.ts';
import { startServer, type RunningServer } from '../src/server.ts';
import { Gateway, stateFor } from '../src/service/gateway.ts';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
export const API_DOC = path.join(ROOT, 'docs/api.md');

/** The demo gateway (the repository root's config) on 127.0.0.1, a free port, logging nothing. */
export async function startDemo(): Promise<RunningServer> {
  const { catalog, issues } = await loadConfig(ROOT);
  if (!catalog) throw new Error(`the demo config does not load:\n${formatIssues(issues.filter((i) => i.severity === 'error'))}`);
  const logger = pino({ level: 'silent' });
  // The demo's audit sink (stdout), writing nowhere: the samples' output is the answers.
  const discard = new Writable({ write: (_chunk, _enc, done) => done() });
  const audit = new AuditLog(new StdoutSink(discard), catalog.settings.audit.spool, logger);
  const gateway = new Gateway(stateFor(catalog), logger, { audit });
  return startServer({ configDir: ROOT, gateway, port: 0, host: '127.0.0.1' });
}

/** A documented command with the demo's address and the documented variables pointed at `baseUrl`. */
export function localise(command: string, baseUrl: string): string {
  const hostPort = baseUrl.replace(/^https?:\/\//, '');
  return command.replace(/https?:\/\/localhost:8080/g, baseUrl).replace(/(?<![\w.-])localhost:8080/g, hostPort);
}

/** Runs a shell snippet with bash (so quoting is the shell's), with SEMGATE_URL and the admin key set. */
export function runShell(script: string, baseUrl: string, timeoutMs = 60_000): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile('bash', ['-c', script], {
      cwd: ROOT, timeout: timeoutMs, maxBuffer: 64 * 1024 * 1024,
      env: { PATH: process.env['PATH'] ?? '/usr/bin:/bin', HOME: process.env['HOME'] ?? '/tmp', SEMGATE_URL: baseUrl, SEMGATE_ADMIN_KEY: 'sk_demo_admin' },
    }, (err, stdout, stderr) => resolve({ code: err ? (typeof err.code === 'number' ? err.code : 1) : 0, stdout, stderr }));
  });
}

// ---------------------------------------------------------------- formatting

const CUT = '\u2026CUT';

const isScalar = (v: unknown): boolean => v === null || typeof v !== 'object';
/** A record of scalars (or of short lists of scalars): one line, like a table row. */
function isRow(v: unknown): boolean {
  if (v === null || typeof v !== 'object') return false;
  if (Array.isArray(v)) return v.every(isScalar);
  return Object.values(v).every((x) => isScalar(x) || (typeof x === 'object' && Object.values(x as object).every(isScalar) && JSON.stringify(x).length <= 60));
}

/** JSON as the docs write it: rows on one line, anything that fits in `width` too, else one member per line. */
export function formatJson(value: unknown, width = 100, indent = ''): string {
  const flat = JSON.stringify(value);
  if (flat === undefined) return 'null';
  if (value === null || typeof value !== 'object' || indent.length + flat.length <= width || isRow(value)) return flat;
  const inner = indent + '  ';
  if (Array.isArray(value)) {
    // Arrays of scalars or short rows stay one item per line.
    return `[\n${value.map((v) => inner + formatJson(v, width, inner)).join(',\n')}\n${indent}]`;
  }
  const entries = Object.entries(value as Record<string, unknown>);
  return `{\n${entries.map(([k, v]) => `${inner}${JSON.stringify(k)}: ${formatJson(v, width, inner)}`).join(',\n')}\n${indent}}`;
}

/** `…` where parts were left out (the sentinel becomes bare text, as the docs write it). */
function unsentinel(text: string): string {
  return text.replace(new RegExp(`"${CUT}": ?0`, 'g'), '…').replace(new RegExp(`"${CUT}"`, 'g'), '…');
}

function cutArrays(v: unknown, cuts: Map<string, number>, key = ''): unknown {
  if (Array.isArray(v)) {
    const n = cuts.get(key);
    const items = v.map((x) => cutArrays(x, cuts));
    return n !== undefined && items.length > n ? [...items.slice(0, n), CUT] : items;
  }
  if (v && typeof v === 'object') return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, cutArrays(x, cuts, k)]));
  return v;
}

function pickPaths(v: unknown, paths: string[][]): unknown {
  if (!v || typeof v !== 'object' || Array.isArray(v)) return v;
  const out: Record<string, unknown> = {};
  let left = false;
  for (const [k, x] of Object.entries(v)) {
    const mine = paths.filter((p) => p[0] === k);
    if (mine.length === 0) {
      left = true;
      continue;
    }
    out[k] = mine.some((p) => p.length === 1) ? x : pickPaths(x, mine.map((p) => p.slice(1)));
  }
  if (left) out[CUT] = 0;
  return out;
}

export interface SampleOptions { cut?: string; pick?: string; headers?: string; lang?: string }

function shapeJson(text: string, opts: SampleOptions): string {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return text.trimEnd();
  }
  if (opts.pick) value = pickPaths(value, opts.pick.split(',').map((p) => p.split('.')));
  if (opts.cut) value = cutArrays(value, new Map(opts.cut.split(',').map((c) => [c.split(':')[0]!, Number(c.split(':')[1])])));
  return unsentinel(formatJson(value));
}

/** A curl answer as the docs show it: `-i` answers as a status line, the chosen headers and the body. */
export function renderOutput(stdout: string, opts: SampleOptions, withHeaders: boolean): string {
  if (!withHeaders) return shapeJson(stdout, opts);
  const split = stdout.indexOf('\r\n\r\n');
  const head = (split < 0 ? stdout : stdout.slice(0, split)).split('\r\n');
  const body = split < 0 ? '' : stdout.slice(split + 4);
  const status = head[0]!.replace(/^HTTP\/[\d.]+ (\d+)\s*$/, (_m, s: string) => `HTTP/1.1 ${s} ${REASONS[Number(s)] ?? ''}`.trimEnd());
  const lines = head.slice(1).map((l) => [l.slice(0, l.indexOf(':')).toLowerCase(), l.slice(l.indexOf(':') + 1).trim()] as const);
  const wanted = (opts.headers ?? 'content-type').split(',');
  const shown = wanted.flatMap((w) => lines.filter(([n]) => n === w).map(([n, v]) => `${n}: ${v}`));
  const more = lines.some(([n]) => !wanted.includes(n));
  const json = /json/.test(lines.find(([n]) => n === 'content-type')?.[1] ?? '');
  const shownBody = json ? JSON.stringify(JSON.parse(body)) : body.replace(/\r\n/g, '\n').trimEnd();
  return [status, ...shown, ...(more ? ['…'] : []), '', shownBody].join('\n');
}

const REASONS: Record<number, string> = { 200: 'OK', 201: 'Created', 400: 'Bad Request', 401: 'Unauthorized', 403: 'Forbidden', 404: 'Not Found', 429: 'Too Many Requests' };

// ---------------------------------------------------------------- the document

const SAMPLE = /<!-- sample((?: [\w-]+=[^ ]+)*) -->\n```sh\n([\s\S]*?)\n```\n(?:```(\w+)\n[\s\S]*?\n```\n)?<!-- \/sample -->/g;

export interface Sample { options: SampleOptions; command: string; index: number }

export function samplesOf(doc: string): Sample[] {
  return [...doc.matchAll(SAMPLE)].map((m) => ({
    options: Object.fromEntries((m[1] ?? '').trim().split(' ').filter(Boolean).map((o) => [o.slice(0, o.indexOf('=')), o.slice(o.indexOf('=') + 1)])) as SampleOptions,
    command: m[2]!,
    index: m.index!,
  }));
}

/** docs/api.md with every sample's output block written from the gateway at `baseUrl`. */
export async function renderSamples(doc: string, baseUrl: string): Promise<string> {
  const outputs: string[] = [];
  for (const s of samplesOf(doc)) {
    const withHeaders = /(?:^|\s)-[A-Za-z]*i[A-Za-z]*(?=\s)/.test(s.command);
    const { code, stdout, stderr } = await runShell(localise(s.command, baseUrl), baseUrl);
    if (code !== 0) throw new Error(`sample failed (exit ${code}): ${s.command}\n${stderr}`);
    const lang = s.options.lang ?? (withHeaders ? 'http' : 'json');
    outputs.push(`\`\`\`${lang}\n${renderOutput(stdout, s.options, withHeaders)}\n\`\`\`\n`);
  }
  let i = 0;
  return doc.replace(SAMPLE, (whole, opts: string, command: string) => `<!-- sample${opts} -->\n\`\`\`sh\n${command}\n\`\`\`\n${outputs[i++]}<!-- /sample -->`);
}

/**
 * What differs on every run, replaced by a placeholder so two renderings compare: request
 * ids, durations and response times, today's date and instants, Server-Timing values.
 */
export function normaliseVolatile(text: string): string {
  return text
    .replace(/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/g, '<uuid>')
    .replace(/"(duration_ms|avg_response_ms|p95_response_ms|written|queued)": ?[\d.]+/g, '"$1":<n>')
    .replace(/"(date|last_active)": ?"[^"]*"/g, '"$1":<date>')
    .replace(/^(server-timing|date|ratelimit-reset): .*$/gim, '$1: <volatile>');
}

async function main(): Promise<void> {
  const server = await startDemo();
  try {
    const before = readFileSync(API_DOC, 'utf8');
    const after = await renderSamples(before, server.url);
    // Only real changes are written: new request ids and timings alone are no reason to touch the page.
    const changed = normaliseVolatile(before) !== normaliseVolatile(after);
    if (changed) writeFileSync(API_DOC, after);
    console.log(`docs/api.md: ${samplesOf(after).length} samples run against the demo; ${changed ? 'outputs rewritten' : 'no change (request ids and timings aside), file left as it is'}.`);
  } finally {
    await server.close();
  }
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  main().catch((e: unknown) => {
    console.error(e);
    process.exit(1);
  });
}
