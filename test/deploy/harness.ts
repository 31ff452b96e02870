/**
 * Real processes for the deployment tests: `semgate serve` (bin/semgate.js, as operators
 * start it) over test/fixtures/deploy, a per-run PostgreSQL schema and audit table, and a
 * real nginx in front (Debian's package, run as a foreground child with a temporary prefix).
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { ROOT } from '../helpers/cli.ts';
import { rawPostgres } from '../helpers/seed.ts';
import { freePort } from '../helpers/free-port.ts';

export const FIXTURE = path.join(ROOT, 'test/fixtures/deploy');

/** One run's names: schema, audit table, tenants, keys (Redis and PostgreSQL outlive runs). */
export interface DeployRun {
  readonly schema: string;
  readonly auditTable: string;
  readonly tenants: { a: string; b: string; other: string };
  readonly keys: { a: string; b: string; admin: string };
  readonly dir: string;
  /** The environment the replicas get (fixture variables). */
  readonly env: NodeJS.ProcessEnv;
  /** Rows per tenant: `a` has 10 per region of 3, `b` 7, `other` 5 (so sums tell tenants apart). */
  drop(): Promise<void>;
}

export async function prepareRun(extraEnv: Record<string, string> = {}): Promise<DeployRun> {
  const tag = randomBytes(4).toString('hex');
  const schema = `sgd_${tag}`;
  const auditTable = `sgd_audit_${tag}`;
  const tenants = { a: `ta_${tag}`, b: `tb_${tag}`, other: `tc_${tag}` };
  const keys = { a: `sk_sgd_a_${tag}${randomBytes(8).toString('hex')}`, b: `sk_sgd_b_${tag}${randomBytes(8).toString('hex')}`, admin: `sk_sgd_admin_${tag}${randomBytes(8).toString('hex')}` };
  const dir = mkdtempSync(path.join(tmpdir(), 'semgate-deploy-'));
  const db = await rawPostgres();
  try {
    await db.exec(`CREATE SCHEMA ${schema}`);
    await db.exec(`CREATE TABLE ${schema}.orders (id integer PRIMARY KEY, tenant_id text NOT NULL, region text NOT NULL, amount numeric NOT NULL)`);
    await db.exec(`INSERT INTO ${schema}.orders
      SELECT g, CASE WHEN g <= 30 THEN '${tenants.a}' WHEN g <= 51 THEN '${tenants.b}' ELSE '${tenants.other}' END,
             (ARRAY['EU','NA','APAC'])[1 + g % 3], g * 10
      FROM generate_series(1, 66) AS g`);
  } finally {
    await db.close();
  }
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    SGD_SCHEMA: schema, SGD_AUDIT_TABLE: auditTable, SGD_SPOOL: path.join(dir, 'spool.jsonl'),
    SGD_TENANT_A: tenants.a, SGD_TENANT_B: tenants.b, SGD_KEY_A: keys.a, SGD_KEY_B: keys.b, SGD_KEY_ADMIN: keys.admin,
    LOG_LEVEL: 'warn',
    ...extraEnv,
  };
  delete env.SEMGATE_AUDIT_SINK; // the fixture's sink (PostgreSQL), unless a test says otherwise
  delete env.SEMGATE_CONFIG_DIR;
  return {
    schema, auditTable, tenants, keys, dir, env,
    drop: async () => {
      const c = await rawPostgres();
      try {
        await c.exec(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
        await c.exec(`DROP TABLE IF EXISTS ${auditTable}`);
      } finally {
        await c.close();
      }
    },
  };
}

export interface Replica {
  readonly proc: ChildProcess;
  readonly url: string;
  readonly port: number;
  /** Everything written so far. */
  stdout(): string;
  stderr(): string;
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

/** Starts `node bin/semgate.js serve` on a free port and waits for its banner. */
export async function startReplica(env: NodeJS.ProcessEnv, config = FIXTURE, port = 0): Promise<Replica> {
  const proc = spawn(process.execPath, [path.join(ROOT, 'bin/semgate.js'), 'serve', '--config', config, '--host', '127.0.0.1', '--port', String(port)], {
    env, cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  proc.stdout!.setEncoding('utf8').on('data', (d: string) => { out += d; });
  proc.stderr!.setEncoding('utf8').on('data', (d: string) => { err += d; });
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => proc.once('exit', (code, signal) => resolve({ code, signal })));
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`semgate did not start within 60 s:\n${out}\n${err}`)), 60_000);
    const look = (): void => {
      const m = /listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(out);
      if (m) {
        clearTimeout(timer);
        resolve(m[1]!);
      }
    };
    proc.stdout!.on('data', look);
    void exited.then(({ code }) => {
      clearTimeout(timer);
      reject(new Error(`semgate exited (${code}) while starting:\n${out}\n${err}`));
    });
  });
  return { proc, url, port: Number(new URL(url).port), stdout: () => out, stderr: () => err, exited };
}

