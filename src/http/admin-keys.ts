/**
 * The admin API of keys and guest tokens (shared spec http-api.md): create, list, rotate and
 * revoke keys of the key store, and mint guest tokens for embedding. Mounted by restRoutes,
 * under its `/v1/*` guard. Each call's audit line names the key id it acted on (`target`),
 * never a key; a new key's plaintext is in its 201 answer only.
 */
import { Hono, type Context } from 'hono';
import { createStoreKey, KEY_ID, listKeys, MAX_GRACE_SECONDS, revokeStoreKey, rotateStoreKey } from '../auth/key-admin.ts';
import { mintGuestToken } from '../auth/provision.ts';
import { TENANT_ID_PATTERN } from '../catalog/types.ts';
import { isJsonObject, notAnObject } from '../query/parse.ts';
import { GatewayError, badQuery } from '../errors.ts';
import { requireAdmin } from '../web/guard.ts';
import type { GatewayEnv } from '../web/env.ts';
import { detailOf, readJsonBody, sendJson } from '../web/body.ts';

const LIST_DEFAULT = 100;
const LIST_MAX = 1000;

function idParam(c: Context<GatewayEnv>): string {
  const id = c.req.param('id') ?? '';
  if (!KEY_ID.test(id)) throw badQuery('invalid', 'A key id looks like k_ followed by 12 hex digits.', { field: 'id' });
  detailOf(c).target = id;
  return id;
}

/** `{"grace_seconds": N}`, or no body for no grace. */
async function graceOf(c: Context<GatewayEnv>): Promise<number> {
  const body = (await c.req.text()).trim() === '' ? {} : await readJsonBody(c);
  if (!isJsonObject(body)) throw badQuery('invalid', notAnObject(body, 'The body', `"grace_seconds": N, N from 0 to ${MAX_GRACE_SECONDS}, or no body`));
  const grace = (body as { grace_seconds?: unknown } | null)?.grace_seconds ?? 0;
  if (body === null || typeof body !== 'object' || Array.isArray(body) || Object.keys(body).some((k) => k !== 'grace_seconds')
    || typeof grace !== 'number' || !Number.isInteger(grace) || grace < 0 || grace > MAX_GRACE_SECONDS) {
    throw badQuery('invalid', `The body is {"grace_seconds": N}, N from 0 to ${MAX_GRACE_SECONDS}: how long the old key keeps working.`, { field: 'grace_seconds' });
  }
  return grace;
}

function listQuery(c: Context<GatewayEnv>): { tenant?: string; source?: 'store' | 'file'; limit: number; after?: string } {
  const q = c.req.query();
  for (const name of Object.keys(q)) {
    if (!['tenant', 'source', 'limit', 'after'].includes(name)) {
      throw badQuery('invalid', `Unknown parameter '${name.slice(0, 40)}': use tenant, source, limit, after.`, { field: name.slice(0, 40) });
    }
  }
  const { tenant, source, after } = q;
  if (tenant !== undefined && !TENANT_ID_PATTERN.test(tenant)) throw badQuery('invalid', '`tenant` is a tenant id.', { field: 'tenant' });
  if (source !== undefined && source !== 'store' && source !== 'file') throw badQuery('invalid', '`source` is store or file.', { field: 'source' });
  const limit = q['limit'] === undefined ? LIST_DEFAULT : Number(q['limit']);
  if (!Number.isInteger(limit) || limit < 1 || limit > LIST_MAX) throw badQuery('invalid', `\`limit\` is 1 to ${LIST_MAX}.`, { field: 'limit' });
  if (after !== undefined && !KEY_ID.test(after)) throw badQuery('invalid', '`after` is a key id, from `next_after`.', { field: 'after' });
  return { ...(tenant !== undefined && { tenant }), ...(source !== undefined && { source }), limit, ...(after !== undefined && { after }) };
}

export function adminKeyRoutes(): Hono<GatewayEnv> {
  const app = new Hono<GatewayEnv>();

  app.post('/v1/admin/keys', async (c) => {
    requireAdmin(c);
    const { catalog, auth } = c.get('state');
    const created = await createStoreKey(catalog, auth.store, await readJsonBody(c));
    detailOf(c).target = created.info.id;
    return sendJson(c, { ...created.info, key: created.key, key_hash: created.key_hash }, 201);
  });

  app.get('/v1/admin/keys', async (c) => {
    requireAdmin(c);
    const { catalog, auth } = c.get('state');
    return sendJson(c, await listKeys(catalog, auth.store, listQuery(c)));
  });

  app.post('/v1/admin/keys/:id/rotate', async (c) => {
    requireAdmin(c);
    const id = idParam(c);
    const { catalog, auth } = c.get('state');
    const { created, old } = await rotateStoreKey(catalog, auth.store, id, await graceOf(c));
    return sendJson(c, { ...created.info, key: created.key, key_hash: created.key_hash, replaces: id, replaced_expires_at: old.expires_at }, 201);
  });

  app.delete('/v1/admin/keys/:id', async (c) => {
    requireAdmin(c);
    const id = idParam(c);
    const { catalog, auth } = c.get('state');
    return sendJson(c, await revokeStoreKey(catalog, auth.store, id));
  });

  app.post('/v1/admin/guest-tokens', async (c) => {
    requireAdmin(c);
    const { catalog } = c.get('state');
    if (!catalog.guestTokens) {
      throw new GatewayError('auth.no_guest_tokens', 409, 'Guest tokens are not enabled: configure `guest_tokens: { secret: ... }` in api-keys.yaml.');
    }
    const minted = await mintGuestToken(catalog.guestTokens, catalog, await readJsonBody(c));
    detailOf(c).target = minted.id;
    return sendJson(c, minted, 201);
  });

  return app;
}
