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
