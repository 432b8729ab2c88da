/** A share and its confidence interval. */
export interface ShareInterval {
  share: number;
  lower: number;
  upper: number;
}

/** z for a two-sided 95 % interval. */
export const Z_95 = 1.959963984540054;

/**
 * The Wilson score interval of `hits` out of `n`: unlike share ± z·√(p(1−p)/n), it stays
 * within [0, 1] and keeps its coverage when the share is near 0, as a stale share usually is.
 * Undefined when n is 0.
 */
export function wilsonInterval(hits: number, n: number, z = Z_95): ShareInterval | undefined {
  if (n <= 0) return undefined;
  const share = hits / n;
  const z2 = z * z;
  const denominator = 1 + z2 / n;
  const centre = (share + z2 / (2 * n)) / denominator;
  const half = (z / denominator) * Math.sqrt((share * (1 - share)) / n + z2 / (4 * n * n));
  // Exactly 0 (or 1) at the ends, not a rounding error away from them.
  return { share, lower: hits === 0 ? 0 : Math.max(0, centre - half), upper: hits === n ? 1 : Math.min(1, centre + half) };
}
