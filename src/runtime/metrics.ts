import { Counter, Gauge, Registry } from 'prom-client';

/**
 * The product's metrics registry. Label values are bounded (stage, outcome, host, status class):
 * never an EAN, a URL or a run id.
 */
export const registry = new Registry();

export const itemsTotal = new Counter({
  name: 'titelive_etl_items_total',
  help: 'Items processed, by stage and outcome (found, deleted, failed, planned…).',
  labelNames: ['stage', 'outcome'] as const,
  registers: [registry],
});

export const httpRequestsTotal = new Counter({
  name: 'titelive_etl_http_requests_total',
  help: 'HTTP requests sent, by upstream host, method and status class (2xx, 4xx, 5xx, error).',
  labelNames: ['host', 'method', 'status_class'] as const,
  registers: [registry],
});

export const httpRetriesTotal = new Counter({
  name: 'titelive_etl_http_retries_total',
  help: 'HTTP requests retried, by upstream host and reason (429, 5xx, network).',
  labelNames: ['host', 'reason'] as const,
  registers: [registry],
});

export const rateLimitWaitSeconds = new Counter({
  name: 'titelive_etl_rate_limit_wait_seconds_total',
  help: 'Time spent waiting for the request budget.',
  registers: [registry],
});

export const tokenRefreshesTotal = new Counter({
  name: 'titelive_etl_token_refreshes_total',
  help: 'Bearer token logins after the first, caused by 401 answers.',
  registers: [registry],
});

export const transferredBytesTotal = new Counter({
  name: 'titelive_etl_transferred_bytes_total',
  help: 'Payload bytes moved, by stage and direction (downloaded, uploaded).',
  labelNames: ['stage', 'direction'] as const,
  registers: [registry],
});

export const httpSocketsInUse = new Gauge({
  name: 'titelive_etl_http_sockets_in_use',
  help: 'Keep-alive sockets open to an upstream host right now (capped by --max-sockets).',
  labelNames: ['host'] as const,
  registers: [registry],
});

export const httpSocketsOpened = new Gauge({
  name: 'titelive_etl_http_sockets_opened',
  help: 'Sockets opened to an upstream host since the job started: with keep-alive, at most the cap.',
  labelNames: ['host'] as const,
  registers: [registry],
});

export function statusClass(status: number | undefined): string {
  if (status === undefined) return 'error';
  return `${Math.floor(status / 100)}xx`;
}
