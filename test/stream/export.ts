/**
 * A gateway as its own process (`bin/semgate.js serve`), big exports read from it as a
 * client would, and its memory as the kernel counts it (/proc/<pid>/status). Shared by
 * test/stream/rss.test.ts and bench/stream.ts.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { freePort } from '../helpers/free-port.ts';

const ROOT = new URL('../..', import.meta.url).pathname;

export interface SpawnedGateway {
  readonly child: ChildProcess;
  readonly pid: number;
  readonly url: string;
  stop(): Promise<void>;
}

/** `node bin/semgate.js serve` on a free port (tsx registers in process, so the pid is the server). */
export async function spawnGateway(configDir: string, env: Record<string, string> = {}, nodeArgs: string[] = []): Promise<SpawnedGateway> {
  const port = await freePort();
  const child = spawn(process.execPath, [...nodeArgs, path.join(ROOT, 'bin/semgate.js'), 'serve', '--config', configDir, '--port', String(port), '--host', '127.0.0.1'], {
    cwd: ROOT, stdio: ['ignore', 'ignore', 'inherit'],
    env: { ...process.env, LOG_LEVEL: 'silent', SEMGATE_AUDIT_SINK: 'stdout', ...env },
  });
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 60_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`the gateway exited with ${child.exitCode}`);
    if (await fetch(`${url}/health`).then((r) => r.ok, () => false)) break;
    if (Date.now() > deadline) throw new Error('the gateway did not start within 60 s');
    await new Promise((r) => setTimeout(r, 100));
  }
  return {
    child, pid: child.pid!, url,
    stop: async () => {
      if (child.exitCode !== null) return;
      const exited = new Promise((r) => child.once('exit', r));
      child.kill('SIGTERM');
      await Promise.race([exited, new Promise((r) => setTimeout(r, 10_000))]);
      if (child.exitCode === null) child.kill('SIGKILL');
    },
  };
}

/** VmRSS and VmHWM of a process, in bytes. */
export function memoryOf(pid: number): { rss: number; hwm: number } {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = (name: string): number => Number(new RegExp(`^${name}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? NaN) * 1024;
  return { rss: kb('VmRSS'), hwm: kb('VmHWM') };
}

/** Resets VmHWM to the current RSS (`5` > clear_refs), so the next read is this window's peak. */
export function resetPeak(pid: number): boolean {
  try {
    writeFileSync(`/proc/${pid}/clear_refs`, '5');
    return true;
  } catch {
    return false;
  }
}

export type ExportKind = 'csv' | 'json' | 'odata';

export interface ExportRun {
  readonly kind: ExportKind;
  readonly rows: number;
  readonly bytes: number;
  readonly seconds: number;
  /** RSS before the request, the highest RSS sampled while it ran, VmHWM after (this window's peak when resetPeak worked). */
  readonly rssBefore: number;
  readonly rssMax: number;
  readonly hwmAfter: number;
  readonly rssAfter: number;
}

/**
 * Counts rows in the body as it arrives, without parsing it: CSV newlines (less the header);
 * JSON `],` pairs (one between rows, one after `columns`, one closing `rows`); OData `},`
 * pairs (one between entities). The previous chunk's last byte joins pairs split by a chunk.
 */
class RowCounter {
  #pairs = 0;
  #prev = 0;
  constructor(private readonly kind: ExportKind) {}
  add(chunk: Uint8Array): void {
    if (this.kind === 'csv') {
      for (let i = 0; i < chunk.length; i++) if (chunk[i] === 10) this.#pairs++;
      return;
    }
    const close = this.kind === 'json' ? 93 : 125; // ] or }
    let prev = this.#prev;
    for (let i = 0; i < chunk.length; i++) {
      const b = chunk[i]!;
      if (b === 44 && prev === close) this.#pairs++;
      prev = b;
    }
    this.#prev = prev;
  }
  rows(): number {
    if (this.kind === 'csv') return this.#pairs - 1;
    if (this.kind === 'json') return this.#pairs - 1;
    return this.#pairs + 1;
  }
}

/**
 * One export of `limit` rows of `items_pg` for tenant `a`, read to the end as fast as we can,
 * sampling the gateway's RSS every 20 ms.
 */
export async function runExport(gw: SpawnedGateway, kind: ExportKind, key: string, limit: number, dataset = 'items_pg'): Promise<ExportRun> {
  const peakReset = resetPeak(gw.pid);
  const before = memoryOf(gw.pid);
  let rssMax = before.rss;
  const sampler = setInterval(() => {
    try {
      rssMax = Math.max(rssMax, memoryOf(gw.pid).rss);
    } catch { /* exited */ }
  }, 20);
  const started = performance.now();
  const body = JSON.stringify({ dataset, dimensions: ['id', 'tenant', 'note'], limit });
  const send = (): Promise<Response> => kind === 'odata'
    ? fetch(`${gw.url}/odata/${dataset}?$select=id,tenant,note&$top=${limit}`, { headers: { authorization: `Bearer ${key}`, prefer: `odata.maxpagesize=${limit}` } })
    : fetch(`${gw.url}/v1/query`, {
      method: 'POST', body,
      headers: { 'content-type': 'application/json', authorization: `Bearer ${key}`, ...(kind === 'csv' && { accept: 'text/csv' }) },
    });
  // A kept-alive socket the server closed as we reused it fails before any answer: once more.
  const res = await send().catch(() => send());
  if (res.status !== 200) throw new Error(`${kind}: ${res.status} ${await res.text()}`);
  const counter = new RowCounter(kind);
  let bytes = 0;
  const reader = res.body!.getReader();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    bytes += value.byteLength;
    counter.add(value);
  }
  const seconds = (performance.now() - started) / 1000;
  clearInterval(sampler);
  const after = memoryOf(gw.pid);
  rssMax = Math.max(rssMax, after.rss);
  return { kind, rows: counter.rows(), bytes, seconds, rssBefore: before.rss, rssMax, hwmAfter: peakReset ? after.hwm : NaN, rssAfter: after.rss };
}

export const MB = 1024 * 1024;
