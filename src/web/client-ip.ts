import { BlockList, isIP } from 'node:net';
import { getConnInfo } from '@hono/node-server/conninfo';
import type { Context } from 'hono';

const lists = new WeakMap<readonly string[], BlockList>();

function trustedList(proxies: readonly string[]): BlockList {
  let list = lists.get(proxies);
  if (!list) {
    list = new BlockList();
    for (const p of proxies) {
      const [addr, bits] = p.split('/');
      const type = isIP(addr!) === 6 ? 'ipv6' : 'ipv4';
      if (bits === undefined) list.addAddress(addr!, type);
      else list.addSubnet(addr!, Number(bits), type);
    }
    lists.set(proxies, list);
  }
  return list;
}

function trusted(list: BlockList, ip: string): boolean {
  const type = isIP(ip);
  return type !== 0 && list.check(ip, type === 6 ? 'ipv6' : 'ipv4');
}

/**
 * The caller's address. X-Forwarded-For is believed only from configured proxies: walking
 * it from the right, the first address that is not a trusted proxy is the client.
 */
export function clientIp(c: Context, proxies: readonly string[]): string | null {
  let remote: string | null = null;
  try {
    remote = getConnInfo(c).remote.address ?? null;
  } catch {
    return null; // an in-process request (tests) has no socket
  }
  if (remote === null || proxies.length === 0) return remote;
  const list = trustedList(proxies);
  if (!trusted(list, remote)) return remote;
  const hops = (c.req.header('x-forwarded-for') ?? '').split(',').map((s) => s.trim()).filter(Boolean);
  for (let i = hops.length - 1; i >= 0; i--) {
    if (!trusted(list, hops[i]!)) return isIP(hops[i]!) ? hops[i]! : remote;
  }
  return hops[0] ?? remote;
}

/** Whether the direct peer is one of the trusted proxies (so its X-Forwarded-* headers count). */
export function fromTrustedProxy(c: Context, proxies: readonly string[]): boolean {
  if (proxies.length === 0) return false;
  try {
    const remote = getConnInfo(c).remote.address;
    return remote !== undefined && trusted(trustedList(proxies), remote);
  } catch {
    return false;
  }
}
