/**
 * Issue 13's hardening of the HTTP server: CORS off unless configured, header and request
 * timeouts against slow clients, X-Forwarded-* believed only from configured proxies.
 */
import { mkdtempSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { PassThrough } from 'node:stream';
import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { AuditLog } from '../../src/audit/index.ts';
import { StdoutSink } from '../../src/audit/sinks.ts';
import { startServer, serverLimitsFromEnv, type RunningServer } from '../../src/server.ts';
import { Gateway, stateFor } from '../../src/service/gateway.ts';
import { loadCatalog } from '../helpers/catalog.ts';
import { writeTinyConfig } from '../helpers/gateway-fixture.ts';

const config = writeTinyConfig((k) => `api_keys:
  - { key: "${k.a}", tenant: a, role: analyst }
`, ['a']);

let server: RunningServer | null = null;
let auditText: string[] = [];
afterEach(async () => {
  await server?.close();
  server = null;
  delete process.env.SEMGATE_CORS_ORIGINS;
});

async function start(limits: Partial<ReturnType<typeof serverLimitsFromEnv>> = {}): Promise<RunningServer> {
  auditText = [];
  const out = new PassThrough();
  out.on('data', (d: Buffer) => auditText.push(d.toString()));
  const logger = pino({ level: 'silent' });
  const audit = new AuditLog(new StdoutSink(out), path.join(mkdtempSync(path.join(tmpdir(), 'semgate-hard-')), 'spool'), logger);
  const gateway = new Gateway(stateFor(await loadCatalog(config.dir)), logger, { audit });
  server = await startServer({ configDir: config.dir, port: 0, host: '127.0.0.1', gateway, limits: { ...serverLimitsFromEnv({}), ...limits } });
  return server;
}

/** Writes `text` on a raw connection and collects what comes back until the server closes it. */
function raw(port: number, text: string): Promise<{ reply: string; ms: number }> {
  return new Promise((resolve, reject) => {
    const began = Date.now();
    let reply = '';
    const s = net.connect(port, '127.0.0.1', () => s.write(text));
    s.setEncoding('utf8').on('data', (d: string) => { reply += d; });
    s.on('error', reject);
    s.on('close', () => resolve({ reply, ms: Date.now() - began }));
    setTimeout(() => { s.destroy(); reject(new Error(`no close after 20 s; got: ${reply}`)); }, 20_000);
  });
}

describe('CORS', () => {
  it('is off by default: no Access-Control-* header, a preflight is not granted', async () => {
    const s = await start();
    const res = await fetch(`${s.url}/v1/datasets`, { headers: { origin: 'https://app.example.com', authorization: `Bearer ${config.keys.a!}` } });
    expect(res.status).toBe(200);
    expect(res.headers.get('access-control-allow-origin')).toBeNull();
    const pre = await fetch(`${s.url}/v1/query`, { method: 'OPTIONS', headers: { origin: 'https://app.example.com', 'access-control-request-method': 'POST' } });
    expect(pre.headers.get('access-control-allow-origin')).toBeNull();
    expect(pre.status).not.toBe(204); // no preflight grant (401: /v1 needs a key)
  });

  it('SEMGATE_CORS_ORIGINS allows exactly the origins it lists', async () => {
    process.env.SEMGATE_CORS_ORIGINS = 'https://app.example.com, https://bi.example.org';
    const s = await start();
    const pre = await fetch(`${s.url}/v1/query`, {
      method: 'OPTIONS', headers: { origin: 'https://bi.example.org', 'access-control-request-method': 'POST', 'access-control-request-headers': 'authorization,content-type' },
    });
    expect(pre.status).toBe(204);
    expect(pre.headers.get('access-control-allow-origin')).toBe('https://bi.example.org');
    expect(pre.headers.get('access-control-allow-methods')).toContain('POST');
    expect(pre.headers.get('access-control-allow-headers')?.toLowerCase()).toContain('authorization');
    expect(pre.headers.get('access-control-allow-credentials')).toBeNull(); // keys travel in headers, never cookies
    const res = await fetch(`${s.url}/v1/query`, {
      method: 'POST', body: JSON.stringify({ dataset: 'sales', metrics: ['n'] }),
      headers: { origin: 'https://app.example.com', authorization: `Bearer ${config.keys.a!}`, 'content-type': 'application/json' },
    });
    expect(res.status).toBe(200);
    expect(res.headers.get('access-control-allow-origin')).toBe('https://app.example.com');
    expect(res.headers.get('access-control-expose-headers')).toContain('X-Request-Id');
    expect(res.headers.get('x-request-id')).not.toBeNull();
    expect(((await res.json()) as { rows: unknown[][] }).rows).toEqual([[50]]); // tenant a's rows only
    const other = await fetch(`${s.url}/v1/datasets`, { headers: { origin: 'https://evil.example.net', authorization: `Bearer ${config.keys.a!}` } });
    expect(other.headers.get('access-control-allow-origin')).toBeNull();
  });
});

describe('slow clients', () => {
  it('headers not sent in time: 408 problem+json and the connection closed', async () => {
    const s = await start({ headersTimeoutMs: 1000, requestTimeoutMs: 2000 });
    const { reply } = await raw(s.port, 'GET /health HTTP/1.1\r\nHost: x\r\nX-Slow: ');
    expect(reply).toMatch(/^HTTP\/1\.1 408 /);
    expect(reply).toContain('application/problem+json');
    expect(reply).toContain('request-timeout');
  });

  it('a body not sent in time: 408, the request never reaches a handler', async () => {
    const s = await start({ headersTimeoutMs: 1000, requestTimeoutMs: 2000 });
    const { reply } = await raw(s.port, `POST /v1/query HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${config.keys.a!}\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{"dataset":`);
    expect(reply).toMatch(/^HTTP\/1\.1 408 /);
    expect(reply).not.toContain('"rows"');
  });

  it('the limits come from the environment, and a bad value is refused by name', () => {
    expect(serverLimitsFromEnv({ SEMGATE_HEADERS_TIMEOUT_MS: '5000', SEMGATE_DRAIN_TIMEOUT_MS: '1' })).toMatchObject({ headersTimeoutMs: 5000, drainTimeoutMs: 1, requestTimeoutMs: 30_000 });
    expect(() => serverLimitsFromEnv({ SEMGATE_REQUEST_TIMEOUT_MS: '30s' })).toThrow(/SEMGATE_REQUEST_TIMEOUT_MS/);
  });
});

describe('X-Forwarded-*', () => {
  it('is ignored from a peer that is not a configured proxy (the audit keeps the real address)', async () => {
    const s = await start();
    const res = await fetch(`${s.url}/v1/datasets`, { headers: { authorization: `Bearer ${config.keys.a!}`, 'x-forwarded-for': '203.0.113.9', 'x-forwarded-host': 'evil.example', 'x-forwarded-proto': 'https' } });
    expect(res.status).toBe(200);
    const odata = await fetch(`${s.url}/odata/`, { headers: { authorization: `Bearer ${config.keys.a!}`, 'x-forwarded-host': 'evil.example', 'x-forwarded-proto': 'https' } });
    expect(odata.status).toBe(200);
    expect(await odata.text()).not.toContain('evil.example');
    await s.gateway.audit.flush();
    const lines = auditText.join('').split('\n').filter(Boolean).map((l) => JSON.parse(l) as { client_ip: string });
    expect(lines.length).toBeGreaterThanOrEqual(2);
    for (const l of lines) expect(l.client_ip).toBe('127.0.0.1');
  });
});
