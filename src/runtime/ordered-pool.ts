/**
 * Runs `work` on up to `concurrency` items at once and hands the results to `consume` in the
 * items' order, so outputs are deterministic while requests overlap. Memory holds at most
 * `concurrency` results.
 */
export async function forEachOrdered<T, R>(
  items: Iterable<T>,
  concurrency: number,
  work: (item: T, index: number) => Promise<R>,
  consume: (result: R, item: T, index: number) => Promise<void> | void,
  signal?: AbortSignal,
): Promise<void> {
  const inFlight: Array<{ item: T; index: number; result: Promise<R> }> = [];
  let index = 0;
  const drainOne = async () => {
    const head = inFlight.shift();
    if (head) await consume(await head.result, head.item, head.index);
  };
  for (const item of items) {
    signal?.throwIfAborted();
    const result = work(item, index);
    // Marked handled here; the rejection still reaches the await in drainOne.
    result.catch(() => undefined);
    inFlight.push({ item, index, result });
    index += 1;
    if (inFlight.length >= concurrency) await drainOne();
  }
  while (inFlight.length > 0) await drainOne();
}

/** Splits a list into consecutive chunks of at most `size`. */
export function chunk<T>(items: readonly T[], size: number): T[][] {
  const chunks: T[][] = [];
  for (let i = 0; i < items.length; i += size) chunks.push(items.slice(i, i + size));
  return chunks;
}
