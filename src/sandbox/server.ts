import { randomBytes } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { addDays, isIsoDay, today } from '../runtime/calendar.js';
import { parseCategory } from '../titelive/categories.js';
import { parseDayFirst } from '../titelive/day-first-dates.js';
import type { TiteliveProduct } from '../titelive/response-shapes.js';
import { SandboxCatalog } from './catalog.js';
import { CatalogHistory, DEFAULT_HISTORY, type HistoryOptions } from './history.js';
import { eanListEnvelope, searchEnvelope, singleEanEnvelope } from './real-shapes.js';
import { unit } from './deterministic.js';
import { DEFAULT_FAULTS, type SandboxFaults } from './faults.js';
import { sandboxJpeg } from './jpeg.js';
import { RequestLog } from './request-log.js';

export const SANDBOX_USERNAME = 'sandbox';
export const SANDBOX_PASSWORD = 'sandbox';

export interface SandboxOptions {
  port?: number;
  host?: string;
  /** The URL clients use (behind a Service or proxy); default: the listening address. */
  publicUrl?: string | undefined;
  products?: number;
  seed?: number;
  endDay?: string;
  days?: number;
  faults?: Partial<SandboxFaults>;
  /** The account login accepts (default SANDBOX_USERNAME / SANDBOX_PASSWORD). */
  credentials?: { username: string; password: string };
  /**
   * A catalogue that changes day by day from `start` (history.ts), seen at `clock` (default:
   * `endDay`); POST /_sandbox/clock moves it. Without it the catalogue never changes.
   */
  history?: Partial<Omit<HistoryOptions, 'start'>> & { start: string; clock?: string };
}

/** What /search and /ean read: the static catalogue, or the same seen through a clock. */
type CatalogView = Pick<SandboxCatalog, 'productsModifiedBetween' | 'product' | 'eanEntry'>;

export interface SandboxStats {
  apiRequests: number;
  logins: number;
  searches: number;
  eanLookups: number;
  images: number;
  /** TCP connections accepted (API and images): with keep-alive, far fewer than requests. */
  connections: number;
  status401: number;
  status404: number;
  status429: number;
  status5xx: number;
  maxRequestsInAnySecond: number;
}

/**
 * A Titelive-compatible API and image host on one port:
 *   POST /v1/login/{user}/token   GET /v1/search   GET /v1/ean   GET /images/{…}/{ean}_1_75.jpg (and the
 *   other names of the real image host: _4_75, _1_v, _1_m; music {ean}.jpg, _2, _vd)
 * plus /_sandbox/stats and /_sandbox/faults for tests and benchmarks, and, for a sandbox with a
 * history, /_sandbox/clock (GET, POST {"day"}) and /_sandbox/truth?base=… (every EAN as the API
 * shows it at the clock).
 */
export class Sandbox {
  readonly catalog: SandboxCatalog;
  /** The changing catalogue, when the sandbox was given a history. */
  readonly history: CatalogHistory | undefined;
  private readonly view: CatalogView;
  faults: SandboxFaults;
  private readonly server: http.Server;
  private readonly tokens = new Map<string, number>();
  /** Every token login has handed out, expired ones included. */
  private readonly issued: string[] = [];
  private readonly log = new RequestLog();
  private stats: SandboxStats = emptyStats();
  private requestNumber = 0;
  /** Requests per image so far, for faults that happen on the first request only. */
  private readonly imageAttempts = new Map<string, number>();
  private baseUrl = '';
  private huge: Buffer | undefined;

  constructor(private readonly options: SandboxOptions = {}) {
    this.faults = { ...DEFAULT_FAULTS, ...options.faults };
    const products = options.products ?? 5_000;
    const history = options.history ? { ...DEFAULT_HISTORY, ...options.history } : undefined;
    const endDay = options.endDay ?? (history ? addDays(history.start, -1) : today());
    this.catalog = new SandboxCatalog({
      products: history ? CatalogHistory.capacity(products, history) : products,
      seed: options.seed ?? 1,
      endDay,
      days: options.days ?? 30,
      imageBaseUrl: '', // set once the port is known
    });
    this.history = history ? new CatalogHistory(this.catalog, products, history, history.clock ?? history.start) : undefined;
    this.view = this.history ?? this.catalog;
    this.server = http.createServer((request, response) => {
      this.handle(request, response).catch((error: unknown) => {
        send(response, 500, { error: String(error) });
      });
    });
    this.server.keepAliveTimeout = 30_000;
    this.server.on('connection', () => (this.stats.connections += 1));
  }

