/** Catching the GatewayError a call must throw, to assert on its status, code and field. */
import { GatewayError } from '../../src/errors.ts';

/** Calls `fn`, which must throw a GatewayError, and returns it (anything else fails the test). */
export function thrownGatewayError(fn: () => unknown): GatewayError {
  try {
    fn();
  } catch (err) {
    if (err instanceof GatewayError) return err;
    throw new Error(`expected a GatewayError, got ${String(err)}`, { cause: err });
  }
  throw new Error('expected a GatewayError, but nothing was thrown');
}

/** Awaits a promise that must reject with a GatewayError, and returns that error. */
export async function gatewayError(p: Promise<unknown>): Promise<GatewayError> {
  try {
    await p;
  } catch (err) {
    if (err instanceof GatewayError) return err;
    throw new Error(`expected a GatewayError, got ${String(err)}`, { cause: err });
  }
  throw new Error('expected the promise to reject');
}
