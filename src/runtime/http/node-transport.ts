import http from 'node:http';
import https from 'node:https';
import { isIP, type LookupFunction } from 'node:net';
import type { HostAgents } from './agent-pool.js';
import { admitUrl, HostNotAllowedError, type AllowedHost } from './host-allowlist.js';
import { isNonPublicAddress } from './non-public-address.js';
import { publicOnlyLookup } from './public-only-lookup.js';

export interface TransportRequest {
  url: string;
  method: string;
  headers: Record<string, string>;
  body?: Buffer | string;
  signal?: AbortSignal;
  timeoutMs: number;
  maxBytes?: number;
  asText: boolean;
  /** Hosts the URL and every redirect must be on; without it, any host. */
  allowedHosts?: readonly AllowedHost[];
}

export interface TransportResponse {
  statusCode: number;
  headers: Record<string, string | string[] | undefined>;
  body: string | Buffer;
}

/** The response passed the request's maxBytes (not retried). */
export class ResponseTooLargeError extends Error {
  override name = 'ResponseTooLargeError';
}

const MAX_REDIRECTS = 5;

/**
 * One HTTP exchange on Node's own client: about a quarter of got's CPU per request here (see
 * docs/run-layout.md), which matters for bulk traffic such as images, several requests per item
 * at hundreds of items per second. Follows redirects, enforces a timeout on the whole exchange and a size cap, and
 * fails with Node's error codes (ECONNRESET, ETIMEDOUT…) so the client's retry rules apply.
 * With allowedHosts, a URL or redirect off the list is never requested, nor one whose host is
 * not listed by name and resolves to a non-public address (HostNotAllowedError).
 */
export async function sendWithNodeHttp(request: TransportRequest, agentsFor: (url: string) => HostAgents): Promise<TransportResponse> {
  let url = request.url;
  for (let redirects = 0; ; redirects++) {
    const agents = agentsFor(url);
    const lookup = request.allowedHosts ? admitHop(request.allowedHosts, new URL(url), agents, redirects > 0) : undefined;
    const response = await exchange({ ...request, url }, agents, lookup);
    const location = response.headers.location;
    if (response.statusCode >= 300 && response.statusCode < 400 && typeof location === 'string' && redirects < MAX_REDIRECTS) {
      url = new URL(location, url).href;
      continue;
    }
    return response;
  }
}

/**
 * Refuses a hop off the list; for a host admitted by a wildcard, returns a lookup that refuses
 * non-public addresses at connect time (so a name that changes its answer is checked on the
 * address really used). Behind a proxy, the proxy resolves the name, and only the list applies.
 */
function admitHop(hosts: readonly AllowedHost[], url: URL, agents: HostAgents, redirected: boolean): LookupFunction | undefined {
  const admission = admitUrl(hosts, url);
  const hop = redirected ? `redirect to ${url.origin}` : url.origin;
  if (!admission.allowed) throw new HostNotAllowedError(`${hop}: host not allowed (${admission.reason})`);
  if (admission.byName || agents.proxied[url.protocol === 'https:' ? 'https' : 'http']) return undefined;
  const literal = url.hostname.replace(/^\[|\]$/g, '');
  if (isIP(literal) !== 0 && isNonPublicAddress(literal)) throw new HostNotAllowedError(`${hop}: host not allowed (${literal} is not a public address)`);
  return publicOnlyLookup(hop);
}

function exchange(request: TransportRequest, agents: HostAgents, lookup: LookupFunction | undefined): Promise<TransportResponse> {
  return new Promise((resolveExchange, rejectExchange) => {
    // The whole exchange, body included, within timeoutMs: a socket timeout alone never fires
    // on an answer that trickles in a byte at a time.
    const timedOut = (what: string) => Object.assign(new Error(`timeout after ${request.timeoutMs} ms ${what}`), { name: 'TimeoutError', code: 'ETIMEDOUT' });
    const deadline = setTimeout(() => {
      const error = timedOut('before the whole response arrived');
      outgoing.destroy(error);
      reject(error);
    }, request.timeoutMs);
    const resolve = (response: TransportResponse) => {
      clearTimeout(deadline);
      resolveExchange(response);
    };
    const reject = (error: unknown) => {
      clearTimeout(deadline);
      rejectExchange(error);
    };
    const secure = request.url.startsWith('https:');
    const client = secure ? https : http;
    const outgoing = client.request(request.url, { method: request.method, headers: request.headers, agent: secure ? agents.https : agents.http, signal: request.signal, ...(lookup ? { lookup } : {}) }, (incoming) => {
      const announced = Number(incoming.headers['content-length'] ?? 0);
      if (request.maxBytes !== undefined && announced > request.maxBytes) {
        incoming.destroy();
        return reject(new ResponseTooLargeError(`response larger than ${request.maxBytes} bytes`));
      }
      const chunks: Buffer[] = [];
      let received = 0;
      incoming.on('data', (chunk: Buffer) => {
        received += chunk.length;
        if (request.maxBytes !== undefined && received > request.maxBytes) {
          incoming.destroy();
          reject(new ResponseTooLargeError(`response larger than ${request.maxBytes} bytes`));
          return;
        }
        chunks.push(chunk);
      });
      incoming.on('error', reject);
      incoming.on('aborted', () => reject(Object.assign(new Error('the connection closed before the whole response arrived'), { code: 'ECONNRESET' })));
      incoming.on('end', () => {
        if (!incoming.complete) return reject(Object.assign(new Error('the connection closed before the whole response arrived'), { code: 'ECONNRESET' }));
        const body = Buffer.concat(chunks);
        resolve({ statusCode: incoming.statusCode ?? 0, headers: incoming.headers, body: request.asText ? body.toString('utf8') : body });
      });
    });
    outgoing.setTimeout(request.timeoutMs, () => outgoing.destroy(timedOut('without any data')));
    outgoing.on('error', reject);
    outgoing.end(request.body);
  });
}
