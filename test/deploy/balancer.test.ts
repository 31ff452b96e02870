/**
 * Issue 13's balancer acceptance: three `semgate serve` processes behind a real nginx,
 * sharing Redis and PostgreSQL. A tenant's rate limit holds across the replicas, a result
 * cached by one is a hit on another, /v1/admin/usage agrees on all, and a replica killed
 * with SIGKILL mid-load loses no audit line of a request it answered while nginx's retry
 * leaves the clients without a single error.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rawPostgres } from '../helpers/seed.ts';
import { requireServices } from '../helpers/services.ts';
import { nginxPath, prepareRun, startNginx, startReplica, type Balancer, type DeployRun, type Replica } from './harness.ts';

const svc = await requireServices('postgres', 'redis');
const nginx = nginxPath();
if (!nginx) {
  if (process.env.SEMGATE_REQUIRE_SERVICES === '1') throw new Error('test/deploy/balancer.test.ts needs nginx (apt-get install nginx-light; scripts/services.sh installs it)');
  console.warn('SKIPPED: test/deploy/balancer.test.ts needs nginx (apt-get install nginx-light, or `npm run services` as root)');
}

interface Answer { status: number; id: string | null; body: any; cache: string | null }

async function send(base: string, key: string, method: 'GET' | 'POST', route: string, body?: unknown, headers: Record<string, string> = {}): Promise<Answer> {
  const res = await fetch(`${base}${route}`, {
    method,
    headers: { authorization: `Bearer ${key}`, ...(body !== undefined && { 'content-type': 'application/json' }), ...headers },
    ...(body !== undefined && { body: JSON.stringify(body) }),
  });
  const text = await res.text();
  let parsed: unknown = text;
  try { parsed = JSON.parse(text); } catch { /* text */ }
  return { status: res.status, id: res.headers.get('x-request-id'), body: parsed, cache: res.headers.get('x-cache') };
}

