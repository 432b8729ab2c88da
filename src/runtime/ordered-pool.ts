/**
 * Runs `work` on up to `concurrency` items at once and hands the results to `consume` in the
 * items' order, so outputs are deterministic while requests overlap. Memory holds at most
 * `concurrency` results.
 */
export async function forEachOrdered<T, R>(
  items: Iterable<T> | AsyncIterable<T>,
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
  for await (const item of items) {
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

/** Groups an async stream into arrays of at most `size`, without holding more than one group. */
export async function* batches<T>(items: AsyncIterable<T>, size: number): AsyncGenerator<T[]> {
  let batch: T[] = [];
  for await (const item of items) {
    batch.push(item);
    if (batch.length >= size) {
      yield batch;
      batch = [];
    }
  }
  if (batch.length > 0) yield batch;
}
