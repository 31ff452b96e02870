import type { Catalog, Dataset, Ident, SourceType } from '../catalog/types.ts';
import { TENANT_ID_PATTERN } from '../catalog/types.ts';
import { TENANT_PLACEHOLDER } from '../catalog/rules.ts';
import { GatewayError, badQuery, forbidden } from '../errors.ts';
import type { Principal, TenantScope } from './types.ts';

export interface ResolvedScope {
  readonly scope: TenantScope;
  readonly target: { readonly source: string; readonly tenant: string | null; readonly type: SourceType };
}

function tenantScope(catalog: Catalog, tenant: string): TenantScope {
  // Checked here as well as at auth: a tenant id reaches SQL only as a parameter or a
  // quoted schema name, and both must match the pattern.
  if (!TENANT_ID_PATTERN.test(tenant)) throw forbidden('invalid_tenant', 'The tenant id is not valid.');
  const schema = catalog.tenants.get(tenant)?.schema ?? tenant;
  if (!TENANT_ID_PATTERN.test(schema)) throw new GatewayError('catalog.invalid_schema', 500, 'The tenant schema is misconfigured.');
  return Object.freeze({ kind: 'tenant' as const, tenant, schema: schema as Ident });
}

const directlyNamed = new WeakMap<Catalog, ReadonlySet<string>>();

/** Whether some dataset names the source itself rather than through `{tenant}` (worked out once per catalog). */
function namedDirectly(catalog: Catalog, sourceName: string): boolean {
  let names = directlyNamed.get(catalog);
  if (!names) {
    names = new Set([...catalog.datasets.values()].map((d) => d.source));
    directlyNamed.set(catalog, names);
  }
  return names.has(sourceName);
}

/**
 * The one place where a principal's tenant becomes a predicate, a schema or a pool, for
 * every dataset a query reads (`datasets[0]` is the queried one; the others are reached by
 * joins, on the same source). Non-admin keys always carry a tenant (the loader refuses
 * otherwise); an admin without one reads all tenants only when every tenant-scoped dataset
 * is a shared table (`{tenant_id}` in an `sql:` has no "all tenants"), and must name a
 * tenant otherwise. Datasets of every tenant (`rls: none`) need no tenant.
 */
export function resolveTenantScope(catalog: Catalog, datasets: readonly Dataset[], principal: Principal): ResolvedScope {
  const ds = datasets[0]!;
  const scoped = datasets.filter((d) => d.layout.kind !== 'global');
  let scope: TenantScope;
  if (scoped.length === 0) {
    scope = { kind: 'global' };
  } else if (principal.tenant !== null) {
    scope = tenantScope(catalog, principal.tenant);
  } else if (principal.isAdmin) {
    const needsOne = scoped.find((d) => d.layout.kind !== 'shared' || d.sqlUsesTenantId);
    if (needsOne === undefined) {
      scope = { kind: 'all-tenants' };
    } else {
      const why = needsOne.layout.kind === 'schema' ? 'keeps each tenant in its own schema'
        : needsOne.layout.kind === 'database' ? 'keeps each tenant in its own database'
          : 'reads its tables for one tenant at a time ({tenant_id} in its sql)';
      throw badQuery('tenant_required',
        `Dataset '${needsOne.name}' ${why}: an admin key must name one tenant with the X-Tenant-Id header.`,
        { field: 'X-Tenant-Id' });
    }
  } else {
    throw forbidden('no_tenant', 'This key has no tenant.');
  }

  const tenant = scope.kind === 'tenant' ? scope.tenant : null;
  const sourceName = ds.source === TENANT_PLACEHOLDER ? tenant : ds.source;
  const source = sourceName === null ? undefined : catalog.sources.get(sourceName);
  // Database per tenant by source name: this tenant has no database configured, or the
  // source named like it is one that datasets read directly (a tenant id equal to a shared
  // source's name would otherwise read that source: every tenant's rows).
  if (!source || (ds.source === TENANT_PLACEHOLDER && namedDirectly(catalog, source.name))) {
    throw forbidden('dataset_unavailable', `Dataset '${ds.name}' is not available for this tenant.`);
  }
  // Joins across sources are a load error; checked again here, where a pool is chosen.
  if (datasets.some((d) => d.source !== ds.source)) {
    throw new GatewayError('internal.scope_mismatch', 500, 'The query could not be scoped to one source.');
  }
  return Object.freeze({
    scope: Object.freeze(scope),
    target: Object.freeze({ source: source.name, tenant: source.perTenant ? tenant : null, type: source.type }),
  });
}
