import type { Catalog, Dataset } from '../catalog/types.ts';
import { GatewayError, forbidden } from '../errors.ts';
import { resolveField } from './fields.ts';
import { toCondition } from './filters.ts';
import type { Condition, PlannedField, Principal } from './types.ts';

/**
 * A token's row filters (`Principal.filters`, from a JWT or a guest token) as conditions on
 * the queried dataset, resolved with the principal's own rights. The planner ANDs them into
 * the WHERE of every query, whatever the front door (REST, OData rows, `$count`, `$apply`),
 * so they can only narrow. Fail closed: a filter that cannot apply to this dataset (no such
 * field, a field the role may not see, a metric, a value of the wrong type) refuses the
 * dataset with a 403 that says why; it is never dropped.
 */
export function tokenConditions(catalog: Catalog, ds: Dataset, principal: Principal): Condition[] {
  const filters = principal.filters;
  if (filters === undefined || filters.length === 0) return [];
  return filters.map((f, i) => {
    const path = `token.filters[${i}]`;
    const resolve = (name: string, at: string): PlannedField => {
      const field = resolveField(catalog, ds, principal, name, at);
      // A condition on a metric would pick groups after aggregation, not rows: no narrowing.
      if (field.kind !== 'dimension') throw forbidden('token_filter', `'${name}' is a metric; a token's filters apply to dimensions.`);
      return field;
    };
    try {
      return toCondition(f, resolve, path);
    } catch (err) {
      if (!(err instanceof GatewayError)) throw err;
      throw forbidden('token_filter',
        `This token's filter ${path} cannot apply to dataset '${ds.name}', so the dataset is refused (a token's filters are never ignored): ${err.message}`,
        { field: path });
    }
  });
}
