/**
 * Whether `failed` of `total` items is a share a shard may complete with: at most `ratio`, and
 * never fewer than one item when the ratio is above 0, so that one bad item in a small shard
 * does not block a run every day; never all of them (that is an outage, not a bad item).
 */
export function withinFailureBudget(failed: number, total: number, ratio: number): boolean {
  if (failed === 0) return true;
  if (ratio <= 0 || failed >= total) return false;
  return failed <= Math.max(1, Math.floor(ratio * total));
}
