import { setMaxListeners } from 'node:events';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { FetchConfig, PlanConfig, TiteliveConfig } from '../../src/config.js';
import { createLogger } from '../../src/runtime/logger.js';
import type { JobContext } from '../../src/runtime/harness.js';
import { SANDBOX_PASSWORD, SANDBOX_USERNAME, type Sandbox } from '../../src/sandbox/server.js';

export async function tempDir(prefix = 'titelive-etl-test-'): Promise<string> {
  return mkdtemp(path.join(tmpdir(), prefix));
}

export function quietContext(signal: AbortSignal = new AbortController().signal): JobContext {
  setMaxListeners(0, signal);
  return { logger: createLogger({ level: 'silent' }), signal };
}

export function sandboxTitelive(sandbox: Sandbox, overrides: Partial<TiteliveConfig> = {}): TiteliveConfig {
  return {
    apiUrl: sandbox.apiUrl,
    loginUrl: sandbox.loginUrl,
    username: SANDBOX_USERNAME,
    password: SANDBOX_PASSWORD,
    ratePerSecond: 1_000,
    parallelism: 1,
    concurrency: 4,
    maxSockets: 8,
    timeoutMs: 10_000,
    maxAttempts: 8,
    ...overrides,
  };
}

export function planConfig(sandbox: Sandbox, dataUrl: string, window: { start: string; end: string }, overrides: Partial<PlanConfig> = {}): PlanConfig {
  return { dataset: 'paper', runId: window.end, dataUrl, window, allowPartial: false, limit: undefined, titelive: sandboxTitelive(sandbox), ...overrides };
}

export function fetchConfig(sandbox: Sandbox, dataUrl: string, runId: string, shard: { index: number; count: number }, overrides: Partial<FetchConfig> = {}): FetchConfig {
  return { dataset: 'paper', runId, dataUrl, shard, batchSize: 250, limit: undefined, titelive: sandboxTitelive(sandbox), ...overrides };
}
