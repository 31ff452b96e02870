/**
 * `semgate validate --connect`: the configuration against live PostgreSQL, MariaDB and
 * DuckDB. A configuration with a wrong column, a wrong table, a broken `expr`, an
 * unreachable source, a wrong database name, a join whose columns do not compare, and a
 * tenant whose schema or database lacks what the others have reports each at its line
 * (lines come from markers in the YAML text); the same datasets written correctly report
 * nothing.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import mysql from 'mysql2/promise';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/catalog/load.ts';
import type { ConfigIssue } from '../../src/catalog/types.ts';
import { checkLive } from '../../src/service/live-check.ts';
import { semgate } from '../helpers/cli.ts';
import { rawPostgres, type RawSql } from '../helpers/seed.ts';
import { requireServices, services } from '../helpers/services.ts';
import { lineOf, listIssues, type FileName } from './helpers.ts';

const up = await requireServices('postgres', 'mysql');
const X = `sglc_${process.pid}`;
const hash = (c: string): string => `sha256:${c.repeat(64)}`;

const SOURCES = `sources:
  - name: warehouse
    type: postgres
    connection: { host: ${services.postgres.host}, port: ${services.postgres.port}, database: ${services.postgres.database}, user: ${services.postgres.user}, password: "${services.postgres.password}" }
  - name: offline
    type: postgres
    connection:
      host: 127.0.0.1   # @unreachable
      port: 1
      database: nothing
      user: nobody
  - name: lost
    type: postgres
    connection:
      host: ${services.postgres.host}
      port: ${services.postgres.port}
      database: ${X}_nope   # @wrong-database
      user: ${services.postgres.user}
      password: "${services.postgres.password}"
  - name: shop
    type: mysql
    connection: { host: ${services.mysql.host}, port: ${services.mysql.port}, database: ${X}, user: ${services.mysql.user}, password: "${services.mysql.password}" }
  - name: tenant_shop
    type: mysql
    connection:
      host: ${services.mysql.host}
      port: ${services.mysql.port}
      database: "${X}_{tenant}"   # @tenant-database
      user: ${services.mysql.user}
      password: "${services.mysql.password}"
  - name: lake
    type: duckdb
    connection: { path: ":memory:" }
    init_sql: "CREATE TABLE events (id INTEGER, kind VARCHAR, day DATE)"
`;

const CATALOG = `datasets:
  - name: orders
    source: warehouse
    table: ${X}.orders
    rls: { tenant_column: tenant_id }
    joins:
      - dataset: customers   # @join-types
        relationship: many_to_one
        on: { customer_id: customer_id }
    dimensions:
      - { name: region, type: string }
      - { name: regio, type: string }   # @wrong-column
      - { name: order_date, type: date, time_grains: [month, year] }
      - { name: big, type: boolean, expr: "amount > 100" }
    metrics:
      - { name: revenue, type: number, expr: "SUM(amount)" }
      - { name: broken, type: number, expr: "SUM(amount" }   # @broken-expr
      - { name: per_order, type: number, expr: "{broken} / COUNT(*)" }
    segments:
      - { name: large, expr: "amount > 1000" }
  - name: customers
    source: warehouse
    table: ${X}.customers
    rls: { tenant_column: tenant_id }
    primary_key: customer_id
    joins:
      - dataset: segments_ref
        relationship: many_to_one
        on: { segment: segment_id }   # @join-column
    dimensions:
      - { name: customer_id, type: string }
      - { name: segment, type: string }
  - name: segments_ref
    source: warehouse
    table: ${X}.segments
    rls: none
    primary_key: code
    dimensions:
      - { name: code, type: string }
  - name: ghosts
    source: warehouse
    table: ${X}.nope   # @wrong-table
    rls: { tenant_column: tenant_id }
    dimensions:
      - { name: region, type: string }
  - name: mine
    source: warehouse
    sql: "SELECT tenant_id, region, amount FROM ${X}.orders WHERE tenant_id = {tenant_id}"
    rls: { tenant_column: tenant_id }
    dimensions:
      - { name: region, type: string }
    metrics:
      - { name: revenue, type: number, expr: "SUM(amount)" }
  - name: items
    source: warehouse
    table: "{tenant}.items"
    dimensions:
      - { name: name, type: string }   # @tenant-column
      - { name: id, type: number }
  - name: far
    source: offline
    table: orders
    rls: none
    dimensions:
      - { name: region, type: string }
  - name: elsewhere
    source: lost
    table: orders
    rls: none
    dimensions:
      - { name: region, type: string }
  - name: products
    source: shop
    table: products
    rls: none
    dimensions:
      - { name: id, type: number }
      - { name: titel, type: string }   # @mysql-column
  - name: tenant_products
    source: tenant_shop
    table: products
    dimensions:
      - { name: id, type: number }
      - { name: title, type: string }
  - name: events
    source: lake
    table: events
    rls: none
    dimensions:
      - { name: kind, type: string }
      - { name: day, type: date, time_grains: [month] }
    metrics:
      - { name: kinds, type: integer, expr: "COUNT(DISTINCT knd)" }   # @duck-expr
      - { name: events, type: integer, expr: "COUNT(*)" }
    segments:
      - { name: clicks, expr: "knd = 'click'" }   # @duck-segment
`;

const API_KEYS = `api_keys:
  - { key_hash: "${hash('a')}", tenant: acme, role: analyst }
  - { key_hash: "${hash('b')}", tenant: globex, role: analyst }
tenants:
  acme: { schema: ${X}_acme }
  globex: { schema: ${X}_globex }
`;

function writeConfig(files: Record<FileName, string>): string {
  const dir = mkdtempSync(join(tmpdir(), 'semgate-live-'));
  for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, name), text);
  return dir;
}

describe.skipIf(!up.ok)('validate --connect against PostgreSQL, MariaDB and DuckDB', () => {
  let pg: RawSql;
  let my: mysql.Connection;
  const texts: Record<FileName, string> = { 'catalog.yaml': CATALOG, 'sources.yaml': SOURCES, 'api-keys.yaml': API_KEYS };
  let dir: string;
  let issues: ConfigIssue[];

  beforeAll(async () => {
    pg = await rawPostgres();
    await pg.exec(`DROP SCHEMA IF EXISTS ${X} CASCADE; DROP SCHEMA IF EXISTS ${X}_acme CASCADE; DROP SCHEMA IF EXISTS ${X}_globex CASCADE;
      CREATE SCHEMA ${X}; CREATE SCHEMA ${X}_acme; CREATE SCHEMA ${X}_globex;
      CREATE TABLE ${X}.orders (tenant_id text, order_id int, region text, amount numeric, customer_id int, order_date date);
      CREATE TABLE ${X}.customers (tenant_id text, customer_id text, segment text);
      CREATE TABLE ${X}.segments (code text);
      CREATE TABLE ${X}_acme.items (id int, name text);
      CREATE TABLE ${X}_globex.items (id int);`);
    my = await mysql.createConnection({ ...services.mysql, multipleStatements: true });
    await my.query(`DROP DATABASE IF EXISTS ${X}; DROP DATABASE IF EXISTS ${X}_acme; DROP DATABASE IF EXISTS ${X}_globex;
      CREATE DATABASE ${X}; CREATE TABLE ${X}.products (id INT, title VARCHAR(20));
      CREATE DATABASE ${X}_acme; CREATE TABLE ${X}_acme.products (id INT, title VARCHAR(20));`);
    dir = writeConfig(texts);
    const loaded = await loadConfig(dir, { env: {} });
    expect(loaded.issues.filter((i) => i.severity === 'error'), listIssues(loaded.issues)).toEqual([]);
    issues = (await checkLive(loaded.catalog!, { timeoutMs: 20_000 })).issues;
  }, 120_000);

  afterAll(async () => {
    await pg?.exec(`DROP SCHEMA IF EXISTS ${X} CASCADE; DROP SCHEMA IF EXISTS ${X}_acme CASCADE; DROP SCHEMA IF EXISTS ${X}_globex CASCADE;`);
    await pg?.close();
    await my?.query(`DROP DATABASE IF EXISTS ${X}; DROP DATABASE IF EXISTS ${X}_acme; DROP DATABASE IF EXISTS ${X}_globex;`);
    await my?.end();
  });

  const at = (file: FileName, marker: string, field: string, message: RegExp): ConfigIssue => {
    const line = lineOf(texts[file], marker);
    const hit = issues.find((i) => i.file.endsWith(`/${file}`) && i.line === line && i.field === field && message.test(i.message));
    expect(hit, `expected ${file}:${line} ${field} ~ ${String(message)}; got:\n${listIssues(issues)}`).toBeDefined();
    expect(hit!.severity).toBe('error');
    return hit!;
  };

  it('reports a wrong column, a wrong table, a broken expr and an unreachable source, each at its line', () => {
    at('catalog.yaml', '@wrong-column', 'datasets[0].dimensions[1].name', /dimension 'regio'.*source 'warehouse' \(PostgreSQL\).*column "regio" does not exist/);
    at('catalog.yaml', '@wrong-table', 'datasets[3].table', new RegExp(`relation "${X}.nope" does not exist`));
    at('catalog.yaml', '@broken-expr', 'datasets[0].metrics[1].expr', /metric 'broken'.*syntax error/);
    at('sources.yaml', '@unreachable', 'sources[1].connection.host', /cannot connect to source 'offline'.*ECONNREFUSED.*not checked/);
  });

  it('reports a wrong database name, a join whose columns do not compare, and each engine\'s own mistakes', () => {
    at('sources.yaml', '@wrong-database', 'sources[2].connection.database', new RegExp(`source 'lost'.*database "${X}_nope" does not exist`));
    at('catalog.yaml', '@join-types', 'datasets[0].joins[0]', /join to 'customers'.*operator does not exist: integer = text/);
    at('catalog.yaml', '@join-column', 'datasets[1].joins[0].on.segment', /join column 'segment_id' of 'segments_ref'.*column t.segment_id does not exist/);
    at('catalog.yaml', '@mysql-column', 'datasets[8].dimensions[1].name', /source 'shop' \(MySQL\/MariaDB\).*Unknown column 'titel'/);
    at('catalog.yaml', '@duck-expr', 'datasets[10].metrics[0].expr', /source 'lake' \(DuckDB\).*knd/);
    at('catalog.yaml', '@duck-segment', 'datasets[10].segments[0].expr', /segment 'clicks'.*knd/);
  });

  it('checks templated sources for each tenant of api-keys.yaml, naming the tenant', () => {
    at('catalog.yaml', '@tenant-column', 'datasets[5].dimensions[0].name', /column "name" does not exist \(tenant globex\)$/);
    at('sources.yaml', '@tenant-database', 'sources[4].connection.database', new RegExp(`source 'tenant_shop'.*Unknown database '${X}_globex'.*\\(tenant globex\\)$`));
  });

  it('reports nothing else: no finding for what is right, none repeated for what follows from another', () => {
    // 12 findings above; a derived metric over the broken one is not reported again, nor
    // the datasets of sources that could not be reached, nor the `sql:` dataset with {tenant_id}.
    expect(issues, listIssues(issues)).toHaveLength(12);
  });

  it('the CLI prints them as file:line:column field and exits 1; without --connect the files alone pass', async () => {
    const live = await semgate('validate', '--connect', '--config', dir);
    expect(live.code, live.stderr).toBe(1);
    expect(live.stdout).toContain(`catalog.yaml:${lineOf(CATALOG, '@wrong-column')}:`);
    expect(live.stdout).toMatch(new RegExp(`sources.yaml:${lineOf(SOURCES, '@unreachable')}:\\d+ sources\\[1\\].connection.host: error: cannot connect`));
    const plain = await semgate('validate', '--config', dir);
    expect(plain.code, plain.stdout).toBe(0);
    expect(plain.stdout).toMatch(/^ok: /m);
  }, 120_000);

  it('--sample N checks templated datasets for the first N tenants only', async () => {
    const loaded = await loadConfig(dir, { env: {} });
    const sampled = await checkLive(loaded.catalog!, { sample: 1 });
    expect(sampled.tenants).toEqual(['acme']);
    expect(sampled.issues.filter((i) => /tenant globex/.test(i.message))).toEqual([]);
  }, 120_000);
});
