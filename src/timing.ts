/** Waiting for something that may be away, without waiting forever. */

/** What `settledWithin` gives when `ms` passed first. */
export const LATE: unique symbol = Symbol('late');

/**
 * The value of `work`, or LATE when `ms` pass first (the work goes on; a rejection after
 * that is not an unhandled one). A rejection before then is thrown.
 */
export async function settledWithin<T>(work: Promise<T>, ms: number): Promise<T | typeof LATE> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<typeof LATE>((resolve) => { timer = setTimeout(() => resolve(LATE), ms); timer.unref(); });
  try {
    return await Promise.race([work, late]);
  } finally {
    clearTimeout(timer);
    work.catch(() => undefined);
  }
}

/** The longest delay node's timers take: a longer one fires at once. */
export const MAX_TIMER_MS = 2_147_483_647;

/**
 * A duration in milliseconds from the environment (`fallback` when unset or empty): a whole
 * number a timer can wait for, or an error that names the variable.
 */
export function envMs(env: NodeJS.ProcessEnv, name: string, fallback: number): number {
  const text = env[name];
  if (text === undefined || text === '') return fallback;
  const n = Number(text);
  if (!Number.isInteger(n) || n < 0 || n > MAX_TIMER_MS) throw new Error(`${name} must be a whole number of milliseconds up to ${MAX_TIMER_MS}, not '${text}'`);
  return n;
}