describe.skipIf(!svc.ok || !nginx)('three replicas behind nginx, sharing Redis and PostgreSQL', () => {
  let run: DeployRun;
  let replicas: Replica[] = [];
  let lb: Balancer;

  beforeAll(async () => {
    run = await prepareRun();
    replicas = await Promise.all([0, 1, 2].map((i) => startReplica({ ...run.env, SGD_SPOOL: path.join(run.dir, `spool-${i}.jsonl`) })));
    lb = await startNginx(nginx!, replicas.map((r) => r.port));
  }, 120_000);

  afterAll(async () => {
    for (const r of replicas) if (r.proc.exitCode === null && r.proc.signalCode === null) r.proc.kill('SIGKILL');
    await Promise.all(replicas.map((r) => r.exited));
    await lb?.stop();
    await run?.drop();
  }, 60_000);

  it('a tenant\'s rate limit holds across the replicas (5/minute: five answers in all, then 429 everywhere)', async () => {
    const statuses: number[] = [];
    for (let i = 0; i < 9; i++) statuses.push((await send(replicas[i % 3]!.url, run.keys.b, 'GET', '/v1/datasets')).status);
    expect(statuses.filter((s) => s === 200)).toHaveLength(5);
    expect(statuses.slice(5)).toEqual([429, 429, 429, 429]);
    expect((await send(lb.url, run.keys.b, 'GET', '/v1/datasets')).status).toBe(429);
    // Another tenant's key is not touched by it.
    expect((await send(lb.url, run.keys.a, 'GET', '/v1/datasets')).status).toBe(200);
  });

  it('a result cached by one replica is a hit on another, and holds only its tenant\'s rows', async () => {
    const query = { dataset: 'orders', dimensions: ['region'], metrics: ['revenue', 'order_count'], order_by: [{ field: 'region', direction: 'asc' }] };
    const first = await send(replicas[0]!.url, run.keys.a, 'POST', '/v1/query', query);
    expect(first.status).toBe(200);
    expect(first.cache).toBe('MISS');
    for (const r of [replicas[1]!, replicas[2]!]) {
      const again = await send(r.url, run.keys.a, 'POST', '/v1/query', query);
      expect(again.status).toBe(200);
      expect(again.cache).toBe('HIT');
      expect(again.body.rows).toEqual(first.body.rows);
    }
    // Tenant a owns ids 1..30 (amount 10 x id): 30 orders, 4650 in all; nobody else's rows.
    const rows = first.body.rows as [string, number, number][];
    expect(rows.reduce((n, r) => n + Number(r[2]), 0)).toBe(30);
    expect(rows.reduce((n, r) => n + Number(r[1]), 0)).toBe(4650);
    // Tenant b's cached answer to the very same query is its own (ids 31..51: 21 orders), not a's.
    const b = await send(replicas[1]!.url, run.keys.b, 'POST', '/v1/query', query);
    if (b.status === 200) expect((b.body.rows as [string, number, number][]).reduce((n, r) => n + Number(r[2]), 0)).toBe(21);
    else expect(b.status).toBe(429); // b's 5/minute was spent by the test above
    const bAdmin = await send(replicas[2]!.url, run.keys.admin, 'POST', '/v1/query', query, { 'X-Tenant-Id': run.tenants.b });
    expect(bAdmin.status).toBe(200);
    expect((bAdmin.body.rows as [string, number, number][]).reduce((n, r) => n + Number(r[2]), 0)).toBe(21);
  });

  it('/v1/admin/usage agrees on every replica', async () => {
    const mine = (body: any): unknown[] => (body.tenants as { tenant: string }[])
      .filter((t) => t.tenant === run.tenants.a || t.tenant === run.tenants.b)
      .sort((x, y) => x.tenant.localeCompare(y.tenant));
    const answers = await Promise.all(replicas.map((r) => send(r.url, run.keys.admin, 'GET', '/v1/admin/usage')));
    for (const a of answers) expect(a.status).toBe(200);
    const first = mine(answers[0]!.body);
    expect(first.length).toBe(2);
    for (const a of answers.slice(1)) expect(mine(a.body)).toEqual(first);
    // And it counted the cross-replica traffic above: a's three queries, two of them hits.
    expect(first[0]).toMatchObject({ tenant: run.tenants.a, queries_today: 3, cache_hit_rate: 0.667 });
    // b's refusals on every replica and through nginx: 4 + 1 (+ 1 for its query above, within the minute).
    expect(first[1]).toMatchObject({ tenant: run.tenants.b });
    expect((first[1] as { rate_limit_hits: number }).rate_limit_hits).toBeGreaterThanOrEqual(5);
  });

  it('a replica killed with SIGKILL mid-load: no error for any client, no lost audit line of what it answered', async () => {
    const victim = replicas[1]!;
    const answers: Answer[] = [];
    let stop = false;
    let n = 0;
    // Eight clients through nginx; each query misses the cache, so it is in flight a while.
    const client = async (): Promise<void> => {
      while (!stop) {
        const i = n++;
        const query = { dataset: 'orders', dimensions: ['region'], metrics: ['revenue'], filters: [{ field: 'id', op: 'gt', values: [i % 60] }] };
        answers.push(await send(lb.url, run.keys.a, 'POST', '/v1/query', query, { 'Cache-Control': 'no-cache' }));
      }
    };
    const clients = Array.from({ length: 8 }, () => client());
    await new Promise((r) => setTimeout(r, 1500));
    victim.proc.kill('SIGKILL');
    const died = await victim.exited;
    expect(died.signal).toBe('SIGKILL');
    await new Promise((r) => setTimeout(r, 1500));
    stop = true;
    await Promise.all(clients);

    expect(answers.length).toBeGreaterThan(20);
    expect(answers.filter((a) => a.status !== 200).map((a) => `${a.status} ${JSON.stringify(a.body).slice(0, 200)}`)).toEqual([]);

    // Which replica answered which request id, from nginx's log: the victim answered some.
    const log = readFileSync(path.join(lb.dir, 'logs/access.log'), 'utf8').split('\n').filter(Boolean);
    // `status addr[, addr...] upstream_status[, ...] request_id`: the last address answered.
    const byVictim = log.map((l) => l.split(' ')).filter((f) => {
      const k = (f.length - 2) / 2;
      return f[0] === '200' && f[k]!.replace(',', '') === `127.0.0.1:${victim.port}` && f[2 * k] === '200';
    }).map((f) => f.at(-1)!);
    const ids = new Set(answers.map((a) => a.id));
    const victimAnswered = byVictim.filter((id) => ids.has(id));
    expect(victimAnswered.length).toBeGreaterThan(0);

    // Every answered request has its audit line in the shared table, the victim's included.
    const db = await rawPostgres();
    try {
      const stored = new Set((await db.query(`SELECT request_id FROM ${run.auditTable}`)).map((r) => String(r.request_id)));
      const missing = answers.map((a) => a.id!).filter((id) => !stored.has(id));
      expect(missing).toEqual([]);
      expect(victimAnswered.every((id) => stored.has(id))).toBe(true);
    } finally {
      await db.close();
    }
  }, 60_000);
});
