/**
 * The independent answer: hand-written SQL with literals, over each tenant's own table, on
 * the same engine (so collation and LOWER() agree), through raw connections that share no
 * code with the planner, compiler or source registry. It knows the filter semantics of the
 * spec (ne/not_in keep NULLs, contains & co. are literal and case-insensitive), not the
 * compiler's SQL.
 */
import type { Engine, RawSql } from '../helpers/seed.ts';
import type { FilterLeaf } from '../../src/query/types.ts';
import { DIMS, type ValueKind } from './generator.ts';

export type Layout = 'shared' | 'schema' | 'database';

export interface Totals {
  readonly orders: number;
  /** Revenue in cents: exact, whatever the engine returns for a DECIMAL sum. */
  readonly cents: number;
}

export function toCents(v: unknown): number {
  return v === null || v === undefined ? 0 : Math.round(Number(v) * 100);
}

function quoteText(engine: Engine, s: string): string {
  const body = engine === 'mysql' ? s.replace(/\\/g, '\\\\') : s;
  return `'${body.replace(/'/g, "''")}'`;
}

function literal(engine: Engine, kind: ValueKind, v: unknown): string {
  switch (kind) {
    case 'number': return String(v);
    case 'boolean': return v ? 'TRUE' : 'FALSE';
    case 'date': return `CAST(${quoteText(engine, String(v))} AS DATE)`;
    case 'timestamp': {
      const text = String(v).replace('T', ' ').replace(/Z$/, '');
      return `CAST(${quoteText(engine, text)} AS ${engine === 'mysql' ? 'DATETIME' : 'TIMESTAMP'})`;
    }
    case 'string': return quoteText(engine, String(v));
  }
}

function likeCi(engine: Engine, col: string, pattern: string): string {
  const p = quoteText(engine, pattern);
  return engine === 'mysql' ? `LOWER(${col}) LIKE LOWER(${p})` : `${col} ILIKE ${p} ESCAPE '\\'`;
}

const escapeLike = (s: string): string => s.replace(/[\\%_]/g, (c) => `\\${c}`);

/** One filter on a dimension as SQL over the raw table's columns. */
export function filterSql(engine: Engine, f: FilterLeaf, columnSql: (name: string) => string): string {
  const dim = DIMS.find((d) => d.name === f.field);
  if (!dim) throw new Error(`oracle: not a dimension: ${f.field}`);
  const col = columnSql(dim.name);
  const vals = (f.values ?? []).map((v) => literal(engine, dim.kind, v));
  const s = String(f.values?.[0] ?? '');
  switch (f.op) {
    case 'eq': return `${col} = ${vals[0]}`;
    case 'ne': return `(${col} <> ${vals[0]} OR ${col} IS NULL)`;
    case 'gt': return `${col} > ${vals[0]}`;
    case 'gte': return `${col} >= ${vals[0]}`;
    case 'lt': return `${col} < ${vals[0]}`;
    case 'lte': return `${col} <= ${vals[0]}`;
    case 'in': return `${col} IN (${vals.join(', ')})`;
    case 'not_in': return `(${col} NOT IN (${vals.join(', ')}) OR ${col} IS NULL)`;
    case 'between': return `${col} BETWEEN ${vals[0]} AND ${vals[1]}`;
    case 'contains': return likeCi(engine, col, `%${escapeLike(s)}%`);
    case 'starts_with': return likeCi(engine, col, `${escapeLike(s)}%`);
    case 'ends_with': return likeCi(engine, col, `%${escapeLike(s)}`);
    case 'is_null': return `${col} IS NULL`;
    case 'is_not_null': return `${col} IS NOT NULL`;
  }
}

/** Where each layout keeps a tenant's rows, as the raw oracle reaches them. */
export interface OracleTables {
  readonly engine: Engine;
  /** The connection and table holding `tenant`'s rows in `layout` (null: the shared table, unscoped). */
  table(layout: Layout, tenant: string | null): { db: RawSql; from: string; tenantPredicate: string | null };
}

export class RawOracle {
  readonly #t: OracleTables;
  readonly #columns: ReadonlyMap<string, string>;
  readonly #segments: ReadonlyMap<string, string>;

  /** `columns`: dimension name -> SQL (its `expr`, or the column); `segments`: name -> expr (from the catalog). */
  constructor(tables: OracleTables, columns: ReadonlyMap<string, string>, segments: ReadonlyMap<string, string>) {
    this.#t = tables;
    this.#columns = columns;
    this.#segments = segments;
  }

  /** COUNT(*) and SUM(amount) of `tenant`'s rows (all tenants for null, shared layout only). */
  totals(layout: Layout, tenant: string | null, where: readonly FilterLeaf[], segments: readonly string[]): Promise<Totals> {
    const { db, from, tenantPredicate } = this.#t.table(layout, tenant);
    return this.#count(db, from, tenantPredicate, where, segments);
  }

  /**
   * The same over every tenant's table: one UNION ALL where the tables share a connection
   * (shared table, schemas, MySQL databases, attached DuckDB files), else a sum per database.
   */
  async totalsAll(layout: Layout, tenants: readonly string[], where: readonly FilterLeaf[], segments: readonly string[]): Promise<Totals> {
    if (layout === 'shared') return this.totals(layout, null, where, segments);
    const tables = tenants.map((t) => this.#t.table(layout, t));
    if (tables.every((t) => t.db === tables[0]!.db)) {
      const union = `(${tables.map((t) => `SELECT * FROM ${t.from}`).join(' UNION ALL ')}) u`;
      return this.#count(tables[0]!.db, union, null, where, segments);
    }
    const each = await Promise.all(tables.map((t) => this.#count(t.db, t.from, t.tenantPredicate, where, segments)));
    return each.reduce((a, b) => ({ orders: a.orders + b.orders, cents: a.cents + b.cents }));
  }

  async #count(db: RawSql, from: string, tenantPredicate: string | null, where: readonly FilterLeaf[], segments: readonly string[]): Promise<Totals> {
    const engine = this.#t.engine;
    const conds = [
      ...(tenantPredicate !== null ? [tenantPredicate] : []),
      ...where.map((f) => `(${filterSql(engine, f, (n) => this.#columns.get(n) ?? n)})`),
      ...segments.map((s) => `(${this.#segments.get(s) ?? fail(`segment ${s}`)})`),
    ];
    const sql = `SELECT COUNT(*) AS n, SUM(amount) AS s FROM ${from}${conds.length > 0 ? ` WHERE ${conds.join(' AND ')}` : ''}`;
    const [row] = await db.query(sql);
    return { orders: Number(row!['n']), cents: toCents(row!['s']) };
  }
}

function fail(what: string): never {
  throw new Error(`oracle: unknown ${what}`);
}
