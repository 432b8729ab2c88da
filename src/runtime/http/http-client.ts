import got, { type Method } from 'got';
import type { Logger } from 'pino';
import { httpRequestDurationSeconds, httpRequestsTotal, httpRetriesTotal, rateLimitWaitSeconds, statusClass } from '../metrics.js';
import type { AgentPool } from './agent-pool.js';
import type { AllowedHost } from './host-allowlist.js';
import { isRetryableError, isRetryableStatus } from './is-retryable.js';
import { sendWithNodeHttp } from './node-transport.js';
import { unlimited, type RateLimiter } from './rate-limiter.js';
import { calculateRetryDelay, parseRetryAfter } from './retry-delay.js';
import { sleep } from './sleep.js';

export interface RetryPolicy {
  /** Attempts in all, the first one included. */
  maxAttempts: number;
  baseDelayMs: number;
  maxDelayMs: number;
  /** A Retry-After longer than this is not waited for: the request fails instead. */
  maxRetryAfterMs: number;
}

export const DEFAULT_RETRY_POLICY: RetryPolicy = { maxAttempts: 6, baseDelayMs: 500, maxDelayMs: 30_000, maxRetryAfterMs: 120_000 };

export interface HttpRequest {
  url: string;
  method?: Method;
  headers?: Record<string, string>;
  json?: unknown;
  signal?: AbortSignal;
  responseType?: 'text' | 'buffer';
  /** A raw request body (uploads). */
  body?: Buffer | string;
  /** A response body larger than this fails the request at once (no retry), before it is all read; sent with the node-http transport. */
  maxBytes?: number;
  /** How messages name this request instead of its URL (when the URL holds something private). */
  label?: string;
  /**
   * Something each attempt holds while it is sent (memory for its body): acquired before every
   * attempt, released before a retry's wait and when the request fails, so a request waiting to
   * retry holds nothing. Still held when a response is returned: the caller releases it.
   */
  hold?: AttemptHold;
  /** Hosts the URL and its redirects must be on (see host-allowlist.ts); sent with the node-http transport. */
  allowedHosts?: readonly AllowedHost[];
  /** Fewer attempts than the policy's for this request (never more). */
  maxAttempts?: number;
}

export interface AttemptHold {
  acquire(signal?: AbortSignal): Promise<void>;
  release(): void;
}

export interface HttpResponse<Body = string> {
  statusCode: number;
  headers: Record<string, string | string[] | undefined>;
  body: Body;
  attempts: number;
}

export class HttpRequestError extends Error {
  override name = 'HttpRequestError';
  constructor(
    message: string,
    readonly statusCode: number | undefined,
    readonly attempts: number,
    cause?: unknown,
  ) {
    super(message, cause === undefined ? undefined : { cause });
  }
}

export interface HttpClientOptions {
  pool: AgentPool;
  /**
   * got (the default) or Node's own client, which costs about a quarter of got's CPU per request:
   * for bulk traffic (images and their uploads). Retries, budget and metrics are the same.
   */
  transport?: 'got' | 'node-http';
  limiter?: RateLimiter;
  retry?: Partial<RetryPolicy>;
  timeoutMs?: number;
  logger?: Logger;
  userAgent?: string;
}

/**
 * got with the product's rules: the host's capped keep-alive agent, the request budget taken
 * before every attempt (retries included), and retries with jittered backoff that honour
 * Retry-After on 429 and 5xx. Non-retryable answers (401, 404…) are returned, not thrown.
 */
export class HttpClient {
  readonly retry: RetryPolicy;
  private readonly limiter: RateLimiter;

  constructor(private readonly options: HttpClientOptions) {
    this.retry = { ...DEFAULT_RETRY_POLICY, ...options.retry };
    this.limiter = options.limiter ?? unlimited;
  }

