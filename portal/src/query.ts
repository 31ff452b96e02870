/**
 * The query builder's words, without the DOM: the form's state -> the `POST /v1/query` body
 * (docs/api.md, "The query"), and the same query as a shell-safe curl line and an OData URL.
 * Pure, so the tests check it without a browser.
 */

export type FieldType = 'string' | 'number' | 'integer' | 'boolean' | 'date' | 'timestamp';

export interface Field {
  name: string;
  type: FieldType;
  kind: 'dimension' | 'metric';
  time_grains: string[];
}

export type Operator =
  | 'eq' | 'ne' | 'gt' | 'gte' | 'lt' | 'lte' | 'in' | 'not_in' | 'between'
  | 'contains' | 'starts_with' | 'ends_with' | 'is_null' | 'is_not_null';

/** A filter as the form holds it: the values as typed. */
export interface FilterDraft {
  field: string;
  op: Operator;
  /** One text per value box; `in` / `not_in` take a comma-separated list in the first. */
  values: string[];
}

export interface BuilderState {
  dataset: string;
  /** Checked dimensions in the order they were checked, with a grain ('' for none). */
  dimensions: { name: string; grain: string }[];
  metrics: string[];
  segments: string[];
  filters: FilterDraft[];
  order: { field: string; direction: 'asc' | 'desc' } | null;
  limit: number | null;
}

export interface SemanticQuery {
  dataset: string;
  dimensions?: string[];
  metrics?: string[];
  filters?: { field: string; op: Operator; values?: (string | number | boolean)[] }[];
  segments?: string[];
  order_by?: { field: string; direction: 'asc' | 'desc' }[];
  limit?: number;
}

const NULL_OPS: Operator[] = ['is_null', 'is_not_null'];

/** The operators the API accepts for a field of this type (docs/api.md, "Filters"). */
export function operatorsFor(type: FieldType): Operator[] {
  switch (type) {
    case 'string': return ['eq', 'ne', 'in', 'not_in', 'contains', 'starts_with', 'ends_with', ...NULL_OPS];
    case 'number':
    case 'integer': return ['eq', 'ne', 'gt', 'gte', 'lt', 'lte', 'between', 'in', 'not_in', ...NULL_OPS];
    case 'date':
    case 'timestamp': return ['eq', 'gt', 'gte', 'lt', 'lte', 'between', ...NULL_OPS];
    case 'boolean': return ['eq', ...NULL_OPS];
  }
}

export const OPERATOR_LABELS: Record<Operator, string> = {
  eq: 'equals', ne: 'does not equal', gt: 'greater than', gte: 'at least', lt: 'less than', lte: 'at most',
  in: 'is one of', not_in: 'is none of', between: 'between', contains: 'contains', starts_with: 'starts with',
  ends_with: 'ends with', is_null: 'is empty', is_not_null: 'is not empty',
};

/** How many value boxes an operator shows. */
export function valueCount(op: Operator): 0 | 1 | 2 {
  if (NULL_OPS.includes(op)) return 0;
  return op === 'between' ? 2 : 1;
}

/**
 * A typed value as JSON: a number for number fields and `true`/`false` for booleans when
 * the text is one; anything else goes as typed, so the API's own message says what is wrong.
 */
function typedValue(type: FieldType, text: string): string | number | boolean {
  const t = text.trim();
  if ((type === 'number' || type === 'integer') && t !== '' && Number.isFinite(Number(t))) return Number(t);
  if (type === 'boolean' && (t === 'true' || t === 'false')) return t === 'true';
  return type === 'string' ? text : t;
}

export function filterValues(type: FieldType, f: FilterDraft): (string | number | boolean)[] {
  const n = valueCount(f.op);
  if (n === 0) return [];
  if (f.op === 'in' || f.op === 'not_in') {
    return (f.values[0] ?? '').split(',').map((v) => v.trim()).filter((v) => v !== '').map((v) => typedValue(type, v));
  }
  return f.values.slice(0, n).map((v) => typedValue(type, v ?? ''));
}

/** The output column (and query member) of a checked dimension: `name` or `name.grain`. */
export function dimensionMember(d: { name: string; grain: string }): string {
  return d.grain === '' ? d.name : `${d.name}.${d.grain}`;
}

/** The body of `POST /v1/query` for the form; members left empty are left out. */
export function buildQuery(state: BuilderState, fields: readonly Field[]): SemanticQuery {
  const typeOf = new Map(fields.map((f) => [f.name, f.type] as const));
  const q: SemanticQuery = { dataset: state.dataset };
  if (state.dimensions.length > 0) q.dimensions = state.dimensions.map(dimensionMember);
  if (state.metrics.length > 0) q.metrics = [...state.metrics];
  if (state.filters.length > 0) {
    q.filters = state.filters.map((f) => {
      const values = filterValues(typeOf.get(f.field) ?? 'string', f);
      return valueCount(f.op) === 0 ? { field: f.field, op: f.op } : { field: f.field, op: f.op, values };
    });
  }
  if (state.segments.length > 0) q.segments = [...state.segments];
  if (state.order) q.order_by = [{ field: state.order.field, direction: state.order.direction }];
  if (state.limit !== null) q.limit = state.limit;
  return q;
}

