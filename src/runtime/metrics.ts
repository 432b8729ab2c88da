import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

/**
 * The product's metrics registry. Label values are bounded (stage, outcome, host, status class):
 * never an EAN, a URL or a run id.
 */
export const registry = new Registry();

// Process metrics (CPU, memory, event loop lag, GC), under the product's prefix.
collectDefaultMetrics({ register: registry, prefix: 'titelive_etl_' });

export const stageDurationSeconds = new Gauge({
  name: 'titelive_etl_stage_duration_seconds',
  help: 'How long the last run of this stage shard took.',
  labelNames: ['stage'] as const,
  registers: [registry],
});

export const stageExitCode = new Gauge({
  name: 'titelive_etl_stage_exit_code',
  help: 'Exit code of the last run of this stage shard: 0 done, 1 work failed, 2 configuration, 3 upstream incomplete, 130/143 stopped.',
  labelNames: ['stage'] as const,
  registers: [registry],
});

export const stageRetriesLeft = new Gauge({
  name: 'titelive_etl_stage_retries_left',
  help: 'Retries Kubernetes still allows this stage shard after its last pod (0: a failure of that pod failed the Job). Reported when the pod is told its retry limit and failures so far.',
  labelNames: ['stage'] as const,
  registers: [registry],
});

export const lastSuccessTimestampSeconds = new Gauge({
  name: 'titelive_etl_last_success_timestamp_seconds',
  help: 'When this stage shard last finished successfully (Unix time).',
  labelNames: ['stage'] as const,
  registers: [registry],
});

export const runInfo = new Gauge({
  name: 'titelive_etl_run_info',
  help: 'Always 1; names the run a stage shard worked on (the only metric with a run id label).',
  labelNames: ['stage', 'run_id', 'version'] as const,
  registers: [registry],
});

export const httpRequestDurationSeconds = new Histogram({
  name: 'titelive_etl_http_request_duration_seconds',
  help: 'Duration of one HTTP attempt, by upstream host and method.',
  labelNames: ['host', 'method'] as const,
  buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
  registers: [registry],
});

export const parquetRowsWrittenTotal = new Counter({
  name: 'titelive_etl_parquet_rows_written_total',
  help: 'Rows written to Parquet parts, by stage.',
  labelNames: ['stage'] as const,
  registers: [registry],
});

export const parquetBytesWrittenTotal = new Counter({
  name: 'titelive_etl_parquet_bytes_written_total',
  help: 'Bytes of Parquet parts written, by stage.',
  labelNames: ['stage'] as const,
  registers: [registry],
});

export const mongodbWritesTotal = new Counter({
  name: 'titelive_etl_mongodb_writes_total',
  help: 'MongoDB document writes by outcome (inserted, updated, deleted, rejected).',
  labelNames: ['outcome'] as const,
  registers: [registry],
});

export const planAnomaliesTotal = new Counter({
  name: 'titelive_etl_plan_anomalies_total',
  help: 'Plan anomalies by kind: day_over_cap (more results than the API pages through), zero_result_day.',
  labelNames: ['kind'] as const,
  registers: [registry],
});

export const planDayOverCapProducts = new Gauge({
  name: 'titelive_etl_plan_day_over_cap_products',
  help: 'Days of the last plan with more results than the API pages through: the day\'s results (count="total") and those planned (count="kept"). The day label is bounded by the window.',
  labelNames: ['day', 'count'] as const,
  registers: [registry],
});

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
