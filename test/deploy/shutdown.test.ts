/**
 * The process as an operator runs it (bin/semgate.js serve): SIGTERM drains - /ready turns
 * 503 at once, the request in flight completes, its audit line is written, exit code 0 -
 * and a busy port or a missing configuration is one line on stderr and a non-zero exit.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ROOT } from '../helpers/cli.ts';
import { rawPostgres } from '../helpers/seed.ts';
import { requireServices } from '../helpers/services.ts';
import { prepareRun, startReplica, type DeployRun } from './harness.ts';

/** Runs `semgate serve` to its end: exit code and output. */
function serveToEnd(args: string[], env: NodeJS.ProcessEnv = process.env): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const proc = spawn(process.execPath, [path.join(ROOT, 'bin/semgate.js'), 'serve', ...args], { env, cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    proc.stdout.setEncoding('utf8').on('data', (d: string) => { stdout += d; });
    proc.stderr.setEncoding('utf8').on('data', (d: string) => { stderr += d; });
    const timer = setTimeout(() => proc.kill('SIGKILL'), 60_000);
    proc.once('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

describe('start-up refusals: one line on stderr, exit code not 0', () => {
  it('a missing configuration says what to mount (and about SEMGATE_DEMO=1)', async () => {
    const empty = mkdtempSync(path.join(tmpdir(), 'semgate-empty-'));
    const env = { ...process.env, SEMGATE_DEMO: '' };
    const run = await serveToEnd(['--config', empty, '--port', '0'], env);
    expect(run.code).not.toBe(0);
    const lines = run.stderr.trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toContain(empty);
    expect(lines[0]).toContain('catalog.yaml');
    expect(lines[0]).toContain('SEMGATE_DEMO=1');
    expect(run.stderr).not.toMatch(/\n\s+at /); // no stack trace
  }, 60_000);

  it('a busy port names the port and what to do', async () => {
    const holder = net.createServer();
    await new Promise<void>((resolve) => holder.listen(0, '127.0.0.1', resolve));
    const port = (holder.address() as net.AddressInfo).port;
    try {
      const run = await serveToEnd(['--host', '127.0.0.1', '--port', String(port)], { ...process.env, SEMGATE_AUDIT_SINK: 'none', LOG_LEVEL: 'error' });
      expect(run.code).not.toBe(0);
      const lines = run.stderr.trim().split('\n');
      expect(lines).toHaveLength(1);
      expect(lines[0]).toContain(`port ${port}`);
      expect(lines[0]).toContain('already in use');
      expect(run.stderr).not.toMatch(/\n\s+at /);
    } finally {
      holder.close();
    }
  }, 60_000);
});

const pg = await requireServices('postgres');

describe.skipIf(!pg.ok)('SIGTERM drains the real process', () => {
  let run: DeployRun;
  beforeAll(async () => {
    run = await prepareRun({ SGD_SLOW_SECONDS: '2', SEMGATE_AUDIT_SINK: 'stdout', SEMGATE_DRAIN_TIMEOUT_MS: '30000' });
    run.env.SEMGATE_AUDIT_SINK = 'stdout';
  }, 60_000);
  afterAll(async () => run?.drop());

  it('/ready turns 503 at once, the slow request completes, its audit line is written, exit 0', async () => {
    const replica = await startReplica(run.env);
    const slow = fetch(`${replica.url}/v1/query`, {
      method: 'POST',
      headers: { authorization: `Bearer ${run.keys.a}`, 'content-type': 'application/json' },
      body: JSON.stringify({ dataset: 'orders_slow', dimensions: ['region'], metrics: ['revenue'] }),
    });
    // Wait until the query runs in PostgreSQL: then the request is surely in flight.
    const db = await rawPostgres();
    try {
      for (let i = 0; ; i++) {
        const rows = await db.query(`SELECT 1 FROM pg_stat_activity WHERE query LIKE '%pg_sleep%' AND query LIKE '%${run.schema}%' AND pid <> pg_backend_pid()`);
        if (rows.length > 0) break;
        if (i > 200) throw new Error('the slow query never started');
        await new Promise((r) => setTimeout(r, 50));
      }
    } finally {
      await db.close();
    }
    expect(replica.proc.kill('SIGTERM')).toBe(true);
    // Not ready from now on, while the slow request still runs (no key needed: probes send none).
    let ready = 0;
    for (let i = 0; i < 50; i++) {
      ready = (await fetch(`${replica.url}/ready`, { headers: { authorization: `Bearer ${run.keys.a}` } })).status;
      if (ready === 503) break;
      await new Promise((r) => setTimeout(r, 20));
    }
    expect(ready).toBe(503);
    const answer = await slow;
    expect(answer.status).toBe(200);
    const id = answer.headers.get('x-request-id');
    const body = await answer.json() as { rows: unknown[] };
    expect(body.rows.length).toBe(3);
    const exit = await replica.exited;
    expect(exit).toEqual({ code: 0, signal: null });
    // The audit line of the request (stdout sink), written before the process ended.
    const lines = replica.stdout().split('\n').filter((l) => l.startsWith('{"ts"'));
    const line = lines.map((l) => JSON.parse(l) as { request_id: string; status: number; dataset: string }).find((l) => l.request_id === id);
    expect(line).toMatchObject({ status: 200, dataset: 'orders_slow' });
    expect(replica.stderr()).toBe('');
  }, 90_000);
});
