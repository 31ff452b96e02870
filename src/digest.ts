import { hash } from 'node:crypto';

/** SHA-256 of a text: key digests (never the key itself is kept), skiptoken secrets. */
export function sha256(text: string): Buffer {
  return hash('sha256', text, 'buffer');
}