  async request(request: HttpRequest & { responseType: 'buffer' }): Promise<HttpResponse<Buffer>>;
  async request(request: HttpRequest): Promise<HttpResponse<string>>;
  async request(request: HttpRequest): Promise<HttpResponse<string | Buffer>> {
    const method = request.method ?? 'GET';
    const host = new URL(request.url).host;
    const where = request.label ?? `${method} ${describeUrl(request.url)}`;
    for (let attempt = 1; ; attempt++) {
      const waitedMs = await this.limiter.take(request.signal);
      if (waitedMs > 0) rateLimitWaitSeconds.inc(waitedMs / 1000);
      await request.hold?.acquire(request.signal);
      let response: HttpResponse<string | Buffer> | undefined;
      let failure: unknown;
      const attemptStarted = performance.now();
      try {
        response = await this.send(request, method, attempt);
      } catch (error) {
        failure = error;
      }
      const returned = response !== undefined && !isRetryableStatus(response.statusCode) && !request.signal?.aborted;
      if (!returned) request.hold?.release();
      if (request.signal?.aborted) throw request.signal.reason;
      httpRequestsTotal.inc({ host, method, status_class: statusClass(response?.statusCode) });
      httpRequestDurationSeconds.observe({ host, method }, (performance.now() - attemptStarted) / 1000);
      const retryable = response ? isRetryableStatus(response.statusCode) : isRetryableError(failure);
      if (!retryable) {
        if (response) return response;
        throw new HttpRequestError(`${where}: ${describeError(failure)}`, undefined, attempt, failure);
      }
      const retryAfterMs = response ? parseRetryAfter(response.headers['retry-after']) : undefined;
      const outOfAttempts = attempt >= Math.min(request.maxAttempts ?? this.retry.maxAttempts, this.retry.maxAttempts);
      const waitTooLong = retryAfterMs !== undefined && retryAfterMs > this.retry.maxRetryAfterMs;
      if (outOfAttempts || waitTooLong) {
        const what = response ? `HTTP ${response.statusCode}` : describeError(failure);
        const why = waitTooLong ? `the server asked to wait ${Math.round((retryAfterMs ?? 0) / 1000)} s` : `${attempt} attempts`;
        throw new HttpRequestError(`${where}: ${what}, giving up after ${why}`, response?.statusCode, attempt, failure);
      }
      const delay = calculateRetryDelay({ attempt, retryAfterMs, baseDelayMs: this.retry.baseDelayMs, maxDelayMs: this.retry.maxDelayMs });
      const reason = response ? (response.statusCode === 429 ? '429' : '5xx') : 'network';
      httpRetriesTotal.inc({ host, reason });
      this.options.logger?.debug({ event: 'http_retry', attempt, delayMs: delay, reason, request: where }, `${where}: ${reason}, retrying in ${delay} ms`);
      await sleep(delay, request.signal);
    }
  }

  private async send(request: HttpRequest, method: Method, attempt: number): Promise<HttpResponse<string | Buffer>> {
    const headers: Record<string, string> = { 'user-agent': this.options.userAgent ?? 'titelive-etl', ...request.headers };
    const timeoutMs = this.options.timeoutMs ?? 60_000;
    if (this.options.transport === 'node-http' || request.maxBytes !== undefined || request.allowedHosts !== undefined) {
      const body = request.json === undefined ? request.body : JSON.stringify(request.json);
      if (request.json !== undefined) headers['content-type'] = 'application/json';
      const response = await sendWithNodeHttp(
        { url: request.url, method, headers, body, signal: request.signal, timeoutMs, maxBytes: request.maxBytes, asText: request.responseType !== 'buffer', ...(request.allowedHosts ? { allowedHosts: request.allowedHosts } : {}) },
        (url) => this.options.pool.agentsFor(url),
      );
      return { ...response, attempts: attempt };
    }
    const agents = this.options.pool.agentsFor(request.url);
    const response = (await got(request.url, {
      method,
      headers,
      json: request.json,
      body: request.body,
      agent: { http: agents.http, https: agents.https },
      timeout: { request: timeoutMs },
      retry: { limit: 0 },
      throwHttpErrors: false,
      followRedirect: true,
      responseType: request.responseType === 'buffer' ? 'buffer' : 'text',
      encoding: request.responseType === 'buffer' ? undefined : 'utf8',
      signal: request.signal,
    })) as { statusCode: number; headers: Record<string, string | string[] | undefined>; body: unknown };
    return { statusCode: response.statusCode, headers: response.headers, body: response.body as string | Buffer, attempts: attempt };
  }
}

/** The URL without its query string (which may be long), for messages. */
export function describeUrl(url: string): string {
  const parsed = new URL(url);
  return `${parsed.origin}${parsed.pathname}`;
}

function describeError(error: unknown): string {
  if (error && typeof error === 'object') {
    const code = 'code' in error ? String(error.code) : '';
    const message = 'message' in error ? String(error.message) : String(error);
    return code && !message.includes(code) ? `${code} ${message}` : message;
  }
  return String(error);
}
