/**
 * Small helpers for writing the hand-written answers of cases.ts. They are deliberately
 * written differently from src/sql/dialects (day arithmetic instead of date_trunc), so an
 * answer never shares a bug with the compiler.
 */
import type { Engine } from '../helpers/seed.ts';

export type Answer = string | { postgres?: string; mysql?: string; duckdb?: string; default: string };

export function answerFor(answer: Answer, engine: Engine): string {
  return typeof answer === 'string' ? answer : (answer[engine] ?? answer.default);
}

/** The same answer written once per engine (for date functions and literals that differ). */
export function perEngine(write: (e: Engine) => string): Answer {
  return { postgres: write('postgres'), mysql: write('mysql'), duckdb: write('duckdb'), default: write('postgres') };
}

type Grain = 'week' | 'month' | 'quarter' | 'year';

/**
 * First day of the period of a DATE column, written differently from the compiler
 * (which uses date_trunc / DATE_FORMAT): day arithmetic from extracted parts.
 */
export function truncDate(e: Engine, grain: Grain, x: string): string {
  if (e === 'mysql') {
    switch (grain) {
      // DAYOFWEEK: 1 = Sunday .. 7 = Saturday, so (d + 5) % 7 days back lands on Monday.
      case 'week': return `DATE_SUB(CAST(${x} AS DATE), INTERVAL (DAYOFWEEK(${x}) + 5) % 7 DAY)`;
      case 'month': return `DATE_SUB(CAST(${x} AS DATE), INTERVAL DAYOFMONTH(${x}) - 1 DAY)`;
      case 'quarter':
        return `DATE_SUB(DATE_SUB(CAST(${x} AS DATE), INTERVAL DAYOFMONTH(${x}) - 1 DAY), INTERVAL (MONTH(${x}) - 1) % 3 MONTH)`;
      case 'year': return `DATE_SUB(CAST(${x} AS DATE), INTERVAL DAYOFYEAR(${x}) - 1 DAY)`;
    }
  }
  const int = (part: string): string => `CAST(EXTRACT(${part} FROM ${x}) AS INTEGER)`;
  switch (grain) {
    // date - integer is a date on PostgreSQL and DuckDB.
    case 'week': return `(CAST(${x} AS DATE) - (${int('ISODOW')} - 1))`;
    case 'month': return `make_date(${int('YEAR')}, ${int('MONTH')}, 1)`;
    case 'quarter': return `make_date(${int('YEAR')}, (${int('QUARTER')} - 1) * 3 + 1, 1)`;
    case 'year': return `make_date(${int('YEAR')}, 1, 1)`;
  }
}

/** The hour of a TIMESTAMP column as text `YYYY-MM-DD HH:00:00` (the comparator parses it). */
export function hourText(e: Engine, x: string): string {
  switch (e) {
    case 'postgres': return `to_char(${x}, 'YYYY-MM-DD HH24:00:00')`;
    case 'mysql': return `DATE_FORMAT(${x}, '%Y-%m-%d %H:00:00')`;
    case 'duckdb': return `strftime(${x}, '%Y-%m-%d %H:00:00')`;
  }
}

/** `WHERE` text for one tenant of the shared table. */
export const tenant = (t: string): string => `tenant_id = '${t}'`;
