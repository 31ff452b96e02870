/**
 * The example catalogs of the cross-tenant test, each with the raw SQL that answers a
 * dataset for one tenant without the gateway: the FROM item of that tenant's rows (a WHERE
 * on the tenant column, the tenant's schema, or the tenant's database), and every
 * dimension and metric written again by hand from catalog.yaml.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import mysql from 'mysql2/promise';
import { rawDuckdb, rawMysql, rawPostgres, type RawSql } from '../helpers/seed.ts';
import { services } from '../helpers/services.ts';
import type { XtEngine } from './xt-oracle.ts';

export interface XtTenant {
  readonly id: string;
  /** Demo keys (README), one per role worth covering; all of this tenant. */
  readonly keys: readonly string[];
  /** What must never reach another tenant: the id, and its schema or database name. */
  readonly names: readonly string[];
}

export interface XtDataset {
  /** The FROM item of tenant `t`'s rows (ignored for a global dataset). */
  from(t: XtTenant): string;
  readonly global?: boolean;
  /** Raw expressions of dimensions whose catalog `expr` is not their column name. */
  readonly dims?: Readonly<Record<string, string>>;
  readonly metrics: Readonly<Record<string, string>>;
  /** Dimensions whose values tell tenants apart (ids, names). */
  readonly discriminating: readonly string[];
  /** Metrics computed across joined datasets, with where they are tested instead. */
  readonly acrossJoins?: Readonly<Record<string, string>>;
}

export interface XtRuntime {
  readonly env: NodeJS.ProcessEnv;
  /** The same config with its database unreachable (a closed port), for 503s. */
  readonly downEnv?: NodeJS.ProcessEnv;
  readonly raw: RawSql;
  close(): Promise<void>;
}

export interface XtCatalog {
  readonly dir: string;
  readonly engine: XtEngine;
  readonly tenants: readonly XtTenant[];
  readonly datasets: Readonly<Record<string, XtDataset>>;
  readonly services: readonly ('postgres' | 'mysql')[];
  setup(): Promise<XtRuntime>;
}

const pid = process.pid;
const CLOSED_PORT = '1';
const AOV = 'SUM(amount) / NULLIF(COUNT(*), 0)';
const ORDER_METRICS = { revenue: 'SUM(amount)', order_count: 'COUNT(*)', units: 'SUM(quantity)', avg_order_value: AOV };
const COUNTRIES: Omit<XtDataset, 'from'> = {
  global: true, metrics: { country_count: 'COUNT(*)' }, discriminating: [],
};
const q = (s: string): string => `'${s}'`;

/** PostgreSQL seeds create their database and `\connect` to it: we run what follows in our own. */
async function seedPostgres(dir: string, db: string): Promise<{ raw: RawSql; close(): Promise<void> }> {
  const [, body] = readFileSync(path.join(dir, 'seed.sql'), 'utf8').split(/^\\connect \w+$/m);
  const admin = await rawPostgres();
  await admin.exec(`DROP DATABASE IF EXISTS ${db}`);
  await admin.exec(`CREATE DATABASE ${db}`);
  const raw = await rawPostgres(db);
  await raw.exec(body!);
  return {
    raw,
    close: async () => {
      await raw.close();
      await admin.exec(`DROP DATABASE IF EXISTS ${db} WITH (FORCE)`);
      await admin.close();
    },
  };
}