export function nginxPath(): string | null {
  for (const p of [process.env.SEMGATE_NGINX, '/usr/sbin/nginx', '/usr/bin/nginx', '/usr/local/sbin/nginx']) {
    if (p && spawnSync(p, ['-v']).status === 0) return p;
  }
  return null;
}

export interface Balancer {
  readonly url: string;
  readonly proc: ChildProcess;
  readonly dir: string;
  stop(): Promise<void>;
}

/**
 * nginx in front of `upstreams`, with deploy/nginx.conf's proxy settings: retry on the next
 * replica when one refuses or drops the connection (non-idempotent requests too: queries
 * are reads), passive health (a failed replica is skipped for a while).
 */
export async function startNginx(bin: string, upstreams: readonly number[]): Promise<Balancer> {
  const dir = mkdtempSync(path.join(tmpdir(), 'semgate-nginx-'));
  for (const d of ['logs', 'tmp']) mkdirSync(path.join(dir, d));
  const port = await freePort();
  const conf = `
daemon off;
master_process on;
worker_processes 1;
pid ${dir}/nginx.pid;
error_log ${dir}/logs/error.log warn;
${process.getuid?.() === 0 ? 'user nobody nogroup;' : ''}
events { worker_connections 1024; }
http {
  log_format replicas '$status $upstream_addr $upstream_status $upstream_http_x_request_id';
  access_log ${dir}/logs/access.log replicas;
  client_body_temp_path ${dir}/tmp/body;
  proxy_temp_path ${dir}/tmp/proxy;
  fastcgi_temp_path ${dir}/tmp/fastcgi;
  uwsgi_temp_path ${dir}/tmp/uwsgi;
  scgi_temp_path ${dir}/tmp/scgi;
  upstream semgate {
${upstreams.map((p) => `    server 127.0.0.1:${p} max_fails=1 fail_timeout=10s;`).join('\n')}
    keepalive 32;
  }
  server {
    listen 127.0.0.1:${port};
    location / {
      proxy_pass http://semgate;
      proxy_http_version 1.1;
      proxy_set_header Connection "";
      proxy_set_header Host $host;
      proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
      proxy_set_header X-Forwarded-Proto $scheme;
      proxy_next_upstream error timeout http_502 non_idempotent;
      proxy_next_upstream_tries 3;
      proxy_connect_timeout 2s;
      proxy_read_timeout 60s;
      proxy_buffering off;
    }
  }
}
`;
  writeFileSync(path.join(dir, 'nginx.conf'), conf);
  const proc = spawn(bin, ['-p', dir, '-c', path.join(dir, 'nginx.conf'), '-e', path.join(dir, 'logs/error.log')], { stdio: ['ignore', 'ignore', 'pipe'] });
  let err = '';
  proc.stderr!.setEncoding('utf8').on('data', (d: string) => { err += d; });
  const exited = new Promise<void>((resolve) => proc.once('exit', () => resolve()));
  const url = `http://127.0.0.1:${port}`;
  for (let i = 0; ; i++) {
    if (proc.exitCode !== null) throw new Error(`nginx exited: ${err}`);
    const ok = await new Promise<boolean>((resolve) => {
      const s = net.connect(port, '127.0.0.1', () => { s.destroy(); resolve(true); });
      s.on('error', () => resolve(false));
    });
    if (ok) break;
    if (i > 100) throw new Error(`nginx did not listen on ${port}: ${err}`);
    await new Promise((r) => setTimeout(r, 100));
  }
  return {
    url, proc, dir,
    stop: async () => {
      if (proc.exitCode === null) proc.kill('SIGQUIT');
      await exited;
    },
  };
}
