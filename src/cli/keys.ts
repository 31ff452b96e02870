import { randomUUID } from 'node:crypto';
import { pino } from 'pino';
import { auditLogFor, type AuditEvent } from '../audit/index.ts';
import { createStoreKey, KEY_ID, listKeys, MAX_GRACE_SECONDS, requireStore, revokeStoreKey, rotateStoreKey } from '../auth/key-admin.ts';
import { KeyStore, newSecret, type KeyInfo } from '../auth/key-store.ts';
import { TENANT_ID_PATTERN, type Catalog } from '../catalog/types.ts';

/**
 * `semgate keys create` without a key store: a new random key, printed once, and the
 * api-keys.yaml entry that stores only its hash.
 */
export function createKey(opts: { tenant?: string | undefined; role: string; expires?: string | undefined; description?: string | undefined }): string {
  if (opts.role !== 'admin' && !opts.tenant) throw new Error('--tenant is required for every role but admin');
  if (opts.tenant && !TENANT_ID_PATTERN.test(opts.tenant)) throw new Error('--tenant must match ^[A-Za-z0-9_-]{1,64}$');
  if (!/^[a-z][a-z0-9_]*$/.test(opts.role)) throw new Error('--role must match ^[a-z][a-z0-9_]*$');
  if (opts.expires !== undefined && Number.isNaN(Date.parse(opts.expires))) throw new Error('--expires must be an ISO 8601 date or timestamp');
  const { key, hash } = newSecret();
  const entry = [
    `  - key_hash: "sha256:${hash.toString('hex')}"`,
    ...(opts.tenant ? [`    tenant: ${opts.tenant}`] : []),
    `    role: ${opts.role}`,
    ...(opts.expires ? [`    expires_at: ${new Date(opts.expires).toISOString()}`] : []),
    ...(opts.description ? [`    description: ${JSON.stringify(opts.description)}`] : []),
  ];
  return [
    `New key (shown once, store it now): ${key}`,
    '',
    'Paste under api_keys: in api-keys.yaml:',
    ...entry,
  ].join('\n');
}

export interface KeysOptions {
  tenant?: string | undefined;
  role?: string | undefined;
  expires?: string | undefined;
  description?: string | undefined;
  rateLimit?: string | undefined;
  datasets?: string | undefined;
  grace?: string | undefined;
  limit?: string | undefined;
  after?: string | undefined;
  json?: boolean | undefined;
}

const USAGE = 'usage: semgate keys init | create --role R [--tenant T] [--expires ISO] [--description TEXT] [--rate-limit N/minute] [--datasets a,b]'
  + ' | list [--tenant T] [--limit N] [--after ID] | rotate ID [--grace SECONDS] | revoke ID';

function lines(keys: readonly KeyInfo[]): string {
  if (keys.length === 0) return '(no keys)';
  return keys.map((k) => [k.id, k.source, k.tenant ?? '(all tenants)', k.role, k.enabled ? (k.expires_at ? `expires ${k.expires_at}` : 'active') : 'revoked',
    k.last_used_at ? `last used ${k.last_used_at}` : '', k.description ?? ''].filter((x) => x !== '').join('  ')).join('\n');
}

/**
 * `semgate keys init|create|list|rotate|revoke`: against the key store when api-keys.yaml
 * configures one (each change writes an audit line naming the key id, never the key).
 * Returns the exit code.
 */
