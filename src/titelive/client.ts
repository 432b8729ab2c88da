import type { Logger } from 'pino';
import { ConfigError } from '../runtime/errors.js';
import type { HttpClient, HttpResponse } from '../runtime/http/http-client.js';
import { tokenRefreshesTotal } from '../runtime/metrics.js';
import type { Category } from './categories.js';
import { toDayFirst } from './day-first-dates.js';
import { productsOf, totalOf, type TiteliveProduct } from './response-shapes.js';

import { MAX_EANS_PER_CALL, SEARCH_RESULT_CAP } from './api-facts.js';

export { DEFAULT_API_URL, DEFAULT_LOGIN_URL, MAX_EANS_PER_CALL, SEARCH_RESULT_CAP } from './api-facts.js';

export interface TiteliveClientOptions {
  apiUrl: string;
  loginUrl: string;
  username: string;
  password: string;
  http: HttpClient;
  logger?: Logger;
  /** 401s one call may answer with a new login before it gives up. */
  maxTokenRefreshes?: number;
}

export interface SearchPage {
  total: number;
  products: TiteliveProduct[];
}

export type EanLookup = { status: 'answered'; products: TiteliveProduct[] } | { status: 'not_found' };

/**
 * The last page a search serves: the API refuses (HTTP 400, MAX_RESULTS_EXCEEDED) any page
 * whose end, page × perPage, passes the cap, so a search over the cap stops one page short of it.
 */
export function lastSearchPage(total: number, perPage: number, cap: number = SEARCH_RESULT_CAP): number {
  return total > cap ? Math.floor(cap / perPage) : Math.ceil(total / perPage);
}

/** The API refused a page past its result cap (HTTP 400 MAX_RESULTS_EXCEEDED). */
export class SearchCapError extends Error {
  override name = 'SearchCapError';
  constructor(
    message: string,
    readonly page: number,
  ) {
    super(message);
  }
}

/** Titelive's answer could not be used (not JSON, unexpected status). */
export class TiteliveResponseError extends Error {
  override name = 'TiteliveResponseError';
}

/**
 * The Titelive API: bearer-token login, /search and /ean. A 401 means the token expired: one
 * login is shared by every call that saw it (single flight), then the call is retried; a call
 * that keeps getting 401 gives up after `maxTokenRefreshes` logins.
 */
export class TiteliveClient {
  private token: string | undefined;
  private generation = 0;
  private loginInFlight: Promise<void> | undefined;
  private readonly maxTokenRefreshes: number;

  constructor(private readonly options: TiteliveClientOptions) {
    this.maxTokenRefreshes = options.maxTokenRefreshes ?? 3;
  }

  async search(query: { category: Category; day: string; nextDay: string; page: number; perPage: number; signal?: AbortSignal }): Promise<SearchPage> {
    const params = new URLSearchParams({
      base: query.category,
      dateminm: toDayFirst(query.day),
      datemaxm: toDayFirst(query.nextDay),
      nombre: String(query.perPage),
      page: String(query.page),
    });
    const response = await this.authorizedGet(`${this.options.apiUrl}/search?${params}`, query.signal);
    if (response.statusCode === 404) return { total: 0, products: [] };
    if (response.statusCode === 400 && /MAX_RESULTS|20\s?000/i.test(response.body)) {
      throw new SearchCapError(`Titelive search ${query.category} ${query.day} page ${query.page}: HTTP 400 ${truncate(response.body)}`, query.page);
    }
    const body = this.parse(response, `search ${query.category} ${query.day} page ${query.page}`);
    return { total: totalOf(body), products: productsOf(body) };
  }

  /** `maxAttempts`: fewer attempts than the client's policy for this call (a half of a batch that failed). */
  async lookupEans(category: Category, eans: readonly string[], signal?: AbortSignal, maxAttempts?: number): Promise<EanLookup> {
    if (eans.length === 0 || eans.length > MAX_EANS_PER_CALL) {
      throw new Error(`lookupEans takes 1 to ${MAX_EANS_PER_CALL} EANs, got ${eans.length}`);
    }
    const params = new URLSearchParams({ in: `ean=${eans.join('|')}`, base: category });
    const response = await this.authorizedGet(`${this.options.apiUrl}/ean?${params}`, signal, maxAttempts);
    if (response.statusCode === 404) return { status: 'not_found' };
    const body = this.parse(response, `ean lookup of ${eans.length} EANs`);
    return { status: 'answered', products: productsOf(body) };
  }

  private parse(response: HttpResponse, what: string): unknown {
    if (response.statusCode < 200 || response.statusCode >= 300) {
      throw new TiteliveResponseError(`Titelive ${what}: HTTP ${response.statusCode} ${truncate(response.body)}`);
    }
    try {
      return JSON.parse(response.body);
    } catch {
      throw new TiteliveResponseError(`Titelive ${what}: the answer is not JSON (${truncate(response.body)})`);
    }
  }

  private async authorizedGet(url: string, signal?: AbortSignal, maxAttempts?: number): Promise<HttpResponse> {
    let loginsForThisCall = 0;
    for (;;) {
      if (this.token === undefined) await this.login(signal);
      const generation = this.generation;
      const response = await this.options.http.request({
        url,
        headers: { authorization: `Bearer ${this.token}`, accept: 'application/json' },
        signal,
        ...(maxAttempts === undefined ? {} : { maxAttempts }),
      });
      if (response.statusCode !== 401) return response;
      if (loginsForThisCall >= this.maxTokenRefreshes) {
        throw new TiteliveResponseError(
          `Titelive kept answering 401 after ${loginsForThisCall} new logins for one call: the account may lack access to this API; check TITELIVE_USERNAME`,
        );
      }
      loginsForThisCall += 1;
      // Only the first caller to see this token fail logs in again; the others wait for it.
      if (this.generation === generation) {
        this.token = undefined;
        tokenRefreshesTotal.inc();
        this.options.logger?.info({ event: 'token_refresh' }, 'Titelive token expired, logging in again');
      }
    }
  }

  private login(signal?: AbortSignal): Promise<void> {
    if (!this.loginInFlight) {
      this.loginInFlight = this.requestToken(signal).finally(() => {
        this.loginInFlight = undefined;
      });
    }
    return this.loginInFlight;
  }

  private async requestToken(signal?: AbortSignal): Promise<void> {
    const url = `${this.options.loginUrl}/${encodeURIComponent(this.options.username)}/token`;
    const response = await this.options.http.request({
      url,
      method: 'POST',
      json: { password: this.options.password },
      signal,
      // The login URL holds the username, which is kept as secret as the password.
      label: `POST ${this.options.loginUrl}/…/token`,
    });
    if (response.statusCode === 401 || response.statusCode === 403) {
      throw new ConfigError(
        `Titelive login refused (HTTP ${response.statusCode}) at ${this.options.loginUrl}: check TITELIVE_USERNAME and TITELIVE_PASSWORD (or their secrets)`,
      );
    }
    let token: unknown;
    try {
      token = (JSON.parse(response.body) as { token?: unknown }).token;
    } catch {
      token = undefined;
    }
    if (response.statusCode < 200 || response.statusCode >= 300 || typeof token !== 'string' || token === '') {
      throw new TiteliveResponseError(`Titelive login at ${this.options.loginUrl}: HTTP ${response.statusCode} without a token`);
    }
    this.token = token;
    this.generation += 1;
  }
}

function truncate(text: string): string {
  const flat = text.replace(/\s+/g, ' ').trim();
  return flat.length > 200 ? `${flat.slice(0, 200)}…` : flat;
}
