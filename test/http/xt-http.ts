/**
 * The wire side of the HTTP injection test: a raw HTTP/1.1 client (fetch refuses CR, LF,
 * NUL and non-Latin-1 header values, and invalid UTF-8 paths, which are the point here), a
 * small concurrency pool, and the verdict on one response: never a 5xx, a 4xx is a clean
 * problem+json, and a 200 holds no more than the key's own tenant has.
 */
import net from 'node:net';
import { parseCsv } from './xt-oracle.ts';

export interface WireResult { status: number; headers: Map<string, string>; text: string; body: any }

export interface WireRequest {
  method: string;
  /** Sent byte for byte: a string is UTF-8 encoded, nothing is escaped. */
  path: string | Buffer;
  headers?: [string, string | Buffer][];
  body?: Buffer;
  chunked?: boolean;
}

function decodeChunked(buf: Buffer): Buffer {
  const parts: Buffer[] = [];
  let at = 0;
  for (;;) {
    const eol = buf.indexOf('\r\n', at);
    if (eol < 0) break;
    const size = parseInt(buf.subarray(at, eol).toString('latin1'), 16);
    if (!(size > 0)) break;
    parts.push(buf.subarray(eol + 2, eol + 2 + size));
    at = eol + 2 + size + 2;
  }
  return Buffer.concat(parts);
}

/** One request on its own connection (Connection: close); the first response is parsed. */
export function wire(port: number, req: WireRequest, timeoutMs = 15_000): Promise<WireResult> {
  const head: Buffer[] = [Buffer.from(`${req.method} `), Buffer.from(req.path), Buffer.from(' HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n')];
  for (const [name, value] of req.headers ?? []) head.push(Buffer.from(`${name}: `), Buffer.from(value), Buffer.from('\r\n'));
  if (req.body !== undefined) head.push(Buffer.from(req.chunked ? 'Transfer-Encoding: chunked\r\n' : `Content-Length: ${req.body.length}\r\n`));
  head.push(Buffer.from('\r\n'));
  if (req.body !== undefined) {
    if (req.chunked) {
      for (let i = 0; i < req.body.length; i += 65_536) {
        const chunk = req.body.subarray(i, i + 65_536);
        head.push(Buffer.from(`${chunk.length.toString(16)}\r\n`), chunk, Buffer.from('\r\n'));
      }
      head.push(Buffer.from('0\r\n\r\n'));
    } else head.push(req.body);
  }
  return new Promise((resolve, reject) => {
    const socket = net.connect({ host: '127.0.0.1', port });
    const data: Buffer[] = [];
    const timer = setTimeout(() => { socket.destroy(); reject(new Error('no response within the timeout')); }, timeoutMs);
    const finish = (): void => {
      clearTimeout(timer);
      const all = Buffer.concat(data);
      const split = all.indexOf('\r\n\r\n');
      if (split < 0) { reject(new Error(`no HTTP response (${all.length} bytes)`)); return; }
      const [statusLine, ...lines] = all.subarray(0, split).toString('latin1').split('\r\n');
      const headers = new Map<string, string>();
      for (const line of lines) headers.set(line.slice(0, line.indexOf(':')).toLowerCase(), line.slice(line.indexOf(':') + 1).trim());
      let raw: Buffer = all.subarray(split + 4);
      if (headers.get('transfer-encoding') === 'chunked') raw = decodeChunked(raw);
      else if (headers.has('content-length')) raw = raw.subarray(0, Number(headers.get('content-length')));
      const text = raw.toString('utf8');
      let body: unknown = text;
      if ((headers.get('content-type') ?? '').includes('json') && text !== '') {
        try { body = JSON.parse(text); } catch { body = text; }
      }
      resolve({ status: Number(statusLine!.split(' ')[1]), headers, text, body });
    };
    socket.on('data', (d) => data.push(d));
    socket.on('end', finish);
    // The server may answer (413) and close before it has read the whole body.
    socket.on('error', () => (data.length > 0 ? finish() : undefined));
    socket.on('close', () => (data.length > 0 ? undefined : (clearTimeout(timer), reject(new Error('connection closed without a response')))));
    socket.write(Buffer.concat(head));
  });
}