  async start(): Promise<string> {
    await new Promise<void>((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(this.options.port ?? 0, this.options.host ?? '127.0.0.1', resolve);
    });
    const address = this.server.address() as AddressInfo;
    this.baseUrl = this.options.publicUrl ?? `http://${address.address}:${address.port}`;
    (this.catalog.options as { imageBaseUrl: string }).imageBaseUrl = `${this.baseUrl}/images`;
    return this.baseUrl;
  }

  get url(): string {
    return this.baseUrl;
  }
  get apiUrl(): string {
    return `${this.baseUrl}/v1`;
  }
  get loginUrl(): string {
    return `${this.baseUrl}/v1/login`;
  }

  getStats(): SandboxStats {
    return { ...this.stats, maxRequestsInAnySecond: this.log.maxInAnySecond };
  }

  resetStats(): void {
    this.stats = emptyStats();
    this.log.reset();
  }

  /** Every bearer token handed out so far, in order (to look for them where they must not be). */
  get issuedTokens(): readonly string[] {
    return this.issued;
  }

  /** Makes every token issued so far answer 401 from now on. */
  expireTokens(): void {
    this.tokens.clear();
  }

  async stop(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private async handle(request: http.IncomingMessage, response: http.ServerResponse): Promise<void> {
    const url = new URL(request.url ?? '/', 'http://sandbox');
    const path = url.pathname;
    if (path.startsWith('/_sandbox/')) return this.control(path, request, response);
    if (this.faults.latencyMs > 0) await delay(this.faults.latencyMs);
    if (path.startsWith('/images/')) return this.image(path, response);
    if (!path.startsWith('/v1/')) return send(response, 404, { error: 'not found' });

    this.stats.apiRequests += 1;
    const number = ++this.requestNumber;
    if (this.faults.outage) {
      this.stats.status5xx += 1;
      response.setHeader('retry-after', String(this.faults.retryAfterSeconds));
      return send(response, 503, { error: 'service unavailable' });
    }
    const inLastSecond = this.log.arrive(Date.now());
    if (this.faults.rateLimit > 0 && inLastSecond > this.faults.rateLimit) return this.tooMany(response);
    if (this.faults.throttleEvery > 0 && number % (this.faults.throttleEvery + this.faults.throttleBurst) >= this.faults.throttleEvery) {
      return this.tooMany(response);
    }
    if (this.faults.errorRate > 0 && unit(this.options.seed ?? 1, number, 99) < this.faults.errorRate) {
      this.stats.status5xx += 1;
      const status = [500, 502, 503][number % 3] as number;
      if (status === 503) response.setHeader('retry-after', String(this.faults.retryAfterSeconds));
      return send(response, status, { error: 'simulated server error' });
    }

    const login = /^\/v1\/login\/([^/]+)\/token$/.exec(path);
    if (login && request.method === 'POST') return this.login(decodeURIComponent(login[1] ?? ''), request, response);
    if (!this.authorised(request)) {
      this.stats.status401 += 1;
      return send(response, 401, { error: 'token expired or invalid' });
    }
    if (path === '/v1/search') return this.search(url, response);
    if (path === '/v1/ean') return this.ean(url, response);
    return send(response, 404, { error: `no route ${path}` });
  }

  private tooMany(response: http.ServerResponse): void {
    this.stats.status429 += 1;
    response.setHeader('retry-after', String(this.faults.retryAfterSeconds));
    send(response, 429, { error: 'rate limit exceeded' });
  }

  private async login(username: string, request: http.IncomingMessage, response: http.ServerResponse): Promise<void> {
    const body = await readBody(request);
    let password: unknown;
    try {
      password = (JSON.parse(body) as { password?: unknown }).password;
    } catch {
      password = undefined;
    }
    const account = this.options.credentials ?? { username: SANDBOX_USERNAME, password: SANDBOX_PASSWORD };
    if (username !== account.username || password !== account.password) {
      this.stats.status401 += 1;
      return send(response, 401, { error: 'bad credentials' });
    }
    this.stats.logins += 1;
    const token = randomBytes(12).toString('hex');
    this.tokens.set(token, 0);
    this.issued.push(token);
    send(response, 200, { token });
  }

  private authorised(request: http.IncomingMessage): boolean {
    const match = /^Bearer (.+)$/.exec(request.headers.authorization ?? '');
    const token = match?.[1];
    if (!token || !this.tokens.has(token) || this.faults.refuseTokens) return false;
    const uses = (this.tokens.get(token) ?? 0) + 1;
    if (this.faults.tokenTtlRequests > 0 && uses > this.faults.tokenTtlRequests) {
      this.tokens.delete(token);
      return false;
    }
    this.tokens.set(token, uses);
    return true;
  }

  private search(url: URL, response: http.ServerResponse): void {
    this.stats.searches += 1;
    const category = parseCategory(url.searchParams.get('base') ?? '');
    const from = parseDayFirst(url.searchParams.get('dateminm'));
    const to = parseDayFirst(url.searchParams.get('datemaxm'));
    if (!category || !from || !to) return send(response, 400, { error: 'base, dateminm and datemaxm (DD/MM/YYYY) are required' });
    const perPage = Math.min(120, Math.max(1, Number(url.searchParams.get('nombre') ?? 120) || 120));
    const page = Math.max(1, Number(url.searchParams.get('page') ?? 1) || 1);
    const matching = this.view.productsModifiedBetween(category, from, to);
    // As the real API: a page whose end passes the cap is refused, whatever the total.
    if (page * perPage > this.faults.resultCap) {
      return send(response, 400, { error: { code: 'MAX_RESULTS_EXCEEDED', message: `page × nombre must not exceed ${this.faults.resultCap} results` } });
    }
    const start = (page - 1) * perPage;
    const end = Math.min(start + perPage, matching.length);
    const products = start < end ? matching.slice(start, end).map((index) => this.view.product(category, index)) : [];
    send(response, 200, searchEnvelope(category, page, perPage, matching.length, this.shape(products)));
  }

  private ean(url: URL, response: http.ServerResponse): void {
    this.stats.eanLookups += 1;
    const category = parseCategory(url.searchParams.get('base') ?? '');
    const list = /^ean=(.*)$/.exec(url.searchParams.get('in') ?? '')?.[1];
    if (!category || !list) return send(response, 400, { error: 'in=ean=E1|E2|… and base are required' });
    const eans = list.split('|').filter((ean) => ean !== '');
    if (eans.length > 250) return send(response, 400, { error: 'at most 250 EANs per call' });
    if (eans.some((ean) => this.faults.failingEans.includes(ean))) {
      this.stats.status5xx += 1;
      response.setHeader('retry-after', String(this.faults.retryAfterSeconds));
      return send(response, 500, { error: 'internal server error' });
    }
    const entries: TiteliveProduct[] = [];
    const found: Array<{ typeproduit: number; gencod: string }> = [];
    for (const ean of new Set(eans)) {
      const entry = this.view.eanEntry(category, ean);
      if (entry) {
        entries.push(entry);
        found.push({ typeproduit: category === 'music' ? 4 : 0, gencod: ean });
      }
    }
    const missing = new Set(eans).size - entries.length;
    if (entries.length === 0 || (this.faults.ean404 === 'any-missing' && missing > 0)) {
      this.stats.status404 += 1;
      return send(response, 404, { error: 'no product found' });
    }
    if (entries.length === 1) return send(response, 200, singleEanEnvelope(entries[0]!, found[0]!.gencod));
    send(response, 200, eanListEnvelope(this.shape(entries) as Record<string, unknown>[], found));
  }

  /** A list, or (as the real API sometimes does) an object keyed "0","1",…. */
  private shape(products: TiteliveProduct[]): unknown {
    if (this.faults.objectResults > 0 && unit(this.options.seed ?? 1, this.requestNumber, 77) < this.faults.objectResults) {
      return Object.fromEntries(products.map((product, index) => [String(index), product]));
    }
    return products;
  }

  private async image(path: string, response: http.ServerResponse): Promise<void> {
    const located = this.catalog.imageAt(path.slice('/images'.length));
    this.stats.images += 1;
    if (!located) return send(response, 404, { error: 'no such image' });
    const key = `${located.ean}-${located.side}`;
    const attempt = (this.imageAttempts.get(key) ?? 0) + 1;
    this.imageAttempts.set(key, attempt);
    const bytes = sandboxJpeg(key);
    switch (this.faults.imageFaults[key]) {
      case 'not-found':
        return send(response, 404, { error: 'no such image' });
      case 'html':
        response.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
        return void response.end('<!doctype html><title>Image indisponible</title>');
      case 'truncated':
        response.writeHead(200, { 'content-type': 'image/jpeg', 'content-length': bytes.length * 4 });
        response.write(bytes);
        return void setTimeout(() => response.destroy(), 20);
      case 'slow':
        await delay(this.faults.imageSlowMs);
        break;
      case 'throttle-once':
      case 'unavailable-once':
        if (attempt === 1) {
          const status = this.faults.imageFaults[key] === 'throttle-once' ? 429 : 503;
          response.setHeader('retry-after', String(this.faults.retryAfterSeconds));
          return send(response, status, { error: 'try again later' });
        }
        break;
      case 'huge': {
        const huge = this.hugeImage(bytes);
        response.writeHead(200, { 'content-type': 'image/jpeg', 'content-length': huge.length });
        return void response.end(huge);
      }
      default:
        break;
    }
    response.writeHead(200, { 'content-type': 'image/jpeg', 'content-length': bytes.length });
    response.end(bytes);
  }

  /** One zero-padded JPEG of `imageHugeBytes`, made once per size: clients usually stop reading it early. */
  private hugeImage(jpeg: Buffer): Buffer {
    if (this.huge?.length !== this.faults.imageHugeBytes) {
      this.huge = Buffer.alloc(this.faults.imageHugeBytes);
      jpeg.copy(this.huge);
    }
    return this.huge;
  }

  private async control(path: string, request: http.IncomingMessage, response: http.ServerResponse): Promise<void> {
    if (path === '/_sandbox/stats') return send(response, 200, this.getStats());
    if (path === '/_sandbox/reset' && request.method === 'POST') {
      this.resetStats();
      return send(response, 200, { ok: true });
    }
    if (path === '/_sandbox/expire-tokens' && request.method === 'POST') {
      this.expireTokens();
      return send(response, 200, { ok: true });
    }
    if (path === '/_sandbox/clock') {
      if (!this.history) return send(response, 404, { error: 'this sandbox has no history: start it with one (--history-start) to move its clock' });
      if (request.method === 'POST') {
        const day = (JSON.parse(await readBody(request)) as { day?: unknown }).day;
        if (typeof day !== 'string' || !isIsoDay(day)) return send(response, 400, { error: 'expected {"day": "YYYY-MM-DD"}' });
        this.history.setClock(day);
      }
      return send(response, 200, { day: this.history.today });
    }
    if (path === '/_sandbox/truth') {
      const category = parseCategory(new URL(request.url ?? '/', 'http://sandbox').searchParams.get('base') ?? 'paper');
      if (!this.history || !category) return send(response, 404, { error: 'truth is kept by a sandbox with a history, per base=paper|music' });
      return send(response, 200, { day: this.history.today, entries: this.history.truth(category) });
    }
    if (path === '/_sandbox/faults') {
      if (request.method === 'POST') this.faults = { ...this.faults, ...(JSON.parse(await readBody(request)) as Partial<SandboxFaults>) };
      return send(response, 200, this.faults);
    }
    send(response, 404, { error: 'unknown control route' });
  }
}

function emptyStats(): SandboxStats {
  return { apiRequests: 0, logins: 0, searches: 0, eanLookups: 0, images: 0, connections: 0, status401: 0, status404: 0, status429: 0, status5xx: 0, maxRequestsInAnySecond: 0 };
}

function send(response: http.ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  response.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(text) });
  response.end(text);
}

function readBody(request: http.IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    request.on('error', reject);
  });
}

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
