/**
 * Rules shared by the semantic checks and the builder, so that what was checked is exactly
 * what gets built. Pure functions over plain values.
 */
import type { Ident, TableRef } from './types.ts';

export const IDENT_PATTERN = /^[A-Za-z_][A-Za-z0-9_$]*$/;
export const TENANT_PLACEHOLDER = '{tenant}';
/** In a shared table's `sql:`, the tenant id: bound as a parameter, never spliced in as text. */
export const TENANT_ID_PLACEHOLDER = '{tenant_id}';
export const BUILT_IN_ROLES: readonly string[] = ['admin', 'analyst', 'viewer'];

// An aggregate metric must aggregate, or GROUP BY queries would fail only at run time.
export const AGGREGATE_CALL =
  /\b(SUM|COUNT|AVG|MIN|MAX|STDDEV|STDDEV_POP|STDDEV_SAMP|VARIANCE|VAR_POP|VAR_SAMP|MEDIAN|ANY_VALUE|BOOL_AND|BOOL_OR|STRING_AGG|GROUP_CONCAT|APPROX_COUNT_DISTINCT|PERCENTILE_CONT|PERCENTILE_DISC|QUANTILE_CONT|LISTAGG|ARRAY_AGG)\s*\(/i;

export function usesTenant(text: string | undefined | null): boolean {
  return typeof text === 'string' && text.includes(TENANT_PLACEHOLDER);
}

/** A tenant layout a dataset entry declares, with the words and field the checks name it by. */
export interface DeclaredLayout {
  readonly kind: 'shared' | 'schema' | 'database';
  readonly what: string;
  readonly field: 'rls' | 'table' | 'sql' | 'source';
}

/**
 * Every tenant layout a dataset entry declares, apart from `rls: none`. The checks require
 * exactly one (or none with `rls: none`); the build takes that one, so what was checked is
 * what gets built. `perTenantSource` says whether a named source is a database per tenant.
 */
export function declaredLayouts(d: { tenantColumn: string | undefined; table: string | undefined; sql: string | undefined; source: string | undefined },
  perTenantSource: (name: string) => boolean): DeclaredLayout[] {
  const layouts: DeclaredLayout[] = [];
  if (d.tenantColumn !== undefined) layouts.push({ kind: 'shared', what: 'a shared table (`rls.tenant_column`)', field: 'rls' });
  if (usesTenant(d.table)) layouts.push({ kind: 'schema', what: 'a schema per tenant (`{tenant}` in `table`)', field: 'table' });
  if (usesTenant(d.sql)) layouts.push({ kind: 'schema', what: 'a schema per tenant (`{tenant}` in `sql`)', field: 'sql' });
  if (d.source === TENANT_PLACEHOLDER || (d.source !== undefined && perTenantSource(d.source))) {
    layouts.push({ kind: 'database', what: 'a database per tenant (`source`)', field: 'source' });
  }
  return layouts;
}

export function asIdent(text: string): Ident {
  return text as Ident;
}

/** `name`, `schema.name` or `{tenant}.name`, or a message saying what to write instead. */
export function parseTableRef(text: string): { ref: TableRef } | { error: string } {
  const parts = text.split('.');
  const explain = 'write `table: name`, `table: schema.name` or `table: "{tenant}.name"` (plain identifiers, no quotes)';
  if (parts.length > 2) return { error: `\`${text}\` has ${parts.length} parts; ${explain}, or use \`sql:\` for anything else.` };
  const name = parts[parts.length - 1] ?? '';
  const schema = parts.length === 2 ? (parts[0] ?? '') : null;
  if (!IDENT_PATTERN.test(name)) {
    const why = usesTenant(name) ? '`{tenant}` can only stand for the schema part' : `\`${name}\` is not a plain identifier`;
    return { error: `table \`${text}\`: ${why}; ${explain}.` };
  }
  if (schema !== null && schema !== TENANT_PLACEHOLDER && !IDENT_PATTERN.test(schema)) {
    return { error: `table \`${text}\`: schema \`${schema}\` is not a plain identifier; ${explain}.` };
  }
  return { ref: { schema: schema === null ? null : schema === TENANT_PLACEHOLDER ? TENANT_PLACEHOLDER : asIdent(schema), name: asIdent(name) } };
}

export interface MetricRef {
  readonly name: string;
  /** Offset of the `{` in the expression. */
  readonly index: number;
}

/** The `{name}` references of a derived metric's expression. */
export function metricRefs(expr: string): MetricRef[] {
  const refs: MetricRef[] = [];
  for (const m of expr.matchAll(/\{([^{}]*)\}/g)) refs.push({ name: (m[1] ?? '').trim(), index: m.index ?? 0 });
  return refs;
}

/**
 * Each metric's SQL with `{ref}` replaced, recursively, by `(<ref's SQL>)`. Callers check for
 * unknown references and cycles first; a reference left unresolved here is kept as written.
 */
export function expandMetrics(metrics: readonly { name: string; expr: string }[]): Map<string, string> {
  const exprs = new Map(metrics.map((m) => [m.name, m.expr]));
  const done = new Map<string, string>();
  const expand = (name: string, stack: readonly string[]): string => {
    const cached = done.get(name);
    if (cached !== undefined) return cached;
    const expr = exprs.get(name) ?? '';
    const sql = expr.replace(/\{([^{}]*)\}/g, (whole, ref: string) => {
      const target = ref.trim();
      if (!exprs.has(target) || stack.includes(target)) return whole;
      return `(${expand(target, [...stack, target])})`;
    });
    done.set(name, sql);
    return sql;
  };
  for (const m of metrics) expand(m.name, [m.name]);
  return done;
}

/** True when a connection value holds `{tenant}`: the source opens one pool per tenant. */
export function connectionIsPerTenant(connection: unknown): boolean {
  if (!connection || typeof connection !== 'object') return false;
  return Object.values(connection).some((v) => typeof v === 'string' && usesTenant(v));
}

/** `init_sql: ./seed.sql` names a file (read at load); anything else is SQL itself. */
export function isInitSqlPath(text: string): boolean {
  return /^[^\s;]+\.sql$/i.test(text.trim());
}

// ISO 8601 as administrators write it: a date, or a date-time with optional seconds and zone.
const ISO_8601 = /^\d{4}-\d{2}-\d{2}(?:[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}:?\d{2})?)?$/;

/** A Date for an ISO 8601 text, or null. A date without a time means midnight UTC. */
export function parseExpiry(text: string): Date | null {
  const t = text.trim();
  if (!ISO_8601.test(t)) return null;
  // No zone means UTC, so an expiry does not move with the server's time zone.
  let iso = /^\d{4}-\d{2}-\d{2}$/.test(t) ? `${t}T00:00:00` : t.replace(' ', 'T');
  if (!/(Z|[+-]\d{2}:?\d{2})$/.test(iso)) iso += 'Z';
  const d = new Date(iso);
  // Reject dates that JavaScript would roll over (2027-02-31 -> March 3).
  if (Number.isNaN(d.getTime()) || (iso.endsWith('Z') && d.toISOString().slice(0, 10) !== iso.slice(0, 10))) return null;
  return d;
}
