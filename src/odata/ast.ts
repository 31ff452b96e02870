/**
 * The parsed form of OData system query options ($filter, $orderby, $select, $apply,
 * $top, $skip, $count). Produced by src/odata/parser/, consumed by src/odata/translate.ts.
 * Every node carries `pos`: the 0-based offset in the option's (percent-decoded) text,
 * so an error can name where the construct starts.
 */

export type LiteralType =
  | 'null' | 'boolean' | 'string' | 'int' | 'decimal' | 'double' | 'date' | 'dateTimeOffset'
  | 'timeOfDay' | 'duration' | 'guid' | 'binary' | 'enum' | 'geo';

export interface Literal {
  readonly kind: 'literal';
  readonly type: LiteralType;
  /**
   * The value: `null`; boolean; string (quotes undoubled); number for int/double (and
   * decimals that fit a double exactly; the raw text is kept in `raw`); dates as
   * `YYYY-MM-DD`; dateTimeOffset as written (ISO 8601 with zone); others as raw text.
   */
  readonly value: null | boolean | string | number;
  readonly raw: string;
  readonly pos: number;
  /**
   * The v2 notation the client used (`L`, `M`, `D`, `F` suffixes; `datetime`, `datetimeoffset`,
   * `guid`, `time` prefixes), read as the v4 literal in `type`/`value`. The translator uses it
   * where the v2 type says more than the v4 one (a `datetime` at midnight on a date property).
   */
  readonly legacy?: string;
}

/** A property path: `region`, or `Address/City` (segments). */
export interface PropertyRef {
  readonly kind: 'property';
  readonly path: readonly string[];
  readonly pos: number;
}

export type BinaryOp = 'eq' | 'ne' | 'gt' | 'ge' | 'lt' | 'le' | 'and' | 'or' | 'add' | 'sub' | 'mul' | 'div' | 'divby' | 'mod' | 'has';

export interface Binary {
  readonly kind: 'binary';
  readonly op: BinaryOp;
  readonly left: Expr;
  readonly right: Expr;
  readonly pos: number;
}

export interface Unary {
  readonly kind: 'unary';
  readonly op: 'not' | 'negate';
  readonly operand: Expr;
  readonly pos: number;
}

/** `x in (a, b, c)` */
export interface InList {
  readonly kind: 'in';
  readonly left: Expr;
  readonly list: readonly Expr[];
  readonly pos: number;
}

/** A canonical function call: `contains(region,'EU')`, `year(order_date)`, `tolower(x)`, ... */
export interface Call {
  readonly kind: 'call';
  readonly name: string;
  readonly args: readonly Expr[];
  readonly pos: number;
}

/**
 * Anything the grammar accepts that semgate does not translate (lambda any/all, $it,
 * $root, casts, isof, navigation with $count, parameter aliases, JSON array/object
 * literals, ...): parsed so syntax errors are exact, then refused with a 400 naming `pos`.
 */
export interface Other {
  readonly kind: 'other';
  readonly what: string;
  readonly pos: number;
}

export type Expr = Literal | PropertyRef | Binary | Unary | InList | Call | Other;

export interface OrderByItem {
  readonly expr: Expr;
  readonly direction: 'asc' | 'desc';
}

/**
 * `$select` items: property paths, or `*`; `other` for what the grammar allows but semgate
 * does not serve (annotations, type casts, actions/functions, nested select options).
 */
export type SelectItem = { readonly kind: 'star'; readonly pos: number } | PropertyRef | Other;

/** One `aggregate(...)` expression: `x with sum as t`, `$count as n`, or a custom aggregate `m` (optionally `as n`). */
export type AggregateItem =
  | { readonly kind: 'with'; readonly expr: Expr; readonly method: string; readonly alias: string; readonly pos: number }
  | { readonly kind: 'count'; readonly alias: string; readonly pos: number }
  | { readonly kind: 'custom'; readonly name: string; readonly alias: string | null; readonly pos: number };

/** `$apply` transformations, in order (`/`-separated). */
export type Transformation =
  | { readonly kind: 'aggregate'; readonly items: readonly AggregateItem[]; readonly pos: number }
  | { readonly kind: 'groupby'; readonly properties: readonly PropertyRef[]; readonly then: readonly Transformation[]; readonly pos: number }
  | { readonly kind: 'filter'; readonly expr: Expr; readonly pos: number }
  | { readonly kind: 'other'; readonly what: string; readonly pos: number };

/** The system query options of one request, each parsed on its own. */
export interface ODataQueryOptions {
  readonly filter: Expr | null;
  readonly orderby: readonly OrderByItem[];
  readonly select: readonly SelectItem[] | null;
  readonly apply: readonly Transformation[] | null;
  readonly top: number | null;
  readonly skip: number | null;
  readonly count: boolean;
  readonly skiptoken: string | null;
}

/** A syntax error at an offset of one option's text. */
export class ODataSyntaxError extends Error {
  constructor(readonly option: string, readonly pos: number, message: string) {
    super(message);
    this.name = 'ODataSyntaxError';
  }
}