/** One shell word: single quotes, with each `'` written as `'\''` (POSIX sh). */
export function shQuote(text: string): string {
  return `'${text.replace(/'/g, `'\\''`)}'`;
}

/**
 * The query as a curl line that returns the same rows when pasted into a shell. `key` is
 * the text to show for the key (the key itself, or a mask).
 */
export function curlLine(queryUrl: string, key: string, query: SemanticQuery, actAs: string | null = null): string {
  const parts = ['curl', '-s', shQuote(queryUrl), '-H', shQuote(`Authorization: Bearer ${key}`)];
  if (actAs !== null) parts.push('-H', shQuote(`X-Tenant-Id: ${actAs}`));
  parts.push('-H', shQuote('Content-Type: application/json'), '-d', shQuote(JSON.stringify(query)));
  return parts.join(' ');
}

/** A key as shown until the holder asks to see it. */
export function maskKey(key: string): string {
  return key.length <= 8 ? '•'.repeat(8) : `${key.slice(0, 4)}${'•'.repeat(8)}${key.slice(-2)}`;
}

/** The OData property of a query member: `order_date.month` is `order_date_month`. */
export function odataProperty(member: string): string {
  return member.replace('.', '_');
}

/** An OData v4 literal of the field's type (strings quoted, `'` doubled; dates bare). */
export function odataLiteral(type: FieldType, value: string | number | boolean): string {
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  if (type === 'string') return `'${value.replace(/'/g, "''")}'`;
  if (type === 'timestamp' && /^\d{4}-\d{2}-\d{2}$/.test(value)) return `${value}T00:00:00Z`;
  if (type === 'timestamp' && /T\d{2}:\d{2}(:\d{2}(\.\d+)?)?$/.test(value)) return `${value}Z`;
  if (type === 'date' || type === 'timestamp' || type === 'number' || type === 'integer' || type === 'boolean') return value;
  return `'${value.replace(/'/g, "''")}'`;
}

function odataCondition(f: NonNullable<SemanticQuery['filters']>[number], type: FieldType): string {
  const p = odataProperty(f.field);
  const v = (f.values ?? []).map((x) => odataLiteral(type, x));
  // The API's contains/starts_with/ends_with ignore case; OData's functions do not, unless both sides are lowered.
  const func = (name: string): string => `${name}(tolower(${p}),${odataLiteral('string', String(f.values?.[0] ?? '').toLowerCase())})`;
  switch (f.op) {
    case 'eq': return `${p} eq ${v[0]}`;
    case 'ne': return `${p} ne ${v[0]}`;
    case 'gt': return `${p} gt ${v[0]}`;
    case 'gte': return `${p} ge ${v[0]}`;
    case 'lt': return `${p} lt ${v[0]}`;
    case 'lte': return `${p} le ${v[0]}`;
    case 'between': return `${p} ge ${v[0]} and ${p} le ${v[1]}`;
    case 'in': return `${p} in (${v.join(',')})`;
    case 'not_in': return `not (${p} in (${v.join(',')}))`;
    case 'contains': return func('contains');
    case 'starts_with': return func('startswith');
    case 'ends_with': return func('endswith');
    case 'is_null': return `${p} eq null`;
    case 'is_not_null': return `${p} ne null`;
  }
}

/** Encodes a query option's value, keeping `$ , ( ) ' :` readable; spaces as %20 (a `+` would be a plus). */
function encodeOption(text: string): string {
  return encodeURIComponent(text).replace(/%2C/g, ',').replace(/%3A/g, ':').replace(/%24/g, '$');
}

/**
 * The same query as an OData URL: `$select` groups by the selected dimensions, `$filter`,
 * `$orderby` and `$top`. Segments have no OData form: null when the query uses one.
 */
export function odataUrl(serviceRoot: string, q: SemanticQuery, fields: readonly Field[]): string | null {
  if (q.segments && q.segments.length > 0) return null;
  const typeOf = new Map(fields.map((f) => [f.name, f.type] as const));
  const fieldType = (member: string): FieldType => {
    const [name, grain] = member.split('.');
    if (grain !== undefined) return grain === 'hour' ? 'timestamp' : 'date';
    return typeOf.get(name ?? member) ?? 'string';
  };
  const options: [string, string][] = [];
  const select = [...(q.dimensions ?? []), ...(q.metrics ?? [])].map(odataProperty);
  if (select.length > 0) options.push(['$select', select.join(',')]);
  if (q.filters && q.filters.length > 0) {
    const conditions = q.filters.map((f) => odataCondition(f, fieldType(f.field)));
    options.push(['$filter', conditions.map((c) => (q.filters!.length > 1 && / (and|or) /.test(c) ? `(${c})` : c)).join(' and ')]);
  }
  if (q.order_by && q.order_by.length > 0) options.push(['$orderby', q.order_by.map((o) => `${odataProperty(o.field)} ${o.direction}`).join(',')]);
  if (q.limit !== undefined) options.push(['$top', String(q.limit)]);
  const query = options.map(([k, v]) => `${k}=${encodeOption(v)}`).join('&');
  return `${serviceRoot}${encodeURIComponent(q.dataset)}${query === '' ? '' : `?${query}`}`;
}

/** The API's base path: whatever precedes `/portal` in the page's path (a reverse proxy's prefix). */
export function apiPrefix(pathname: string): string {
  const at = pathname.lastIndexOf('/portal');
  return at < 0 ? '' : pathname.slice(0, at);
}