/** Percent-encodes every byte but the unreserved ones (lone surrogates become U+FFFD). */
export function pct(s: string): string {
  let out = '';
  for (const byte of Buffer.from(s, 'utf8')) {
    const ch = String.fromCharCode(byte);
    out += /[A-Za-z0-9\-._~]/.test(ch) ? ch : `%${byte.toString(16).toUpperCase().padStart(2, '0')}`;
  }
  return out;
}


/** A tenant's raw per-region sums: no answer of its key may exceed them. */
export interface Bounds { byRegion: Map<string | null, Record<string, number>>; total: Record<string, number> }
export const BOUNDED_METRICS = ['revenue', 'order_count', 'units'] as const;

export interface Verdict {
  /** Another tenant's ids, which no response may name (beyond the request's own echo). */
  others: readonly string[];
  /** Text the request carried, which an error may quote back. */
  echo: readonly string[];
  bounds: Bounds | null;
}

// SQL shapes rather than words, so English in a message is not a leak; and stack traces.
const LEAKS = /\bselect\b[\s\S]{0,400}\bfrom\b|\bgroup by \d|\$\d\b|["`]t["`]\.|\n\s+at |\.ts:\d+|node:internal|\w+Error:/i;

function strings(v: unknown): string[] {
  if (typeof v === 'string') return [v];
  if (Array.isArray(v)) return v.flatMap(strings);
  if (v !== null && typeof v === 'object') return Object.values(v).flatMap(strings);
  return [];
}

/** Rows of a 200 as [column names, rows], from JSON or CSV. */
function table(res: WireResult): [string[], unknown[][]] | null {
  if (typeof res.body === 'object' && res.body !== null && Array.isArray(res.body.columns)) {
    return [(res.body.columns as { name: string }[]).map((c) => c.name), res.body.rows as unknown[][]];
  }
  if ((res.headers.get('content-type') ?? '').startsWith('text/csv')) {
    const [header, ...rows] = parseCsv(res.text);
    return [header ?? [], rows.map((r) => r.map((c) => (c === '' ? null : c)))];
  }
  return null;
}

/** Null when the response is acceptable, else what is wrong with it. */
export function verdict(res: WireResult, v: Verdict): string | null {
  if (res.status >= 500 || res.status < 100) return `status ${res.status}: ${res.text.slice(0, 200)}`;
  if (res.status >= 400) {
    if (res.headers.get('content-type') !== 'application/problem+json') return `${res.status} as ${res.headers.get('content-type')}: ${res.text.slice(0, 100)}`;
    if (res.body?.status !== res.status || typeof res.body.detail !== 'string') return `${res.status} body is no problem: ${res.text.slice(0, 200)}`;
  }
  let text = (res.status >= 400 ? strings(res.body) : [res.text]).join('\n');
  for (const e of v.echo) for (const cut of [e, e.slice(0, 40), e.slice(0, 64), e.slice(0, 128), e.slice(0, 200)]) if (cut.length > 0) text = text.split(cut).join('');
  if (res.status >= 400 && LEAKS.test(text)) return `${res.status} shows SQL or a stack: ${text.slice(0, 300)}`;
  for (const o of v.others) if (text.includes(o)) return `${res.status} names tenant ${o}: ${text.slice(0, 300)}`;
  const t = res.status === 200 && v.bounds ? table(res) : null;
  if (t && v.bounds) {
    const [cols, rows] = t;
    const region = cols.indexOf('region');
    const sums = new Map<string | null, Record<string, number>>();
    for (const row of rows) {
      const key = region < 0 ? '*' : (row[region] as string | null);
      if (region >= 0 && !v.bounds.byRegion.has(key)) return `region ${String(key)} is not the tenant's`;
      const s = sums.get(key) ?? {};
      for (const m of BOUNDED_METRICS) if (cols.includes(m)) s[m] = (s[m] ?? 0) + Number(row[cols.indexOf(m)] ?? 0);
      sums.set(key, s);
    }
    for (const [key, s] of sums) {
      const bound = key === '*' ? v.bounds.total : v.bounds.byRegion.get(key)!;
      for (const [m, x] of Object.entries(s)) if (x > bound[m]! + 0.005) return `${m} ${x} in region ${String(key)} exceeds the tenant's ${bound[m]}`;
    }
  }
  return null;
}
