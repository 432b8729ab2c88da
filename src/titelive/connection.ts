import type { Logger } from 'pino';
import type { TiteliveConfig } from '../stage-configs.js';
import type { SourceConnection } from '../source.js';
import { AgentPool, proxyFromEnv } from '../runtime/http/agent-pool.js';
import { HttpClient } from '../runtime/http/http-client.js';
import { SlottedTokenBucket } from '../runtime/http/rate-limiter.js';
import { PRODUCT_VERSION } from '../runtime/version.js';
import { TiteliveClient } from './client.js';
import { fetchBatch } from './ean-lookup.js';
import { listDay } from './day-search.js';

export interface TiteliveConnection {
  client: TiteliveClient;
  pool: AgentPool;
  limiter: SlottedTokenBucket;
  close(): void;
}

/**
 * The Titelive client of one pod: its share of the deployment's request budget (slot = shard
 * index modulo the parallelism) and one capped keep-alive pool.
 */
export function connectTitelive(config: TiteliveConfig, slot: number, logger: Logger, env: Record<string, string | undefined> = process.env): TiteliveConnection {
  const pool = new AgentPool({ maxSockets: config.maxSockets, proxy: proxyFromEnv(env) });
  const limiter = new SlottedTokenBucket({ totalPerSecond: config.ratePerSecond, parallelism: config.parallelism, slot });
  const http = new HttpClient({
    pool,
    limiter,
    logger,
    timeoutMs: config.timeoutMs,
    retry: { maxAttempts: config.maxAttempts },
    userAgent: `titelive-etl/${PRODUCT_VERSION}`,
  });
  const client = new TiteliveClient({ apiUrl: config.apiUrl, loginUrl: config.loginUrl, username: config.username, password: config.password, http, logger });
  logger.debug(
    { event: 'rate_budget', perPodPerSecond: Number(limiter.perPodPerSecond.toFixed(3)), totalPerSecond: config.ratePerSecond, parallelism: config.parallelism, slot },
    'request budget',
  );
  return { client, pool, limiter, close: () => pool.destroy() };
}

/** Titelive as the stages see it: plan's day listing and fetch's lookups over one connection. */
export function titeliveConnection(config: TiteliveConfig, slot: number, logger: Logger): SourceConnection {
  const connection = connectTitelive(config, slot, logger);
  return {
    origin: `${config.apiUrl}/search`,
    listDay: (request) => listDay(connection.client, request),
    fetchBatch: (dataset, keys, signal) => fetchBatch(connection.client, dataset, keys, signal),
    close: () => connection.close(),
  };
}
