/**
 * The independent side of the cross-tenant test: raw SQL over one tenant's rows, written by
 * hand per engine, and the helpers that put the gateway's answers (JSON pages, CSV pages)
 * into the same canonical text so the two can be compared cell by cell.
 */
import { expect } from 'vitest';
import type { HttpResult, TestServer } from '../helpers/http.ts';
import type { RawSql } from '../helpers/seed.ts';

export type XtEngine = 'duckdb' | 'postgres' | 'mysql';
export type FieldType = 'string' | 'number' | 'integer' | 'boolean' | 'date' | 'timestamp';

/** A dimension or metric as GET /v1/datasets/{name} describes it. */
export interface Field { name: string; type: FieldType }

/** Raw SQL that renders a dimension as the gateway's canonical text (dates ISO, booleans words). */
export function rawText(engine: XtEngine, expr: string, type: FieldType): string {
  switch (type) {
    case 'boolean': return `CASE WHEN (${expr}) IS NULL THEN NULL WHEN (${expr}) THEN 'true' ELSE 'false' END`;
    case 'date':
      if (engine === 'postgres') return `to_char(${expr}, 'YYYY-MM-DD')`;
      if (engine === 'mysql') return `DATE_FORMAT(${expr}, '%Y-%m-%d')`;
      return `strftime(${expr}, '%Y-%m-%d')`;
    case 'timestamp':
      // The seeded timestamps are zone-less wall times, which the gateway reports as UTC.
      if (engine === 'postgres') return `to_char(${expr}, 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')`;
      if (engine === 'mysql') return `CONCAT(DATE_FORMAT(${expr}, '%Y-%m-%dT%H:%i:%s'), '.000Z')`;
      return `strftime(${expr}, '%Y-%m-%dT%H:%M:%S.%gZ')`;
    default: return expr;
  }
}

/** One cell as comparable text: numbers through Number (exact decimals may come as strings). */
export function canon(v: unknown, type: FieldType): string | null {
  if (v === null || v === undefined) return null;
  if (type === 'number' || type === 'integer') return String(Number(v));
  return String(v);
}

export function closeTo(a: unknown, b: unknown): boolean {
  if (a === null || b === null || a === undefined || b === undefined) return (a ?? null) === (b ?? null);
  const x = Number(a);
  const y = Number(b);
  return Math.abs(x - y) <= 1e-6 * Math.max(1, Math.abs(y));
}

/**
 * Two long lists are equal: one string comparison, and on a mismatch the first differing
 * item (vitest's deep equality over 60,000 rows would take seconds).
 */
export function expectSameList(got: readonly unknown[], want: readonly unknown[], what: string): void {
  if (JSON.stringify(got) === JSON.stringify(want)) return;
  const i = got.findIndex((g, k) => JSON.stringify(g) !== JSON.stringify(want[k]));
  expect(got[i === -1 ? got.length : i], `${what}: item ${i} of ${got.length} (${want.length} wanted)`).toEqual(want[i === -1 ? got.length : i]);
  expect(got.length, what).toBe(want.length);
}

export async function rawRows(raw: RawSql, sql: string): Promise<unknown[][]> {
  return (await raw.query(sql)).map((r) => Object.values(r));
}

/** RFC 4180, as src/http/csv.ts writes it: quoted cells may hold commas, quotes and newlines. */
export function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let cell = '';
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i]!;
    if (quoted) {
      if (ch === '"' && text[i + 1] === '"') { cell += '"'; i++; } else if (ch === '"') quoted = false; else cell += ch;
    } else if (ch === '"') quoted = true;
    else if (ch === ',') { row.push(cell); cell = ''; } else if (ch === '\r' && text[i + 1] === '\n') {
      row.push(cell); rows.push(row); row = []; cell = ''; i++;
    } else cell += ch;
  }
  if (cell !== '' || row.length > 0) { row.push(cell); rows.push(row); }
  return rows;
}

/** Who sent which /v1/query, so /v1/usage can be checked against what each tenant really did. */
export class QueryLog {
  readonly ok = new Map<string, number>();
  readonly failed = new Map<string, number>();
  note(tenant: string, status: number): void {
    const m = status < 400 ? this.ok : this.failed;
    if (status !== 429) m.set(tenant, (m.get(tenant) ?? 0) + 1);
  }
}

export interface Caller { tenant: string; key: string }

/** POST /v1/query as `who`, counted in `log`. */
export async function query(s: TestServer, log: QueryLog, who: Caller, body: unknown, csv = false): Promise<HttpResult> {
  const res = await s.req('POST', '/v1/query', { key: who.key, body, headers: csv ? { Accept: 'text/csv' } : {} });
  log.note(who.tenant, res.status);
  return res;
}

export interface Answer { columns: string[]; rows: unknown[][]; csv: string[][] }

/**
 * Every row of a query, page by page (a page is at most the dataset's max_rows), as JSON and
 * as CSV; each CSV page must be its JSON page rendered, header included.
 */
export async function fetchAll(s: TestServer, log: QueryLog, who: Caller, body: Record<string, unknown>, pageSize: number): Promise<Answer> {
  const out: Answer = { columns: [], rows: [], csv: [] };
  for (let offset = 0; ; offset += pageSize) {
    const page = { ...body, limit: pageSize, offset };
    const json = await query(s, log, who, page);
    expect(json.status, json.text.slice(0, 500)).toBe(200);
    const csv = await query(s, log, who, page, true);
    expect(csv.status, csv.text.slice(0, 500)).toBe(200);
    expect(csv.headers.get('content-type')).toMatch(/^text\/csv/);
    const columns = (json.body.columns as { name: string }[]).map((c) => c.name);
    const [header, ...cells] = parseCsv(csv.text);
    expect(header).toEqual(columns);
    const rows = json.body.rows as unknown[][];
    expectSameList(cells, rows.map((r) => r.map((v) => (v === null ? '' : String(v)))), 'CSV page vs JSON page');
    out.columns = columns;
    out.rows.push(...rows);
    out.csv.push(...cells);
    if (!json.body.meta.truncated) return out;
    expect(rows).toHaveLength(pageSize);
  }
}
