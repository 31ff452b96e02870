/**
 * `semgate keys create` as an operator runs it: a child process whose printed key, pasted
 * into api-keys.yaml as the printed entry, opens exactly its tenant's data through
 * `semgate query`; the entry stores only the key's hash; every run makes a new key; and
 * bad arguments exit non-zero with a message instead of printing a key.
 */
import { createHash } from 'node:crypto';
import { copyFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEMO } from '../http/xt-catalogs.ts';
import { semgate, type Run } from '../helpers/cli.ts';
import type { RawSql } from '../helpers/seed.ts';


interface Created { key: string; entry: string }

/** The key line and the YAML entry below "Paste under api_keys:". */
function parseCreated(out: string): Created {
  const key = /^New key \(shown once, store it now\): (\S+)$/m.exec(out)?.[1];
  expect(key, out).toBeDefined();
  const entry = out.slice(out.indexOf('Paste under api_keys:')).split('\n').slice(1).join('\n').trimEnd();
  expect(entry, out).toMatch(/^ {2}- key_hash: /);
  return { key: key!, entry };
}

const TOTALS = '{"dataset":"orders","metrics":["order_count","revenue"]}';
const CREATE = ['keys', 'create'];

const BAD_ARGS: [string, string[], RegExp][] = [
  ['a tenant with a space', ['--tenant', 'a b', '--role', 'analyst'], /--tenant/],
  ['no --role', ['--tenant', 'acme_corp'], /usage|--role/],
  ['--expires notadate', ['--tenant', 'acme_corp', '--role', 'analyst', '--expires', 'notadate'], /--expires/],
  ['a non-admin role without a tenant', ['--role', 'analyst'], /--tenant/],
  ['a tenant with YAML in it', ['--tenant', 'acme\n    role: admin', '--role', 'analyst'], /--tenant/],
];

describe('semgate keys create', () => {
  let dir: string;
  let raw: RawSql;
  let first: Created;
  let second: Created;
  let bad: Run[];
  let acme: [number, number];
  let globex: [number, number];

  /** A config dir with the demo's catalog and sources, and an api-keys.yaml of `entries` only. */
  const configWith = (name: string, ...entries: string[]): string => {
    const d = path.join(dir, name);
    mkdirSync(path.join(d, 'examples/demo'), { recursive: true });
    for (const f of ['catalog.yaml', 'sources.yaml', 'examples/demo/init.sql']) copyFileSync(f, path.join(d, f));
    writeFileSync(path.join(d, 'api-keys.yaml'), `api_keys:\n${entries.join('\n')}\n`);
    return d;
  };
  const totals = async (tenant: string): Promise<[number, number]> => {
    const [row] = await raw.query(`SELECT COUNT(*) AS n, SUM(amount) AS r FROM orders WHERE tenant_id = '${tenant}'`);
    return [Number(row!['n']), Number(row!['r'])];
  };

  beforeAll(async () => {
    dir = mkdtempSync(path.join(tmpdir(), 'sgxt-cli-'));
    // Every `keys create` of this file at once: each is a Node start-up of about a second.
    const analyst = [...CREATE, '--tenant', 'acme_corp', '--role', 'analyst'];
    let a: Run;
    let b: Run;
    [a, b, ...bad] = await Promise.all([
      semgate(...analyst, '--expires', '2030-01-01'),
      semgate(...analyst, '--expires', '2030-01-01'),
      ...BAD_ARGS.map(([, args]) => semgate(...CREATE, ...args)),
    ]);
    expect(a.code, a.stderr).toBe(0);
    expect(b.code, b.stderr).toBe(0);
    first = parseCreated(a.stdout);
    second = parseCreated(b.stdout);
    raw = (await DEMO.setup()).raw;
    [acme, globex] = await Promise.all([totals('acme_corp'), totals('globex_inc')]);
  });
  afterAll(async () => {
    await raw?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('prints a key and an entry that holds only its SHA-256, the tenant, the role and the expiry', () => {
    expect(first.key).toMatch(/^[\x21-\x7e]{32,}$/);
    const hash = createHash('sha256').update(first.key, 'utf8').digest('hex');
    expect(first.entry.split('\n').map((l) => l.trim())).toEqual([
      `- key_hash: "sha256:${hash}"`, 'tenant: acme_corp', 'role: analyst', 'expires_at: 2030-01-01T00:00:00.000Z',
    ]);
    expect(first.entry).not.toContain(first.key);
    for (const part of [first.key.slice(0, 12), first.key.slice(-12)]) expect(first.entry).not.toContain(part);
  });

  it('makes a different key every run', () => {
    expect(second.key).not.toBe(first.key);
    expect(second.entry).not.toBe(first.entry);
  });

  it('the printed key, with its entry in api-keys.yaml, answers the tenant\'s own numbers', async () => {
    const config = configWith('one', first.entry);
    const [mine, demoKey, otherNew] = await Promise.all([
      semgate('query', '--config', config, '--key', first.key, '--json', TOTALS),
      // Controls: a key not in this file, and a key made by the same command but not pasted.
      semgate('query', '--config', config, '--key', 'sk_demo_acme', '--json', TOTALS),
      semgate('query', '--config', config, '--key', second.key, '--json', TOTALS),
    ]);
    expect(mine.code, mine.stderr).toBe(0);
    const [[n, revenue]] = JSON.parse(mine.stdout).rows as [[number, number]];
    expect([n, revenue]).toEqual(acme);
    expect(acme).not.toEqual(globex);
    for (const refused of [demoKey, otherNew]) {
      expect(refused.code).not.toBe(0);
      expect(refused.stderr).toMatch(/401/);
      expect(refused.stdout).toBe('');
    }
  });

  it.each(BAD_ARGS.map(([label, , message], i) => [label, i, message] as const))('refuses %s: non-zero exit, a message, no key', (_, i, message) => {
    const run = bad[i]!;
    expect(run.code).not.toBe(0);
    expect(run.stderr).toMatch(message);
    expect(run.stdout).not.toMatch(/New key|key_hash/);
  });
});
