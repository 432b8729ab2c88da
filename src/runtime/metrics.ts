import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

/**
 * The product's metrics registry. Label values are bounded (stage, outcome, host, status class):
 * never an EAN, a URL or a run id.
 */
export const registry = new Registry();

// Process metrics (CPU, memory, event loop lag, GC), under the product's prefix.
collectDefaultMetrics({ register: registry, prefix: 'titelive_etl_' });

/* Every metric is registered in `registry`; label names are typed, so a misspelt label fails to compile. */
function gauge<Label extends string>(name: string, labelNames: readonly Label[], help: string): Gauge<Label> {
  return new Gauge({ name, help, labelNames, registers: [registry] });
}

function counter<Label extends string>(name: string, labelNames: readonly Label[], help: string): Counter<Label> {
  return new Counter({ name, help, labelNames, registers: [registry] });
}

function histogram<Label extends string>(name: string, labelNames: readonly Label[], help: string, buckets: number[]): Histogram<Label> {
  return new Histogram({ name, help, labelNames, buckets, registers: [registry] });
}

export const stageDurationSeconds = gauge('titelive_etl_stage_duration_seconds', ['stage'], 'How long the last run of this stage shard took.');

export const stageExitCode = gauge('titelive_etl_stage_exit_code', ['stage'], 'Exit code of the last run of this stage shard: 0 done, 1 work failed, 2 configuration, 3 upstream incomplete, 130/143 stopped.');

export const stageRetriesLeft = gauge('titelive_etl_stage_retries_left', ['stage'], 'Retries Kubernetes still allows this stage shard after its last pod (0: a failure of that pod failed the Job). Reported when the pod is told its retry limit and failures so far.');

export const lastSuccessTimestampSeconds = gauge('titelive_etl_last_success_timestamp_seconds', ['stage'], 'When this stage shard last finished successfully (Unix time).');

export const runInfo = gauge('titelive_etl_run_info', ['stage', 'run_id', 'version'], 'Always 1; names the run a stage shard worked on (the only metric with a run id label).');

export const httpRequestDurationSeconds = histogram('titelive_etl_http_request_duration_seconds', ['host', 'method'], 'Duration of one HTTP attempt, by upstream host and method.', [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30]);

export const parquetRowsWrittenTotal = counter('titelive_etl_parquet_rows_written_total', ['stage'], 'Rows written to Parquet parts, by stage.');

export const parquetBytesWrittenTotal = counter('titelive_etl_parquet_bytes_written_total', ['stage'], 'Bytes of Parquet parts written, by stage.');

export const mongodbWritesTotal = counter('titelive_etl_mongodb_writes_total', ['outcome'], 'MongoDB document writes by outcome (inserted, updated, deleted, rejected).');

export const planAnomaliesTotal = counter('titelive_etl_plan_anomalies_total', ['kind'], 'Plan anomalies by kind: day_over_cap (more results than the API pages through), zero_result_day.');

export const planDayOverCapProducts = gauge('titelive_etl_plan_day_over_cap_products', ['day', 'count'], 'Days of the last plan with more results than the API pages through: the day\'s results (count="total") and those planned (count="kept"). The day label is bounded by the window.');

export const itemsTotal = counter('titelive_etl_items_total', ['stage', 'outcome'], 'Items processed, by stage and outcome (found, deleted, failed, planned…).');

export const httpRequestsTotal = counter('titelive_etl_http_requests_total', ['host', 'method', 'status_class'], 'HTTP requests sent, by upstream host, method and status class (2xx, 4xx, 5xx, error).');

export const httpRetriesTotal = counter('titelive_etl_http_retries_total', ['host', 'reason'], 'HTTP requests retried, by upstream host and reason (429, 5xx, network).');

export const rateLimitWaitSeconds = counter('titelive_etl_rate_limit_wait_seconds_total', [], 'Time spent waiting for the request budget.');

export const tokenRefreshesTotal = counter('titelive_etl_token_refreshes_total', [], 'Bearer token logins after the first, caused by 401 answers.');

export const transferredBytesTotal = counter('titelive_etl_transferred_bytes_total', ['stage', 'direction'], 'Payload bytes moved, by stage and direction (downloaded, uploaded).');

export const httpSocketsInUse = gauge('titelive_etl_http_sockets_in_use', ['host'], 'Keep-alive sockets open to an upstream host right now (capped by --max-sockets).');

export const httpSocketsOpened = gauge('titelive_etl_http_sockets_opened', ['host'], 'Sockets opened to an upstream host since the job started: with keep-alive, at most the cap.');

export const cursorLagDays = gauge('titelive_etl_cursor_lag_days', ['category'], 'Days between the cursor (the end of the days covered by committed runs) and the day it was reported (the run date when it commits): 0 when the last run committed.');

export const cursorEndTimestampSeconds = gauge('titelive_etl_cursor_end_timestamp_seconds', ['category'], 'The cursor as Unix time (midnight UTC of its day): the alerts compute the lag from it with time(), so a run that never reports still shows. Labelled by category so that a process that never reads the cursor exports no series.');

export const cursorCarriedItems = gauge('titelive_etl_cursor_carried_items', ['category'], 'Items (EANs) that failed in a committed run and are planned again by the next runs.');

export const itemsGivenUpTotal = counter('titelive_etl_items_given_up_total', ['category'], 'Items (EANs) given up after failing in --max-item-attempts committed runs: no longer planned, listed by `titelive-etl cursor`.');

export const auditStaleRatio = gauge('titelive_etl_audit_stale_ratio', ['category'], 'The last audit: the share of sampled documents not equal to what Titelive answers now (stale, deleted at the source, deleted in the copy only), failed fetches left out.');

export const auditStaleRatioLowerBound = gauge('titelive_etl_audit_stale_ratio_lower_bound', ['category'], "The last audit: the lower bound of the stale share's 95 % Wilson interval; the alert fires when it passes titelive_etl_audit_max_stale_ratio.");

export const auditStaleRatioUpperBound = gauge('titelive_etl_audit_stale_ratio_upper_bound', ['category'], "The last audit: the upper bound of the stale share's 95 % Wilson interval.");

export const auditMaxStaleRatio = gauge('titelive_etl_audit_max_stale_ratio', ['category'], 'The audit\'s --max-stale-ratio: the stale share the copy may have.');

export const auditItems = gauge('titelive_etl_audit_items', ['category', 'outcome'], 'The last audit: sampled documents by outcome (in_sync, stale, deleted_at_source, deleted_in_copy_only, failed).');

export const auditTimestampSeconds = gauge('titelive_etl_audit_timestamp_seconds', ['category'], 'When the last audit ended, as Unix time.');

export function statusClass(status: number | undefined): string {
  if (status === undefined) return 'error';
  return `${Math.floor(status / 100)}xx`;
}
