/**
 * Runs `work` on up to `concurrency` items at once and hands the results to `consume` in the
 * items' order, for outputs whose order is part of their meaning (the first occurrence of a key
 * wins). A free slot starts the next item at once as long as it is fewer than `window` items
 * ahead of the oldest result not yet consumed, so a slow item stalls the others only once the
 * window is full; memory holds at most `window` results. `window` ≥ `concurrency`.
 */
export async function forEachInOrder<T, R>(
  items: Iterable<T> | AsyncIterable<T>,
  limits: { concurrency: number; window: number },
  work: (item: T, index: number) => Promise<R>,
  consume: (result: R, item: T, index: number) => Promise<void> | void,
  signal?: AbortSignal,
): Promise<void> {
  const { concurrency, window } = limits;
  if (!Number.isInteger(concurrency) || concurrency < 1) throw new RangeError(`concurrency must be a whole number ≥ 1, got ${concurrency}`);
  if (!Number.isInteger(window) || window < concurrency) throw new RangeError(`the reorder window (${window}) must be a whole number ≥ the concurrency (${concurrency})`);
  const started: Array<{ item: T; index: number; result: Promise<R>; settled: boolean }> = [];
  const running = new Set<Promise<unknown>>();
  let index = 0;
  const consumeOldest = async () => {
    const oldest = started.shift()!;
    await consume(await oldest.result, oldest.item, oldest.index);
  };
  try {
    for await (const item of items) {
      signal?.throwIfAborted();
      const result = work(item, index);
      // Marked handled here; the rejection still reaches the await in consumeOldest.
      result.catch(() => undefined);
      const entry = { item, index, result, settled: false };
      const settled: Promise<void> = result.then(
        () => undefined,
        () => undefined,
      ).finally(() => {
        entry.settled = true;
        running.delete(settled);
      });
      running.add(settled);
      started.push(entry);
      index += 1;
      // Consume what is ready in order; then wait for a free slot, or for the oldest when the window is full.
      for (;;) {
        while (started.length > 0 && started[0]!.settled) await consumeOldest();
        if (started.length >= window) await consumeOldest();
        else if (running.size >= concurrency) await Promise.race(running);
        else break;
      }
    }
    while (started.length > 0) await consumeOldest();
  } finally {
    // Never leave work running behind a failure.
    await Promise.allSettled(started.map((entry) => entry.result));
  }
}