export const DEMO: XtCatalog = {
  dir: '.', engine: 'duckdb', services: [],
  tenants: [
    { id: 'acme_corp', keys: ['sk_demo_acme'], names: ['acme_corp'] },
    { id: 'globex_inc', keys: ['sk_demo_globex'], names: ['globex_inc'] },
    { id: 'initech', keys: ['sk_demo_initech'], names: ['initech'] },
  ],
  datasets: {
    orders: {
      from: (t) => `(SELECT * FROM orders WHERE tenant_id = ${q(t.id)})`,
      metrics: { ...ORDER_METRICS, customers: 'COUNT(DISTINCT customer_id)', avg_discount: 'AVG(discount)' },
      discriminating: ['order_id'],
      acrossJoins: { refund_rate: 'refunds over revenue: test/joins and test/isolation/joins-*' },
    },
    customers: {
      from: (t) => `(SELECT * FROM customers WHERE tenant_id = ${q(t.id)})`,
      metrics: { customer_count: 'COUNT(*)' }, discriminating: ['customer_id', 'customer_name'],
    },
    countries: { ...COUNTRIES, from: () => 'countries', metrics: { population: 'SUM(population_millions)', country_count: 'COUNT(*)' } },
    refunds: {
      from: (t) => `(SELECT * FROM refunds WHERE tenant_id = ${q(t.id)})`,
      metrics: { refunded: 'SUM(amount)', refund_count: 'COUNT(*)' }, discriminating: ['refund_id'],
    },
  },
  async setup() {
    // The same init.sql in a DuckDB of our own: an answer the gateway's instance never touched.
    const raw = await rawDuckdb(':memory:');
    await raw.exec(readFileSync('examples/demo/init.sql', 'utf8'));
    return { env: {}, raw, close: () => raw.close() };
  },
};

const sharedDb = `sgxt_shared_${pid}`;
export const SHARED: XtCatalog = {
  dir: 'examples/shared-postgres', engine: 'postgres', services: ['postgres'],
  tenants: [
    { id: 'acme', keys: ['sk_shared_acme_analyst', 'sk_shared_acme_finance'], names: ['acme'] },
    { id: 'globex', keys: ['sk_shared_globex_analyst'], names: ['globex'] },
    { id: 'initech', keys: ['sk_shared_initech_viewer'], names: ['initech'] },
  ],
  datasets: {
    orders: {
      from: (t) => `(SELECT * FROM public.orders WHERE tenant_id = ${q(t.id)})`,
      dims: { has_discount: 'discount IS NOT NULL' },
      metrics: {
        ...ORDER_METRICS, cost: 'SUM(cost)', margin: 'SUM(amount) - SUM(cost)',
        margin_pct: '100 * (SUM(amount) - SUM(cost)) / NULLIF(SUM(amount), 0)',
      },
      discriminating: ['order_id'],
    },
    customers: {
      from: (t) => `(SELECT * FROM public.customers WHERE tenant_id = ${q(t.id)})`,
      metrics: { customer_count: 'COUNT(*)' }, discriminating: ['customer_id', 'customer_name'],
    },
    countries: { ...COUNTRIES, from: () => 'public.countries' },
  },
  async setup() {
    const { raw, close } = await seedPostgres(this.dir, sharedDb);
    return { env: { ...process.env, SHARED_DB: sharedDb }, downEnv: { ...process.env, SHARED_DB: sharedDb, PGPORT: CLOSED_PORT }, raw, close };
  },
};

const schemaDb = `sgxt_schema_${pid}`;
const SALES_METRICS = { revenue: 'SUM(amount)', units: 'SUM(quantity)', product_cost: 'SUM(quantity * unit_cost)', gross_margin: 'SUM(amount) - SUM(quantity * unit_cost)' };
const salesFrom = (orders: string, products: string): string =>
  `(SELECT o.order_date, o.quantity, o.amount, p.product_name, p.category, p.unit_cost FROM ${orders} o JOIN ${products} p ON p.product_id = o.product_id)`;

