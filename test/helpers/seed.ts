/**
 * Test data, the same rows on every engine and in every tenant layout. Values are derived
 * from the row number, so a hand-written SQL answer can be computed on any engine.
 * Tenants get disjoint value ranges (order ids and amounts), so a leaked row shows up in
 * any sum or count.
 */
import { DuckDBInstance, type DuckDBConnection } from '@duckdb/node-api';
import mysql from 'mysql2/promise';
import pg from 'pg';
import { services } from './services.ts';

export interface OrderRow {
  order_id: number;
  tenant_id: string;
  region: string | null;
  channel: string;
  status: string;
  note: string;
  order_date: string; // YYYY-MM-DD
  ordered_at: string; // YYYY-MM-DD HH:MM:SS
  amount: string; // exact decimal text, 2 places
  quantity: number;
  discount: string | null;
  is_promo: boolean;
}

const REGIONS = ['EU', 'US', 'APAC', 'LATAM', null] as const;
const CHANNELS = ['web', 'store', 'partner'];
const STATUSES = ['completed', 'returned', 'cancelled'];
// Strings that trip naive LIKE or quoting: %, _, \, quotes, unicode.
const NOTES = ['plain', '50% off', 'snake_case', "O'Brien", 'back\\slash', 'Ünïcödé', 'MiXeD Case', ''];

/** `perTenant` rows for each tenant; tenant k has order ids k*1e6+i and amounts k*1e5+... */
export function generateOrders(tenants: readonly string[], perTenant: number): OrderRow[] {
  const rows: OrderRow[] = [];
  tenants.forEach((tenant, k) => {
    for (let i = 1; i <= perTenant; i++) {
      const n = k * 7 + i;
      const day = (i * 37 + k * 11) % 731; // two years
      const date = new Date(Date.UTC(2024, 0, 1) + day * 86_400_000);
      const secs = (i * 3607 + k * 13) % 86_400;
      const ts = new Date(date.getTime() + secs * 1000);
      const cents = (k + 1) * 10_000_000 + ((i * 7919) % 500_000);
      rows.push({
        order_id: (k + 1) * 1_000_000 + i,
        tenant_id: tenant,
        region: REGIONS[n % REGIONS.length]!,
        channel: CHANNELS[(i * 5 + k) % CHANNELS.length]!,
        status: STATUSES[i % 7 === 0 ? 1 : i % 11 === 0 ? 2 : 0]!,
        note: NOTES[i % NOTES.length]!,
        order_date: date.toISOString().slice(0, 10),
        ordered_at: ts.toISOString().slice(0, 19).replace('T', ' '),
        amount: (cents / 100).toFixed(2),
        quantity: 1 + ((i * 3 + k) % 9),
        discount: i % 6 === 0 ? null : (((i * 13) % 30) / 100).toFixed(2),
        is_promo: i % 4 === 0,
      });
    }
  });
  return rows;
}

export type Engine = 'postgres' | 'mysql' | 'duckdb';

/** A SQL string literal for test seeding only (values are ours, not a request's). */
function lit(engine: Engine, v: string | number | boolean | null): string {
  if (v === null) return 'NULL';
  if (typeof v === 'number') return String(v);
  if (typeof v === 'boolean') return v ? 'TRUE' : 'FALSE';
  const s = engine === 'mysql' ? v.replace(/\\/g, '\\\\') : v;
  return `'${s.replace(/'/g, "''")}'`;
}

export function ordersDdl(engine: Engine, table: string, withTenant: boolean): string {
  const ts = engine === 'mysql' ? 'DATETIME' : 'TIMESTAMP';
  const text = engine === 'mysql' ? 'VARCHAR(64)' : 'VARCHAR';
  return `CREATE TABLE ${table} (
    order_id BIGINT NOT NULL PRIMARY KEY,
    ${withTenant ? `tenant_id ${text} NOT NULL,` : ''}
    region ${text}, channel ${text} NOT NULL, status ${text} NOT NULL, note ${text} NOT NULL,
    order_date DATE NOT NULL, ordered_at ${ts} NOT NULL,
    amount DECIMAL(14,2) NOT NULL, quantity INTEGER NOT NULL, discount DECIMAL(4,2), is_promo BOOLEAN NOT NULL
  )${engine === 'mysql' ? ' CHARACTER SET utf8mb4 COLLATE utf8mb4_bin' : ''}`;
}