export async function keysCommand(catalog: Catalog | null, sub: string | undefined, args: readonly string[], o: KeysOptions, out: (s: string) => void): Promise<number> {
  if (!catalog) {
    // Without a configuration that loads there is no key store: print an entry for the file.
    if (sub !== 'create' || !o.role) throw new Error(`the configuration does not load (see \`semgate validate\`)\n${USAGE}`);
    out(createKey({ role: o.role, tenant: o.tenant, expires: o.expires, description: o.description }));
    return 0;
  }
  const ks = catalog.keyStore;
  const store = ks ? new KeyStore(catalog.sources.get(ks.source)!, ks) : null;
  const audit = auditLogFor(catalog, pino({ level: 'silent' }));
  const record = (action: string, target: string, tenant: string | null): void => void audit.record(cliAuditEvent(action, target, tenant));
  try {
    switch (sub) {
      case 'init':
        await requireStore(store).sql.init(ks!.table.schema as string | null);
        out(`Key store ready: table ${store!.sql.table}.`);
        return 0;
      case 'create': {
        if (!store) {
          if (!o.role) throw new Error(USAGE);
          out(createKey({ role: o.role, tenant: o.tenant, expires: o.expires, description: o.description }));
          return 0;
        }
        const created = await createStoreKey(catalog, store, {
          ...(o.tenant !== undefined && { tenant: o.tenant }), ...(o.role !== undefined && { role: o.role }),
          ...(o.expires !== undefined && { expires_at: o.expires }), ...(o.description !== undefined && { description: o.description }),
          ...(o.rateLimit !== undefined && { rate_limit: o.rateLimit }), ...(o.datasets !== undefined && { allowed_datasets: o.datasets.split(',') }),
        });
        record('cli.keys.create', created.info.id, created.info.tenant);
        out(o.json ? JSON.stringify({ ...created.info, key: created.key, key_hash: created.key_hash }, null, 2)
          : `New key ${created.info.id} for ${created.info.tenant} (${created.info.role}), stored in ${store.sql.table}.\nKey (shown once, store it now): ${created.key}`);
        return 0;
      }
      case 'list': {
        const limit = Number(o.limit ?? 100);
        if (!Number.isInteger(limit) || limit < 1 || limit > 1000) throw new Error('--limit is 1 to 1000');
        const page = await listKeys(catalog, store, { ...(o.tenant !== undefined && { tenant: o.tenant }), limit, ...(o.after !== undefined && { after: o.after }) });
        out(o.json ? JSON.stringify(page, null, 2) : `${lines(page.keys)}${page.next_after ? `\n(more: --after ${page.next_after})` : ''}`);
        return 0;
      }
      case 'rotate': {
        const id = keyIdArg(args[0]);
        const grace = Number(o.grace ?? 0);
        if (!Number.isInteger(grace) || grace < 0 || grace > MAX_GRACE_SECONDS) throw new Error(`--grace is a whole number of seconds from 0 to ${MAX_GRACE_SECONDS}`);
        const { created, old } = await rotateStoreKey(catalog, store, id, grace);
        record('cli.keys.rotate', id, created.info.tenant);
        out(o.json ? JSON.stringify({ ...created.info, key: created.key, key_hash: created.key_hash, replaces: id, replaced_expires_at: old.expires_at }, null, 2)
          : `New key ${created.info.id} replaces ${id} (which works until ${old.expires_at ?? 'now'}).\nKey (shown once, store it now): ${created.key}`);
        return 0;
      }
      case 'revoke': {
        const id = keyIdArg(args[0]);
        const info = await revokeStoreKey(catalog, store, id);
        record('cli.keys.revoke', id, info.tenant);
        out(o.json ? JSON.stringify(info, null, 2) : `Key ${id} revoked.`);
        return 0;
      }
      default:
        throw new Error(USAGE);
    }
  } finally {
    await audit.close();
    await store?.close();
  }
}

function keyIdArg(id: string | undefined): string {
  if (id === undefined || !KEY_ID.test(id)) throw new Error(`give the key id (k_ and 12 hex digits, from \`semgate keys list\`)\n${USAGE}`);
  return id;
}

function cliAuditEvent(action: string, target: string, tenant: string | null): AuditEvent {
  return {
    ts: new Date().toISOString(), request_id: randomUUID(), key_id: null, tenant, role: 'admin', client_ip: null, action,
    dataset: null, dimensions: [], metrics: [], filter_fields: [], status: 200, rows: null, bytes: null, cache_hit: null,
    duration_ms: 0, target_key_id: target,
  };
}
