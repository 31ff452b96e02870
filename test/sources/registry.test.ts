import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SourceRegistry } from '../../src/sources/registry.ts';
import { requireServices, services } from '../helpers/services.ts';
import { gatewayError, makeSource, req } from './fixture.ts';

const service = await requireServices('postgres');
const { host, port, user, password } = services.postgres;
const TENANTS = ['a', 'b'] as const;
// Per process, so two runs sharing the server never drop each other's databases.
const PREFIX = `semgate_t${process.pid}_`;
const dbName = (t: string) => `${PREFIX}${t}`;

const tenantSource = makeSource(
  'postgres',
  { host, port, user, password, database: `${PREFIX}{tenant}` },
  { name: 'tenant_db', pool: { max: 2, idleTimeoutMs: 10_000, maxTenantPools: 1 } },
);
const downSource = makeSource('postgres', { host, port: 1, user, database: services.postgres.database }, { name: 'down' });

async function connectionsTo(admin: pg.Client, db: string): Promise<number> {
  const { rows } = await admin.query<{ n: number }>(
    'SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = $1',
    [db],
  );
  return rows[0]?.n ?? -1;
}

describe.skipIf(!service.ok)('source registry with a database per tenant (postgres)', () => {
  let admin: pg.Client;
  let registry: SourceRegistry;

  beforeAll(async () => {
    admin = new pg.Client(services.postgres);
    await admin.connect();
    for (const t of TENANTS) {
      const { rowCount } = await admin.query('SELECT 1 FROM pg_database WHERE datname = $1', [dbName(t)]);
      if (rowCount === 0) await admin.query(`CREATE DATABASE ${dbName(t)}`);
      const db = new pg.Client({ ...services.postgres, database: dbName(t) });
      await db.connect();
      await db.query('DROP TABLE IF EXISTS items');
      await db.query('CREATE TABLE items (label text)');
      await db.query('INSERT INTO items VALUES ($1)', [`rows of ${t}`]);
      await db.end();
    }
    registry = new SourceRegistry(new Map([[tenantSource.name, tenantSource], [downSource.name, downSource]]));
  });

  afterAll(async () => {
    await registry?.close();
    for (const t of TENANTS) await admin?.query(`DROP DATABASE IF EXISTS ${dbName(t)} WITH (FORCE)`);
    await admin?.end();
  });

  it("gives each tenant its own database, and closes the least recently used pool at the cap", async () => {
    const a = await registry.executor('tenant_db', 'a').run(req('SELECT label FROM items', ['string'], [], { tenant: 'a' }));
    expect(a.rows).toEqual([['rows of a']]);
    expect(await connectionsTo(admin, dbName('a'))).toBeGreaterThan(0);

    const b = await registry.executor('tenant_db', 'b').run(req('SELECT label FROM items', ['string'], [], { tenant: 'b' }));
    expect(b.rows).toEqual([['rows of b']]);
    expect(registry.stats()['tenant_db']?.pools).toBe(1);

    // maxTenantPools is 1: opening b drained and closed a's pool (asynchronously).
    let open = await connectionsTo(admin, dbName('a'));
    for (let i = 0; i < 40 && open > 0; i++) {
      await new Promise((r) => setTimeout(r, 50));
      open = await connectionsTo(admin, dbName('a'));
    }
    expect(open).toBe(0);
    await registry.ping('tenant_db');
  });

  it('refuses a per-tenant source without a tenant, and bad names', () => {
    expect(() => registry.executor('tenant_db', null)).toThrowError(
      expect.objectContaining({ status: 400, code: 'query.tenant_required', message: 'this dataset needs a tenant: send X-Tenant-Id' }),
    );
    expect(() => registry.executor('tenant_db', "a'; DROP DATABASE x")).toThrowError(expect.objectContaining({ status: 400 }));
    expect(() => registry.executor('nope', null)).toThrowError(
      expect.objectContaining({ status: 500, code: 'internal.unknown_source' }),
    );
  });

  it('answers 503 for an unreachable source, with no host or tenant in the message', async () => {
    const err = await gatewayError(registry.executor('down', null).run(req('SELECT 1', ['integer'])));
    expect(err).toMatchObject({ status: 503, code: 'source.unavailable', message: "Source 'down' is unavailable" });
    expect(err.message).not.toMatch(/127\.0\.0\.1|localhost|:1\b/);
    await expect(registry.ping('down')).rejects.toMatchObject({ status: 503 });
  });
});
