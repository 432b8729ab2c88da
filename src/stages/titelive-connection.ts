import type { Logger } from 'pino';
import type { TiteliveConfig } from '../stage-configs.js';
import { AgentPool, proxyFromEnv } from '../runtime/http/agent-pool.js';
import { HttpClient } from '../runtime/http/http-client.js';
import { SlottedTokenBucket } from '../runtime/http/rate-limiter.js';
import { PRODUCT_VERSION } from '../runtime/version.js';
import { TiteliveClient } from '../titelive/client.js';

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
