import type { TimingVariables } from 'hono/timing';
import type { Principal } from '../query/types.ts';
import type { Gateway } from '../service/gateway.ts';

/** Typed `c.get()` / `c.set()` of the gateway's middleware (hono's typed context). */
export interface GatewayEnv {
  Variables: TimingVariables & {
    requestId: string;
    gateway: Gateway;
    principal?: Principal;
    /** What the request was about, for the log line (and audit, later). */
    dataset?: string;
  };
}
