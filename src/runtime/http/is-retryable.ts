/** Statuses worth another try: rate limited, or a server-side failure that may pass. */
export function isRetryableStatus(status: number): boolean {
  return status === 429 || status === 500 || status === 502 || status === 503 || status === 504;
}

const RETRYABLE_CODES = new Set([
  'ECONNRESET',
  'ECONNREFUSED',
  'ECONNABORTED',
  'EPIPE',
  'ETIMEDOUT',
  'ENOTFOUND',
  'EAI_AGAIN',
  'ENETUNREACH',
  'EHOSTUNREACH',
  'ERR_GOT_REQUEST_ERROR',
  'UND_ERR_SOCKET',
]);

/** Network-level failures (reset, refused, timed out, truncated) are retried; programming errors are not. */
export function isRetryableError(error: unknown): boolean {
  if (typeof error !== 'object' || error === null) return false;
  const name = 'name' in error ? String(error.name) : '';
  if (name === 'TimeoutError' || name === 'ReadError' || name === 'RequestError') return true;
  const code = 'code' in error ? String(error.code) : '';
  return RETRYABLE_CODES.has(code);
}
