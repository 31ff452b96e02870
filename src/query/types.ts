import type { Dataset, FieldType, Ident, SourceType, TimeGrain } from '../catalog/types.ts';

/**
 * The one query value every front door produces (REST's JSON body as is; OData, the CLI and
 * the portal build it) and the one prepare -> plan -> compile -> cache -> execute road takes.
 * See shared spec http-api.md; untrusted until `parseSemanticQuery` and `planQuery` pass it.
 */
export interface SemanticQuery {
  dataset: string;
  dimensions?: string[];
  /** A metric's name, or an aggregate computed here (OData `$apply`: aliases, `with`, `$count`). */
  metrics?: (string | MetricSpec)[];
  /** Before aggregation; a condition on a metric applies after it (HAVING). */
  filters?: QueryFilter[];
  /** After aggregation, on output columns (a metric's alias, a selected dimension). */
  having?: QueryFilter[];
  segments?: string[];
  /** Output columns: a dimension as selected (`order_date.month`), a metric's name or alias. */
  order_by?: { field: string; direction?: 'asc' | 'desc' }[];
  limit?: number;
  offset?: number;
}

export const AGGREGATE_METHODS = ['sum', 'min', 'max', 'avg', 'count', 'count_distinct'] as const;
export type AggregateMethod = (typeof AGGREGATE_METHODS)[number];

/**
 * `{ field: 'revenue', as: 'total' }` a metric under another name; `{ field, aggregate }` a
 * metric re-aggregated with its own method, or an aggregate of a dimension
 * (`order_id` with `count_distinct`); `{ aggregate: 'count', as }` the number of rows.
 */
export interface MetricSpec {
  field?: string;
  aggregate?: AggregateMethod;
  as?: string;
}

export const FILTER_OPS = [
  'eq', 'ne', 'gt', 'gte', 'lt', 'lte', 'in', 'not_in', 'between',
  'contains', 'starts_with', 'ends_with', 'is_null', 'is_not_null',
] as const;
export type FilterOp = (typeof FILTER_OPS)[number];

/** A comparison, or `and` / `or` / `not` of filters (an empty `and` is true, an empty `or` false). */
export type QueryFilter = FilterLeaf | { and: QueryFilter[] } | { or: QueryFilter[] } | { not: QueryFilter };

export interface FilterLeaf {
  field: string;
  op: FilterOp;
  values?: unknown[];
  /** A function applied to the field before comparing (OData `tolower(x)`, `year(x)`). */
  transform?: FieldTransform;
  /** contains / starts_with / ends_with ignore case unless this is true (OData matches case). */
  case_sensitive?: boolean;
}

/** Who is asking: the result of authentication. */
export interface Principal {
  readonly keyId: string;
  /** The key's tenant; `null` for an admin key that names no tenant. */
  readonly tenant: string | null;
  readonly role: string;
  readonly isAdmin: boolean;
  /** Datasets this key is limited to, if any. */
  readonly allowedDatasets: readonly string[] | null;
  /**
   * A token's row filters (JWT or guest token): ANDed into every query by the planner, on
   * top of the tenant predicate, so they can only narrow what the tenant sees.
   */
  readonly filters?: readonly QueryFilter[];
}

/** A filter value after type checking; dates and timestamps stay ISO strings. */
export type ScalarValue = string | number | boolean;

/** A field reference resolved against the catalog. */
export interface PlannedField {
  /** Output column name, e.g. `region` or `order_date.month`. */
  readonly alias: string;
  readonly kind: 'dimension' | 'metric';
  /** The dataset whose columns `sql` and `column` read. */
  readonly dataset: string;
  /** Trusted SQL: a dimension expression or a metric's expanded aggregate. */
  readonly sql: string;
  /** For a dimension without `expr`: the validated column to quote instead of `sql`. */
  readonly column: Ident | null;
  readonly grain: TimeGrain | null;
  /** Type of the output column (a grain gives `date`, or `timestamp` for `hour`). */
  readonly type: FieldType;
  /** OData $apply: an aggregate over a dimension (`order_id with countdistinct`), built here, not in the catalog. */
  readonly aggregateOf?: { readonly fn: 'SUM' | 'MIN' | 'MAX' | 'AVG' | 'COUNT_DISTINCT'; readonly field: PlannedField };
  /**
   * A derived metric over other datasets' metrics (`sql` is empty): `parts` around the
   * `refs`, computed once each referenced metric is aggregated on its own dataset's grain.
   */
  readonly formula?: { readonly parts: readonly string[]; readonly refs: readonly PlannedField[] };
}

export type FieldTransform = 'lower' | 'upper' | 'year' | 'month' | 'day' | 'date';

/** The type a transform gives (OData `tolower(x)`, `year(x)`, ...): what its operand is compared as. */
export const TRANSFORMED_TYPE: Readonly<Record<FieldTransform, FieldType>> = {
  lower: 'string', upper: 'string', year: 'integer', month: 'integer', day: 'integer', date: 'date',
};

/** A boolean condition tree: REST filters are an `and` of comparisons; OData may nest. */
export type Condition =
  | { readonly kind: 'and' | 'or'; readonly items: readonly Condition[] }
  | { readonly kind: 'not'; readonly item: Condition }
  | {
    readonly kind: 'compare'; readonly field: PlannedField; readonly op: FilterOp; readonly values: readonly ScalarValue[];
    /** OData: a canonical function applied to the field first (`tolower(name)`, `year(order_date)`). */
    readonly transform?: FieldTransform;
    /** contains/starts_with/ends_with match case exactly (OData); REST ignores case. */
    readonly caseSensitive?: boolean;
  }
  | { readonly kind: 'segment'; readonly sql: string; readonly dataset: string };

/**
 * Whose rows a plan may read. The compiler refuses to compile a tenant-scoped dataset
 * unless the scope is `tenant`, or `all-tenants` for an admin in the shared layout.
 */
export type TenantScope =
  | { readonly kind: 'tenant'; readonly tenant: string; readonly schema: Ident }
  | { readonly kind: 'all-tenants' }
  | { readonly kind: 'global' };

export interface QueryPlan {
  /** The queried dataset: every other one is reached from it by LEFT JOINs. */
  readonly dataset: Dataset;
  /** Every dataset the plan reads, the queried one and those on the way to a joined one included. */
  readonly datasets: ReadonlyMap<string, Dataset>;
  readonly scope: TenantScope;
  /** Which pool runs it: the source name, and the tenant for database-per-tenant layouts. */
  readonly target: { readonly source: string; readonly tenant: string | null; readonly type: SourceType };
  readonly dimensions: readonly PlannedField[];
  readonly metrics: readonly PlannedField[];
  /** WHERE: filters on dimensions and segments. */
  readonly where: Condition | null;
  /** HAVING: filters on metrics. */
  readonly having: Condition | null;
  readonly orderBy: readonly { readonly alias: string; readonly direction: 'asc' | 'desc' }[];
  /** Rows asked for; the compiler fetches `limit + 1` to detect truncation. */
  readonly limit: number;
  readonly offset: number;
  readonly timeoutMs: number;
}

export interface CompiledQuery {
  readonly sql: string;
  readonly parameters: readonly unknown[];
}
