/**
 * Runs `work` on up to `concurrency` items at once and hands each result to `consume` as soon as
 * it is ready, in completion order: a free slot takes the next item at once, whatever the other
 * items are doing, so one slow or retrying item holds one slot, never the others. `consume` runs
 * one call at a time (a writer needs no lock), and a slot is freed only once its result is
 * consumed, so memory holds at most `concurrency` results. Items are read lazily from `items`.
 *
 * The first failure (of `work`, `consume`, the iterator or the signal) stops new items from
 * starting; the items already running are waited for, then it is thrown.
 */
export async function forEachCompleted<T, R>(
  items: Iterable<T> | AsyncIterable<T>,
  concurrency: number,
  work: (item: T, index: number) => Promise<R>,
  consume: (result: R, item: T, index: number) => Promise<void> | void,
  signal?: AbortSignal,
): Promise<void> {
  if (!Number.isInteger(concurrency) || concurrency < 1) throw new RangeError(`concurrency must be a whole number ≥ 1, got ${concurrency}`);
  const iterator = iteratorOf(items);
  let nextIndex = 0;
  let failure: { error: unknown } | undefined;
  let consuming: Promise<void> = Promise.resolve();
  const consumeInTurn = (result: R, item: T, index: number): Promise<void> => {
    const turn = consuming.then(() => consume(result, item, index));
    consuming = turn.catch(() => undefined);
    return turn;
  };
  const lane = async (): Promise<void> => {
    try {
      while (!failure) {
        signal?.throwIfAborted();
        const next = await iterator.next();
        if (next.done || failure) return;
        const index = nextIndex++;
        const result = await work(next.value, index);
        signal?.throwIfAborted();
        await consumeInTurn(result, next.value, index);
      }
    } catch (error) {
      failure ??= { error };
    }
  };
  await Promise.all(Array.from({ length: concurrency }, lane));
  if (failure) {
    await Promise.resolve(iterator.return?.()).catch(() => undefined);
    throw failure.error;
  }
}

function iteratorOf<T>(items: Iterable<T> | AsyncIterable<T>): AsyncIterator<T> | Iterator<T> {
  return Symbol.asyncIterator in items ? items[Symbol.asyncIterator]() : (items as Iterable<T>)[Symbol.iterator]();
}
