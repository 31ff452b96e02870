/** Waiting in tests without ever asserting on time: poll until true, or fail a request that hangs. */

/** Polls `check` until it is true or `ms` pass; returns its last value. */
export async function eventually(check: () => Promise<boolean> | boolean, ms = 15_000, every = 100): Promise<boolean> {
  const end = Date.now() + ms;
  for (;;) {
    if (await check()) return true;
    if (Date.now() > end) return false;
    await new Promise((r) => setTimeout(r, every));
  }
}

/** Runs `work` and fails the test if it has not answered after `ms`: nothing may hang. */
export async function within<T>(ms: number, work: Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const hang = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${ms} ms: the request hangs`)), ms);
  });
  try {
    return await Promise.race([work, hang]);
  } finally {
    clearTimeout(timer);
  }
}
