/** Waiting helpers shared by the layers that talk to something that may be away. */

/** Resolves when `work` settles or after `ms`, whichever comes first (the work goes on). */
export async function untilOrAfter(work: Promise<unknown>, ms: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([work, new Promise<void>((resolve) => { timer = setTimeout(resolve, ms); timer.unref(); })]);
  clearTimeout(timer);
}