/** INSERT statements of at most 500 rows each. */
export function ordersInserts(engine: Engine, table: string, rows: readonly OrderRow[], withTenant: boolean): string[] {
  const out: string[] = [];
  for (let i = 0; i < rows.length; i += 500) {
    const values = rows.slice(i, i + 500).map((r) => {
      const cols: (string | number | boolean | null)[] = [r.order_id];
      if (withTenant) cols.push(r.tenant_id);
      cols.push(r.region, r.channel, r.status, r.note, r.order_date, r.ordered_at, r.amount, r.quantity, r.discount, r.is_promo);
      return `(${cols.map((c, j) => (j >= cols.length - 4 && j <= cols.length - 2 && typeof c === 'string' ? c : lit(engine, c))).join(', ')})`;
    });
    const cols = `order_id, ${withTenant ? 'tenant_id, ' : ''}region, channel, status, note, order_date, ordered_at, amount, quantity, discount, is_promo`;
    out.push(`INSERT INTO ${table} (${cols}) VALUES ${values.join(',\n')}`);
  }
  return out;
}

/** Runs statements one by one on a raw connection of the engine. */
export interface RawSql {
  exec(statement: string): Promise<void>;
  query(statement: string): Promise<Record<string, unknown>[]>;
  close(): Promise<void>;
}

/** A connection to `database` (default: the configured test database) as `services.postgres` says. */
export async function rawPostgres(database: string = services.postgres.database): Promise<RawSql> {
  const client = new pg.Client({ ...services.postgres, database });
  await client.connect();
  // One at a time, queued here: pg 8 warns (and pg 9 will refuse) when a client is asked a
  // second query before the first is answered, which concurrent test workers do.
  let tail: Promise<unknown> = Promise.resolve();
  const one = <T>(run: () => Promise<T>): Promise<T> => {
    const next = tail.then(run, run);
    tail = next.catch(() => undefined);
    return next;
  };
  return {
    exec: (s) => one(async () => { await client.query(s); }),
    query: (s) => one(async () => (await client.query(s)).rows as Record<string, unknown>[]),
    close: () => one(() => client.end()),
  };
}

/** A connection to `database` (default: the configured test database) as `services.mysql` says. */
export async function rawMysql(database: string = services.mysql.database): Promise<RawSql> {
  const conn = await mysql.createConnection({
    ...services.mysql, database,
    dateStrings: true, supportBigNumbers: true, bigNumberStrings: true, decimalNumbers: false, timezone: 'Z',
  });
  return {
    exec: async (s) => { await conn.query(s); },
    query: async (s) => (await conn.query(s))[0] as Record<string, unknown>[],
    close: () => conn.end(),
  };
}

export async function rawDuckdb(path: string): Promise<RawSql & { connection: DuckDBConnection }> {
  const instance = await DuckDBInstance.create(path);
  const connection = await instance.connect();
  return {
    connection,
    exec: async (s) => { await connection.run(s); },
    query: async (s) => (await connection.runAndReadAll(s)).getRowObjectsJson() as Record<string, unknown>[],
    close: async () => { connection.closeSync(); instance.closeSync(); },
  };
}

/** Creates `table` (dropping an old one) and fills it. */
export async function seedOrders(db: RawSql, engine: Engine, table: string, rows: readonly OrderRow[], withTenant: boolean): Promise<void> {
  await db.exec(`DROP TABLE IF EXISTS ${table}`);
  await db.exec(ordersDdl(engine, table, withTenant));
  for (const stmt of ordersInserts(engine, table, rows, withTenant)) await db.exec(stmt);
}
