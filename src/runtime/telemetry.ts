import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Logger } from 'pino';
import { Pushgateway } from 'prom-client';
import { messageOf } from './errors.js';
import { lastSuccessTimestampSeconds, registry, runInfo, stageDurationSeconds, stageExitCode, stageRetriesLeft } from './metrics.js';
import { PRODUCT_VERSION } from './version.js';

export interface TelemetryConfig {
  /** Serve /metrics on this port while the job runs (0 = a free port; undefined = off). */
  metricsPort?: number;
  /** Push the final values here when the job ends, success or failure. */
  pushgatewayUrl?: string;
  /** Retries Kubernetes still allows this shard after this pod, when the pod knows it. */
  retriesLeft?: number;
}

/** Who is reporting: the Pushgateway group, and labels on every series. */
export interface JobIdentity {
  stage: string;
  category?: string;
  shard?: { index: number; count: number };
  runId?: string;
}

/** The Pushgateway group of a job, whose category and shard also label every series it reports. */
function groupLabels(identity: JobIdentity): { stage: string; category: string; shard: string } {
  return { stage: identity.stage, category: identity.category ?? 'none', shard: identity.shard ? String(identity.shard.index) : '0' };
}

/** The Pushgateway job every stage pushes under; groups are stage, category and shard. */
export const PUSH_JOB = 'titelive_etl';

/**
 * The metrics of one job: served on /metrics while it runs (for Prometheus to scrape), and
 * pushed once at the end to a Pushgateway (a finished Job's pod is gone before the next scrape).
 * The group key (stage, category, shard) is bounded; the run id is only a label of run_info.
 */
export class Telemetry {
  private constructor(
    private readonly config: TelemetryConfig,
    private readonly identity: JobIdentity,
    private readonly logger: Logger,
    private readonly server: http.Server | undefined,
    private readonly startedAt: number,
  ) {}

  static async start(config: TelemetryConfig, identity: JobIdentity, logger: Logger): Promise<Telemetry> {
    const { category, shard } = groupLabels(identity);
    registry.setDefaultLabels({ category, shard });
    runInfo.set({ stage: identity.stage, run_id: identity.runId ?? 'none', version: PRODUCT_VERSION }, 1);
    let server: http.Server | undefined;
    if (config.metricsPort !== undefined) {
      server = http.createServer((request, response) => {
        if (request.url !== '/metrics') {
          response.writeHead(404).end('see /metrics\n');
          return;
        }
        registry.metrics().then(
          (text) => response.writeHead(200, { 'content-type': registry.contentType }).end(text),
          (error: unknown) => response.writeHead(500).end(String(error)),
        );
      });
      await new Promise<void>((resolve, reject) => {
        server!.once('error', reject);
        server!.listen(config.metricsPort, resolve);
      });
      server.unref();
      const port = (server.address() as AddressInfo).port;
      logger.debug({ event: 'metrics_serving', port }, `metrics on :${port}/metrics`);
    }
    return new Telemetry(config, identity, logger, server, Date.now());
  }

  get port(): number | undefined {
    return this.server ? (this.server.address() as AddressInfo).port : undefined;
  }

  /**
   * Records the outcome, pushes to the Pushgateway (never failing the job for it), stops serving.
   * The push adds to the group (POST): a failed run sends no last-success time, so the one of
   * the last success stays for the staleness alert. Shard 0 also deletes the groups of shards
   * past the shard count (left by a run with more shards), whose values would never change again.
   */
  async finish(exitCode: number): Promise<void> {
    const stage = this.identity.stage;
    stageDurationSeconds.set({ stage }, (Date.now() - this.startedAt) / 1000);
    stageExitCode.set({ stage }, exitCode);
    if (this.config.retriesLeft !== undefined) stageRetriesLeft.set({ stage }, this.config.retriesLeft);
    if (exitCode === 0) lastSuccessTimestampSeconds.set({ stage }, Date.now() / 1000);
    else registry.removeSingleMetric(LAST_SUCCESS);
    if (this.config.pushgatewayUrl) {
      const gateway = new Pushgateway(this.config.pushgatewayUrl, { timeout: 10_000 }, registry);
      try {
        await gateway.pushAdd({ jobName: PUSH_JOB, groupings: groupLabels(this.identity) });
        if (this.identity.shard?.index === 0) await deleteGroupsPastShardCount(this.config.pushgatewayUrl, gateway, this.identity);
      } catch (error) {
        this.logger.warn({ event: 'pushgateway_failed', error: messageOf(error) }, `could not push metrics to the Pushgateway: ${messageOf(error)}`);
      }
    }
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
  }
}

const LAST_SUCCESS = 'titelive_etl_last_success_timestamp_seconds';

/** Deletes this stage and category's groups whose shard is not below the shard count. */
async function deleteGroupsPastShardCount(url: string, gateway: Pushgateway<'text/plain; version=0.0.4; charset=utf-8'>, identity: JobIdentity): Promise<void> {
  const count = identity.shard?.count ?? 1;
  const { stage, category } = groupLabels(identity);
  const response = await fetch(`${url.replace(/\/+$/, '')}/api/v1/metrics`, { signal: AbortSignal.timeout(10_000) });
  if (!response.ok) throw new Error(`listing the Pushgateway's groups answered HTTP ${response.status}`);
  const body = (await response.json()) as { data?: Array<{ labels?: Record<string, string> }> };
  for (const group of body.data ?? []) {
    const labels = group.labels ?? {};
    const shard = Number(labels.shard);
    if (labels.job !== PUSH_JOB || labels.stage !== stage || labels.category !== category || !Number.isInteger(shard) || shard < count) continue;
    await gateway.delete({ jobName: PUSH_JOB, groupings: { stage, category, shard: String(shard) } });
  }
}
