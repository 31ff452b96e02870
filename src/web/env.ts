import type { Principal } from '../query/types.ts';
import type { Gateway, GatewayState } from '../service/gateway.ts';
import type { Timings } from './frame.ts';

/** What a handler learned about a request, for the audit line. */
export interface RequestDetail {
  dataset?: string;
  dimensions?: string[];
  metrics?: string[];
  filterFields?: string[];
  filterValues?: unknown[];
  rows?: number;
  /** Bytes of the body, or a promise of them for a streamed body. */
  bytes?: number | Promise<number>;
  /** How a streamed body ended (set before `bytes` resolves): `aborted` when the client left. */
  outcome?: 'ok' | 'aborted' | 'failed';
  cacheHit?: boolean;
  /** The key or guest token an admin call acted on (its id, never the key). */
  target?: string;
  /** Whether the compiled SQL came from the compiled-SQL cache. */
  compile?: 'hit' | 'miss' | 'uncached';
}

/** Typed `c.get()` / `c.set()` of the gateway's middleware (hono's typed context). */
export interface GatewayEnv {
  Variables: {
    requestId: string;
    /** Headers every answer gets, applied once at the end (`setHeader` in frame.ts). */
    outHeaders: Record<string, string>;
    timings: Timings;
    /** The Response `respond` made, which already carries every header of the answer. */
    complete?: Response;
    gateway: Gateway;
    /** The configuration this request started with: a reload never changes it mid-request. */
    state: GatewayState;
    principal?: Principal;
    /** Set by the auth middleware: this request reached authentication, so it is audited. */
    audited?: boolean;
    detail?: RequestDetail;
  };
}