export const SCHEMA: XtCatalog = {
  dir: 'examples/schema-postgres', engine: 'postgres', services: ['postgres'],
  tenants: [
    { id: 'acme', keys: ['sk_schema_acme_manager'], names: ['acme', 'tenant_acme'] },
    { id: 'globex', keys: ['sk_schema_globex_analyst'], names: ['globex', 'tenant_globex'] },
    { id: 'initech', keys: ['sk_schema_initech_viewer'], names: ['initech'] },
  ],
  datasets: {
    // No id column here: the order timestamps differ between the tenants' generated rows.
    orders: { from: (t) => `${t.names.at(-1)}.orders`, metrics: ORDER_METRICS, discriminating: ['ordered_at'] },
    products: { from: (t) => `${t.names.at(-1)}.products`, metrics: { product_count: 'COUNT(*)' }, discriminating: ['product_name'] },
    sales: {
      from: (t) => salesFrom(`${t.names.at(-1)}.orders`, `${t.names.at(-1)}.products`),
      metrics: SALES_METRICS, discriminating: ['product_name'],
    },
    fx_rates: { global: true, from: () => 'public.fx_rates', metrics: { eur_per_unit: 'MAX(eur_per_unit)' }, discriminating: [] },
  },
  async setup() {
    const { raw, close } = await seedPostgres(this.dir, schemaDb);
    return { env: { ...process.env, SCHEMAS_DB: schemaDb }, downEnv: { ...process.env, SCHEMAS_DB: schemaDb, PGPORT: CLOSED_PORT }, raw, close };
  },
};

const myPrefix = `sgxt_${pid}_`;
export const DATABASE: XtCatalog = {
  dir: 'examples/database-mariadb', engine: 'mysql', services: ['mysql'],
  tenants: ['acme', 'globex', 'initech'].map((id) => ({
    id, keys: [{ acme: 'sk_db_acme_analyst', globex: 'sk_db_globex_manager', initech: 'sk_db_initech_viewer' }[id]!], names: [id, `${myPrefix}${id}`],
  })),
  datasets: {
    orders: {
      from: (t) => `${t.names[1]}.orders`,
      metrics: { ...ORDER_METRICS, return_rate: "SUM(CASE WHEN status = 'returned' THEN 1 ELSE 0 END) / NULLIF(COUNT(*), 0)" },
      discriminating: ['order_id'],
    },
    sales: { from: (t) => salesFrom(`${t.names[1]}.orders`, `${t.names[1]}.products`), metrics: SALES_METRICS, discriminating: ['product_name'] },
    products: { from: (t) => `${t.names[1]}.products`, metrics: { product_count: 'COUNT(*)' }, discriminating: ['product_name'] },
    countries: { ...COUNTRIES, from: () => `${myPrefix}reference.countries` },
  },
  async setup() {
    // The seed names its databases shop_*: our copies get a prefix of their own.
    const seed = readFileSync(path.join(this.dir, 'seed.sql'), 'utf8').replaceAll('shop_', myPrefix);
    const conn = await mysql.createConnection({ ...services.mysql, multipleStatements: true });
    await conn.query(seed);
    const raw = await rawMysql();
    return {
      env: { ...process.env, SHOP_DB_PREFIX: myPrefix },
      downEnv: { ...process.env, SHOP_DB_PREFIX: myPrefix, MYSQL_PORT: CLOSED_PORT },
      raw,
      close: async () => {
        await raw.close();
        for (const db of ['acme', 'globex', 'initech', 'reference']) await conn.query(`DROP DATABASE IF EXISTS ${myPrefix}${db}`);
        await conn.end();
      },
    };
  },
};

/**
 * The example's api-keys.yaml with every rate limit raised: the same keys, tenants and
 * roles, but this test's few hundred requests must not meet a 60/minute key's 429.
 */
export function unlimitedKeys(dir: string): { file: string; remove(): void } {
  const tmp = mkdtempSync(path.join(tmpdir(), 'sgxt-keys-'));
  const file = path.join(tmp, 'api-keys.yaml');
  writeFileSync(file, readFileSync(path.join(dir, 'api-keys.yaml'), 'utf8').replace(/rate_limit: "[^"]+"/g, 'rate_limit: "100000/minute"'));
  return { file, remove: () => rmSync(tmp, { recursive: true, force: true }) };
}

export const CATALOGS = { demo: DEMO, 'shared-postgres': SHARED, 'schema-postgres': SCHEMA, 'database-mariadb': DATABASE };
