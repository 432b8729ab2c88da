import { expect } from 'chai';
import { isRetryableError, isRetryableStatus } from '../../src/runtime/http/is-retryable.js';
import { calculateRetryDelay, parseRetryAfter } from '../../src/runtime/http/retry-delay.js';

describe('retries and backoff', () => {
  it('reads Retry-After as seconds or as an HTTP date', () => {
    expect(parseRetryAfter('3')).to.equal(3_000);
    expect(parseRetryAfter('0.5')).to.equal(500);
    const now = Date.parse('2024-01-01T00:00:00Z');
    expect(parseRetryAfter('Mon, 01 Jan 2024 00:00:10 GMT', now)).to.equal(10_000);
    expect(parseRetryAfter(undefined)).to.equal(undefined);
    expect(parseRetryAfter('soon')).to.equal(undefined);
  });

  it('obeys Retry-After with at most 10 % jitter', () => {
    expect(calculateRetryDelay({ attempt: 1, retryAfterMs: 2_000, baseDelayMs: 100, maxDelayMs: 1_000, random: () => 0 })).to.equal(2_000);
    expect(calculateRetryDelay({ attempt: 1, retryAfterMs: 2_000, baseDelayMs: 100, maxDelayMs: 1_000, random: () => 0.999 })).to.be.within(2_000, 2_200);
  });

  it('backs off exponentially with full jitter, capped', () => {
    const top = (attempt: number) => calculateRetryDelay({ attempt, baseDelayMs: 100, maxDelayMs: 1_000, random: () => 0.9999 });
    expect([top(1), top(2), top(3), top(4), top(5)]).to.deep.equal([100, 200, 400, 800, 1_000]);
    expect(calculateRetryDelay({ attempt: 3, baseDelayMs: 100, maxDelayMs: 1_000, random: () => 0 })).to.equal(0);
    const spread = new Set(Array.from({ length: 20 }, () => calculateRetryDelay({ attempt: 4, baseDelayMs: 100, maxDelayMs: 1_000 })));
    expect(spread.size).to.be.greaterThan(5);
  });

  it('retries 429 and 5xx and network failures, not client errors', () => {
    expect([429, 500, 502, 503, 504].every(isRetryableStatus)).to.equal(true);
    expect([400, 401, 403, 404].some(isRetryableStatus)).to.equal(false);
    expect(isRetryableError(Object.assign(new Error('reset'), { code: 'ECONNRESET' }))).to.equal(true);
    expect(isRetryableError(new TypeError('bug'))).to.equal(false);
  });
});
