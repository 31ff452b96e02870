import { describe, expect, it } from 'vitest';
import { loadCatalog, REPO_ROOT } from '../helpers/catalog.ts';
import { thrownGatewayError } from '../helpers/errors.ts';
import { MAX_PATTERN } from '../../src/query/values.ts';
import { prepareQuery } from '../../src/service/query.ts';

const catalog = await loadCatalog(REPO_ROOT);
const acme = { keyId: 't', tenant: 'acme_corp', role: 'analyst', isAdmin: false, allowedDatasets: null };

describe('contains / starts_with / ends_with patterns', () => {
  it.each(['contains', 'starts_with', 'ends_with'])('%s takes at most MAX_PATTERN characters (a long pattern costs seconds per request)', (op) => {
    const q = (v: string): unknown => ({ dataset: 'orders', metrics: ['revenue'], filters: [{ field: 'category', op, values: [v] }] });
    expect(() => prepareQuery(catalog, acme, q('x'.repeat(MAX_PATTERN)))).not.toThrow();
    const err = thrownGatewayError(() => prepareQuery(catalog, acme, q('x'.repeat(MAX_PATTERN + 1))));
    expect(err.status).toBe(400);
    expect(err.field).toBe('filters[0].values[0]');
  });
});
