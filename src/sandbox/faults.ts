/** Misbehaviours the sandbox can be asked for, to test the client against what the real API does. */
export interface SandboxFaults {
  /** Added to every API and image answer. */
  latencyMs: number;
  /** The API's request budget per second (login, search, ean); 0 = none. Over it: 429 + Retry-After. */
  rateLimit: number;
  /** After every `throttleEvery` API requests, the next `throttleBurst` get 429 (a burst of throttling). */
  throttleEvery: number;
  throttleBurst: number;
  /** Retry-After (seconds) sent with 429 and 503. */
  retryAfterSeconds: number;
  /** Fraction of API requests answered 500/502/503 at random (seeded). */
  errorRate: number;
  /** A token stops working after this many API calls (a 401 mid-run); 0 = never. */
  tokenTtlRequests: number;
  /** Every token is refused (401), as for an account without access to the API. */
  refuseTokens: boolean;
  /** Fraction of /search and /ean answers whose `result` is an object keyed "0","1",… instead of a list. */
  objectResults: number;
  /** How /ean answers when some EANs are unknown: only 404 when none is known, or 404 as soon as one is unknown. */
  ean404: 'none-found' | 'any-missing';
  /** The most results a search will page through. */
  resultCap: number;
  /** Misbehaving images, by `{ean}-{side}` (e.g. "9780000000015-recto"). */
  imageFaults: Record<string, ImageFault>;
  /** How long a `slow` image takes to start answering. */
  imageSlowMs: number;
  /** How large a `huge` image is. */
  imageHugeBytes: number;
  /** The API is down: every call (login included) answers 503 with Retry-After. */
  outage: boolean;
  /** EANs whose /ean answer breaks the server: a call that names one answers 500, every time. */
  failingEans: string[];
}

/**
 * What a misbehaving image does: 404; an HTML page with status 200; a body cut short (the
 * connection closes before Content-Length bytes); a slow answer; a 429 or 503 with Retry-After on
 * the first request only; a body larger than any sane cover (`imageHugeBytes`, 8 MB unless told).
 */
export type ImageFault = 'not-found' | 'html' | 'truncated' | 'slow' | 'throttle-once' | 'unavailable-once' | 'huge';

export const DEFAULT_FAULTS: SandboxFaults = {
  latencyMs: 0,
  rateLimit: 0,
  throttleEvery: 0,
  throttleBurst: 0,
  retryAfterSeconds: 1,
  errorRate: 0,
  tokenTtlRequests: 0,
  refuseTokens: false,
  objectResults: 0,
  ean404: 'none-found',
  resultCap: 20_000,
  imageFaults: {},
  imageSlowMs: 2_000,
  imageHugeBytes: 8 * 1024 * 1024,
  outage: false,
  failingEans: [],
};
