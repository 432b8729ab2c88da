export interface RetryDelayOptions {
  /** 1 for the first retry. */
  attempt: number;
  /** What the server asked for in Retry-After, if anything. */
  retryAfterMs?: number;
  baseDelayMs: number;
  maxDelayMs: number;
  random?: () => number;
}

/**
 * How long to wait before a retry. A server's Retry-After is obeyed, plus up to 10 % jitter so
 * that pods told the same thing do not come back in the same instant; otherwise "full jitter"
 * exponential backoff: a random wait between 0 and min(max, base × 2^(attempt-1)).
 */
export function calculateRetryDelay(options: RetryDelayOptions): number {
  const random = options.random ?? Math.random;
  if (options.retryAfterMs !== undefined) {
    return Math.round(options.retryAfterMs + random() * Math.min(1_000, options.retryAfterMs * 0.1));
  }
  const ceiling = Math.min(options.maxDelayMs, options.baseDelayMs * 2 ** (options.attempt - 1));
  return Math.round(random() * ceiling);
}

/** Retry-After as milliseconds: either delta-seconds or an HTTP date. Undefined when absent or unreadable. */
export function parseRetryAfter(header: string | string[] | undefined, now: number = Date.now()): number | undefined {
  const value = Array.isArray(header) ? header[0] : header;
  if (value === undefined || value.trim() === '') return undefined;
  const text = value.trim();
  if (/^\d+(\.\d+)?$/.test(text)) return Math.round(Number(text) * 1000);
  const date = Date.parse(text);
  if (Number.isNaN(date)) return undefined;
  return Math.max(0, date - now);
}
