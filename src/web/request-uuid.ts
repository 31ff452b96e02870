import { randomFillSync } from 'node:crypto';
import { v7 } from 'uuid';

/**
 * uuid's v7() asks the OS for 16 random bytes on every call (crypto.getRandomValues), a
 * syscall per request that showed in the gateway's profile. Here the bytes come from a
 * 4 KiB pool refilled at once, and the per-millisecond sequence is kept exactly as uuid
 * keeps it (random start each millisecond, +1 within it), so ids stay UUIDv7 and ordered.
 */
const pool = new Uint8Array(4096);
let used = pool.length;
let lastMs = -Infinity;
let seq = 0;

export function requestUuid(): string {
  if (used + 16 > pool.length) {
    randomFillSync(pool);
    used = 0;
  }
  const random = pool.subarray(used, (used += 16));
  const now = Date.now();
  if (now > lastMs) {
    lastMs = now;
    seq = ((random[6]! & 0x7f) << 24) | (random[7]! << 16) | (random[8]! << 8) | random[9]!;
  } else {
    seq = (seq + 1) | 0;
    if (seq === 0) lastMs++; // sequence wrapped: borrow the next millisecond, as uuid does
  }
  return v7({ random, msecs: lastMs, seq });
}
