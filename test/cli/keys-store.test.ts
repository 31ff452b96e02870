/**
 * `semgate keys init|create|list|rotate|revoke` against a key store, as an operator runs
 * them (child processes): the created key works through a gateway over the same table,
 * the list shows no secret, a rotated key is replaced, a revoked one refused; bad ids exit
 * non-zero with a message.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { semgate } from '../helpers/cli.ts';
import { startTestServer, type TestServer } from '../helpers/http.ts';
import { requireServices } from '../helpers/services.ts';
import { dropStoreTable, writeAuthConfig, type AuthConfig } from '../auth/fixture.ts';

const pg = await requireServices('postgres');

describe.skipIf(!pg.ok)('semgate keys with a key store', () => {
  let cfg: AuthConfig;
  let s: TestServer;
  beforeAll(async () => {
    cfg = writeAuthConfig({ tag: 'cli' });
    const init = await semgate('keys', 'init', '--config', cfg.dir);
    expect(init.code, init.stderr).toBe(0);
    expect((await semgate('keys', 'init', '--config', cfg.dir)).code).toBe(0); // idempotent
    s = await startTestServer(cfg.dir);
  });
  afterAll(async () => {
    await s?.close();
    if (cfg) await dropStoreTable(cfg.table);
  });

  it('create, list, rotate, revoke', async () => {
    const created = await semgate('keys', 'create', '--config', cfg.dir, '--tenant', 'globex', '--role', 'analyst', '--description', 'cli test', '--json');
    expect(created.code, created.stderr).toBe(0);
    const made = JSON.parse(created.stdout) as { id: string; key: string; tenant: string };
    expect(made.tenant).toBe('globex');
    const q = (key: string) => s.req('POST', '/v1/query', { key, body: { dataset: 'sales', metrics: ['n'] } });
    expect((await q(made.key)).status).toBe(200);

    const list = await semgate('keys', 'list', '--config', cfg.dir, '--tenant', 'globex');
    expect(list.code, list.stderr).toBe(0);
    expect(list.stdout).toContain(made.id);
    expect(list.stdout).toContain('cli test');
    expect(list.stdout).not.toContain(made.key);

    const rotated = await semgate('keys', 'rotate', made.id, '--config', cfg.dir, '--grace', '0', '--json');
    expect(rotated.code, rotated.stderr).toBe(0);
    const next = JSON.parse(rotated.stdout) as { key: string; id: string; replaces: string };
    expect(next.replaces).toBe(made.id);
    expect((await q(next.key)).status).toBe(200);

    const revoked = await semgate('keys', 'revoke', next.id, '--config', cfg.dir);
    expect(revoked.code, revoked.stderr).toBe(0);
    expect(revoked.stdout).toContain(`Key ${next.id} revoked.`);
    // This gateway cached the key: it learns of the revocation within cache_ttl, or at once
    // through Redis; a fresh lookup (a new gateway) refuses it now.
    const fresh = await startTestServer(cfg.dir);
    try {
      expect((await fresh.req('POST', '/v1/query', { key: next.key, body: { dataset: 'sales', metrics: ['n'] } })).status).toBe(401);
    } finally {
      await fresh.close();
    }
  });

  it('refuses bad arguments with a message and a non-zero exit', async () => {
    for (const args of [['revoke', 'nope'], ['rotate', 'k_000000000000'], ['create', '--tenant', 'acme', '--role', 'admin'], ['rotate', 'k_000000000000', '--grace', '-5']]) {
      const r = await semgate('keys', ...args, '--config', cfg.dir);
      expect(r.code, args.join(' ')).not.toBe(0);
      expect(r.stderr, args.join(' ')).toMatch(/error/);
    }
  });
});
