/**
 * The compiler suite's cases: one semantic query, who asks it, and an independently
 * hand-written SQL answer over the raw seeded tables (test/compiler/layouts.ts). The
 * snapshot test pins the SQL each dialect compiles; the execute test runs the query and
 * the answer on each real engine and compares the rows.
 *
 * Answers read the shared `orders` table (tenant filter written out) or `regions_ref`,
 * whatever the dataset's layout: every layout holds the same rows per tenant, so a query
 * that reads the wrong schema, database or tenant gives different sums.
 */
import type { Principal, SemanticQuery } from '../../src/query/types.ts';
import type { Answer } from './answer-sql.ts';
import type { Engine } from '../helpers/seed.ts';
import { FILTER_CASES } from './cases-filters.ts';
import { SHAPE_CASES } from './cases-shapes.ts';

export const ENGINES: readonly Engine[] = ['postgres', 'mysql', 'duckdb'];
export const TENANTS = ['tenant_a', 'tenant_b', 'tenant_c'] as const;
export const ROWS_PER_TENANT = 150;

export type Who = (typeof TENANTS)[number] | 'admin' | 'admin_as_tenant_b';

export interface CompilerCase {
  readonly name: string;
  readonly query: SemanticQuery;
  readonly as: Who;
  readonly answer: Answer;
  /** Expected `meta.truncated`; default false. */
  readonly truncated?: boolean;
}

export const CASES: readonly CompilerCase[] = [...FILTER_CASES, ...SHAPE_CASES];

const ADMIN: Principal = Object.freeze({ keyId: 'k_admin', tenant: null, role: 'admin', isAdmin: true, allowedDatasets: null });

export function principalFor(who: Who): Principal {
  if (who === 'admin') return ADMIN;
  if (who === 'admin_as_tenant_b') return { ...ADMIN, tenant: 'tenant_b' };
  return { keyId: `k_${who}`, tenant: who, role: 'analyst', isAdmin: false, allowedDatasets: null };
}
