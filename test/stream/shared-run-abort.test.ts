/**
 * Identical queries in flight share one run (single flight). When the client whose request
 * started that run goes away, the run stops in the database, but the others that waited
 * for it are still connected: each must get its answer, not the first client's 499.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pino } from 'pino';
import { afterAll, describe, expect, it } from 'vitest';
import { createApp } from '../../src/app.ts';
import { Gateway, stateFor } from '../../src/service/gateway.ts';
import { loadCatalog } from '../helpers/catalog.ts';

const KEY = 'sk_shared_run_tenant_a_0123456789';

function config(): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'semgate-shared-run-'));
  writeFileSync(path.join(dir, 'sources.yaml'), `sources:
  - name: duck
    type: duckdb
    connection: { path: ":memory:" }
    pool: { max: 4 }
    init_sql: "CREATE TABLE items AS SELECT i AS id, CASE WHEN i % 2 = 0 THEN 'a' ELSE 'b' END AS tenant_id, 'n' || i AS note FROM range(1, 1001) r(i)"
`);
  // Slow before its first row (a second or so of work), then a few rows of the tenant's.
  writeFileSync(path.join(dir, 'catalog.yaml'), `datasets:
  - name: slow_duck
    source: duck
    sql: "SELECT i0.id AS id, i0.tenant_id AS tenant_id, i0.note AS note FROM items i0, (SELECT count(*) AS c FROM range(1, 100000000) WHERE random() < 2) x WHERE i0.tenant_id = {tenant_id} AND i0.id < 10"
    rls: { tenant_column: tenant_id }
    cache: { ttl: 60 }
    limits: { timeout_ms: 120000 }
    dimensions:
      - { name: id, type: number }
      - { name: note, type: string }
      - { name: tenant, type: string, expr: tenant_id }
    metrics:
      - { name: n, type: integer, expr: "COUNT(*)" }
`);
  writeFileSync(path.join(dir, 'api-keys.yaml'), `api_keys:
  - { key: "${KEY}", tenant: a, role: analyst, rate_limit: "100000/minute" }
`);
  return dir;
}

describe('a shared run whose first client leaves', async () => {
  const gateway = new Gateway(stateFor(await loadCatalog(config())), pino({ level: 'silent' }));
  const app = createApp(gateway);
  afterAll(async () => { await gateway.close(); });

  it('still answers the clients that waited for it, with their own tenant rows', async () => {
    const body = JSON.stringify({ dataset: 'slow_duck', dimensions: ['id', 'tenant'], limit: 100 });
    const headers = { authorization: `Bearer ${KEY}`, 'content-type': 'application/json' };
    const leaver = new AbortController();
    const first = Promise.resolve(app.request('/v1/query', { method: 'POST', body, headers, signal: leaver.signal })).then((r) => r.status, () => 'aborted');
    await new Promise((r) => setTimeout(r, 150));
    const second = app.request('/v1/query', { method: 'POST', body, headers });
    await new Promise((r) => setTimeout(r, 150));
    leaver.abort();
    const res = await second;
    expect(await first).not.toBe(200);
    const text = await res.text();
    expect(res.status, text).toBe(200);
    const json = JSON.parse(text) as { rows: [number, string][] };
    expect(json.rows.map((r) => r[0]).sort((x, y) => x - y)).toEqual([2, 4, 6, 8]);
    expect(json.rows.every((r) => r[1] === 'a')).toBe(true);
  }, 120_000);
});
