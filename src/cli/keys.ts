import { randomBytes } from 'node:crypto';
import { sha256 } from '../digest.ts';
import { TENANT_ID_PATTERN } from '../catalog/types.ts';

/**
 * `semgate keys create`: a new random key, printed once, and the api-keys.yaml entry
 * that stores only its hash.
 */
export function createKey(opts: { tenant?: string | undefined; role: string; expires?: string | undefined; description?: string | undefined }): string {
  if (opts.role !== 'admin' && !opts.tenant) throw new Error('--tenant is required for every role but admin');
  if (opts.tenant && !TENANT_ID_PATTERN.test(opts.tenant)) throw new Error('--tenant must match ^[A-Za-z0-9_-]{1,64}$');
  if (!/^[a-z][a-z0-9_]*$/.test(opts.role)) throw new Error('--role must match ^[a-z][a-z0-9_]*$');
  if (opts.expires !== undefined && Number.isNaN(Date.parse(opts.expires))) throw new Error('--expires must be an ISO 8601 date or timestamp');
  const key = `sg_${randomBytes(32).toString('base64url')}`;
  const entry = [
    `  - key_hash: "sha256:${sha256(key).toString('hex')}"`,
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
