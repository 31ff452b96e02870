/**
 * The ways around isolation that do not need a database: a principal is the planner's only
 * source of a tenant; bad tenant ids never reach SQL; a plan with the wrong scope or pool
 * is refused by the compiler too (fail closed twice). Pure: plans and SQL, no I/O.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { keyIndexFor, principalForKey } from '../../src/auth/keys.ts';
import type { Catalog } from '../../src/catalog/types.ts';
import { GatewayError } from '../../src/errors.ts';
import { parseSemanticQuery } from '../../src/query/parse.ts';
import { planQuery } from '../../src/query/plan.ts';
import type { FilterLeaf, Principal, QueryPlan, SemanticQuery, TenantScope } from '../../src/query/types.ts';
import { prepareQuery } from '../../src/service/query.ts';
import { compilePlan } from '../../src/sql/compile.ts';
import { dialectFor } from '../../src/sql/dialects/index.ts';
import { SourceRegistry } from '../../src/sources/registry.ts';
import { checkCompiled } from './checks.ts';
import { ADMIN_KEY, KEYS, loadIsolationCatalog, TENANTS } from './engines.ts';
import { LAYOUT_DATASETS } from './suite.ts';
import { thrownGatewayError } from '../helpers/errors.ts';

const ENGINES = ['postgres', 'mysql', 'duckdb'] as const;
const SCOPED = Object.values(LAYOUT_DATASETS).flat();
const PREFIX = 'sgx_';
const BAD_TENANTS = ["a'; DROP TABLE orders; --", '../x', '', 't_alpha ', 'ä', 'x'.repeat(65), 't_alpha\u0000', '{tenant}', 't.alpha'];


const say = (m: string): never => {
  throw new Error(m);
};

describe.each(ENGINES)('fail closed (%s)', (engine) => {
  let catalog: Catalog;
  let keys: Map<string, Principal>;
  let admin: Principal;
  const schemaOf = (t: string): string => catalog.tenants.get(t)?.schema ?? t;

  beforeAll(async () => {
    catalog = await loadIsolationCatalog(engine, {
      PGHOST: 'localhost', PGPORT: '5432', PGUSER: 'u', MYSQL_HOST: 'localhost', MYSQL_PORT: '3306', MYSQL_USER: 'u',
      DUCK_DIR: '/nonexistent', PREFIX, SCHEMA_PREFIX: PREFIX,
    });
    const index = keyIndexFor(catalog);
    keys = new Map(TENANTS.map((t) => [t, principalForKey(index, KEYS[t])]));
    admin = principalForKey(index, ADMIN_KEY);
  });

  // Queries that name other tenants every way a request can: as filter values only.
  const attempts = (dataset: string): SemanticQuery[] => [
    { dataset, dimensions: ['tenant_id'], metrics: ['orders'] },
    { dataset, metrics: ['orders'], filters: [{ field: 'tenant_id', op: 'eq', values: ['t_beta'] }] },
    { dataset, metrics: ['orders'], filters: [{ field: 'tenant_id', op: 'in', values: [...TENANTS] }] },
    { dataset, metrics: ['orders'], filters: [{ field: 'tenant_id', op: 'ne', values: ['t_alpha'] }], segments: ['returned_or_all'] },
    { dataset, dimensions: ['order_id'], filters: [{ field: 'order_id', op: 'gt', values: [2_000_000] }] },
  ];

  it.each(SCOPED)('%s: a tenant key reads its own tenant only, whatever the query names', (dataset) => {
    for (const t of TENANTS) {
      for (const q of attempts(dataset)) {
        const prepared = prepareQuery(catalog, keys.get(t)!, q);
        const valuesSent = new Set(((q.filters ?? []) as FilterLeaf[]).flatMap((f) => f.values ?? []));
        checkCompiled(prepared, t, { tenants: TENANTS, schemaOf, valuesSent }, say);
        // Admin acting as the tenant compiles to exactly the same SQL and parameters.
        expect(prepareQuery(catalog, { ...admin, tenant: t }, q).compiled).toEqual(prepared.compiled);
      }
    }
  });

  it('a query body cannot carry a tenant: the principal is the only input', () => {
    for (const extra of [{ tenant: 't_beta' }, { tenant_id: 't_beta' }, { scope: { kind: 'all-tenants' } }, { 'X-Tenant-Id': 't_beta' }]) {
      const err = thrownGatewayError(() => prepareQuery(catalog, keys.get('t_alpha')!, { dataset: 'orders_shared', metrics: ['orders'], ...extra }));
      // Unknown fields are refused outright, never ignored (the exact code is the parser's).
      expect(err.status).toBe(400);
      expect(err.code).toMatch(/^query\./);
    }
  });

  it('an admin without a tenant reads all tenants of a shared table, and must name one elsewhere', () => {
    checkCompiled(prepareQuery(catalog, admin, { dataset: 'orders_shared', metrics: ['orders'] }), null, { tenants: TENANTS, schemaOf, valuesSent: new Set() }, say);
    // A shared table read through an sql: that filters by {tenant_id} reads one tenant at a time.
    for (const dataset of ['orders_shared_sql', ...LAYOUT_DATASETS.schema, ...LAYOUT_DATASETS.database]) {
      const err = thrownGatewayError(() => prepareQuery(catalog, admin, { dataset, metrics: ['orders'] }));
      expect([err.status, err.code]).toEqual([400, 'query.tenant_required']);
    }
  });

  it('a non-admin principal without a tenant is refused', () => {
    for (const dataset of SCOPED) {
      const err = thrownGatewayError(() => prepareQuery(catalog, { ...keys.get('t_alpha')!, tenant: null }, { dataset, metrics: ['orders'] }));
      expect(err.status).toBe(403);
    }
  });

  it.each(BAD_TENANTS.map((t) => [JSON.stringify(t), t]))('tenant id %s is refused before SQL, for keys and for admins', (_, bad) => {
    for (const dataset of SCOPED) {
      for (const principal of [{ ...keys.get('t_alpha')!, tenant: bad }, { ...admin, tenant: bad }]) {
        const err = thrownGatewayError(() => planQuery(catalog, principal, parseSemanticQuery({ dataset, metrics: ['orders'] })));
        expect([err.status, err.code]).toEqual([403, 'auth.invalid_tenant']);
      }
    }
    // The pool layer checks again: the id would land in a connection setting or a file path.
    const registry = new SourceRegistry(catalog.sources);
    expect(() => registry.executor('per_tenant', bad)).toThrow(GatewayError);
    void registry.close();
  });

  it('a tenant named like a source that datasets read directly cannot use it as its own database', () => {
    // `source: "{tenant}"` picks the source named like the tenant; `main` holds every
    // tenant's shared rows, so a key with `tenant: main` must not read it that way.
    const err = thrownGatewayError(() => prepareQuery(catalog, { ...keys.get('t_alpha')!, tenant: 'main' }, { dataset: 'orders_db_named', metrics: ['orders'] }));
    expect([err.status, err.code]).toEqual([403, 'auth.dataset_unavailable']);
  });

  describe('handcrafted plans with the wrong scope or pool are refused by the compiler', () => {
    const plan = (dataset: string, tenant = 't_alpha'): QueryPlan =>
      prepareQuery(catalog, keys.get(tenant)!, { dataset, metrics: ['orders'] }).plan;
    const refused = (p: QueryPlan): void => {
      for (const e of ENGINES) {
        const err = thrownGatewayError(() => compilePlan(p, dialectFor(e)));
        expect([err.status, err.code]).toEqual([500, 'internal.scope_mismatch']);
      }
    };
    const global: TenantScope = { kind: 'global' };
    const all: TenantScope = { kind: 'all-tenants' };

    it('a tenant-scoped dataset with a global scope, or all tenants outside a shared table', () => {
      for (const dataset of SCOPED) refused({ ...plan(dataset), scope: global });
      for (const dataset of [...LAYOUT_DATASETS.schema, ...LAYOUT_DATASETS.database]) refused({ ...plan(dataset), scope: all });
    });

    it('a global dataset with a tenant scope', () => {
      const p = prepareQuery(catalog, keys.get('t_alpha')!, { dataset: 'channels', metrics: ['channel_count'] }).plan;
      expect(p.scope.kind).toBe('global');
      refused({ ...p, scope: plan('orders_shared').scope });
      refused({ ...p, scope: all });
    });

    it("a database-per-tenant plan whose pool is another tenant's", () => {
      const p = plan('orders_db');
      refused({ ...p, target: { ...p.target, tenant: 't_beta' } });
      refused({ ...p, target: { ...p.target, tenant: null } });
      refused({ ...p, scope: plan('orders_db', 't_beta').scope });
      const named = plan('orders_db_named');
      refused({ ...named, target: { ...named.target, source: 't_beta' } });
      refused({ ...named, target: plan('orders_db', 't_alpha').target });
    });

    it('the unchanged plans compile (the refusals above are about the scope, not the shape)', () => {
      for (const dataset of SCOPED) expect(compilePlan(plan(dataset)).sql).toMatch(/select/i);
    });
  });
});
