import { availableParallelism } from 'node:os';
import type { Options } from 'yargs';
import { DEFAULT_API_URL, DEFAULT_LOGIN_URL, MAX_EANS_PER_CALL, TITELIVE_IMAGE_HOSTS } from './titelive/api-facts.js';

export type OptionValue = string | number | boolean;

/**
 * One setting of the CLI: its flag (the key), environment variable, type, default, bounds and
 * help. Config resolution, `--help` and the README's option tables all come from this table.
 */
export interface OptionSpec {
  env?: string;
  group: string;
  type: 'string' | 'number' | 'boolean';
  describe: string;
  /** Whole numbers only (type number). */
  integer?: boolean;
  min?: number;
  max?: number;
  /** Strictly above this. */
  exclusiveMin?: number;
  choices?: readonly string[];
  /** An http(s) URL, its trailing slashes dropped. */
  url?: boolean;
  /** The value when neither the flag nor the variable is set; a function for one read from the machine. */
  default?: OptionValue | (() => OptionValue);
  /** No default: the command exits 2 without it (unless a context default applies). */
  required?: boolean;
  /** How help and the README show a default that is computed or not a plain value. */
  defaultText?: string;
  /** Defaults of one command or context (the command's name, or `sandbox`: run-local on its embedded sandbox). */
  defaults?: Readonly<Record<string, OptionValue>>;
}

const RUN = 'Run:';
const TITELIVE = 'Titelive API:';
const HTTP = 'HTTP:';
const SHARD = 'Sharding:';
const LOG = 'Logging and metrics:';
const IMAGES = 'Images:';
const LOAD = 'Load:';
const KUBERNETES = 'Kubernetes (pipeline):';
const SANDBOX = 'Sandbox:';
const AUDIT = 'Audit:';


export const OPTIONS = {
  category: { env: 'CATEGORY', group: RUN, type: 'string', describe: 'Catalog to process: paper|music (or the seed names LIVRE|MUSIQUE_ENREGISTREE)', required: true, defaults: { 'run-local': 'paper' } },
  'run-id': { env: 'RUN_ID', group: RUN, type: 'string', describe: 'Run identifier, the folder of this run', defaultText: 'today (YYYY-MM-DD, in TZ)' },
  'data-url': { env: 'DATA_URL', group: RUN, type: 'string', describe: 'Where runs are stored: gs://bucket/prefix, a local folder or a file:// URL', required: true, defaults: { 'run-local': './data' } },
  'min-modified-date': { env: 'MIN_MODIFIED_DATE', group: RUN, type: 'string', describe: 'First day of the window (YYYY-MM-DD, included)' },
  'max-modified-date': { env: 'MAX_MODIFIED_DATE', group: RUN, type: 'string', describe: 'End of the window (YYYY-MM-DD, excluded)', defaultText: 'the run date' },
  'window-days': { env: 'WINDOW_DAYS', group: RUN, type: 'number', integer: true, min: 1, max: 366, default: 1, defaults: { 'run-local': 7 }, describe: "First run only (no committed run yet, no --min-modified-date): the N days before the run date; later runs start from the cursor" },
  'lookback-days': { env: 'LOOKBACK_DAYS', group: RUN, type: 'number', integer: true, min: 0, max: 366, default: 7, describe: 'Days before the cursor that each run searches again, to find the changes Titelive shows late' },
  'max-catch-up-days': { env: 'MAX_CATCH_UP_DAYS', group: RUN, type: 'number', integer: true, min: 1, max: 366, default: 62, describe: 'Plan: exit 2 when the cursor is more than this many days behind the run date (a gap that long is a backfill: the message gives the command)' },
  'max-item-attempts': { env: 'MAX_ITEM_ATTEMPTS', group: RUN, type: 'number', integer: true, min: 1, max: 100, default: 5, describe: 'Committed runs an EAN may fail in: each one plans it again, and the last gives it up (recorded in the commit record, the cursor, a metric and an anomaly log line)' },
  set: { group: RUN, type: 'string', describe: 'Cursor: move the cursor to this day (YYYY-MM-DD, not in the future): the next run catches up from it, minus the lookback' },
  'eans-from': { env: 'EANS_FROM', group: RUN, type: 'string', describe: "Plan: fetch the EANs listed in this file instead of searching a window (a backfill): text or CSV, one EAN per line (a header naming ean, gencod or article_gencod picks that column), or Parquet with one of those columns; a local path, file:// or gs:// URL. Each EAN is trimmed and checked (13 digits, check digit), repeats are planned once, bad lines are counted and named in the manifest" },
  'move-cursor': { env: 'MOVE_CURSOR', group: RUN, type: 'boolean', default: false, describe: 'Plan --eans-from: when the run commits, move the cursor to the run date (for a list of the whole catalogue); without it a backfill leaves the cursor where it is' },
  'retry-failed-from': { env: 'RETRY_FAILED_FROM', group: RUN, type: 'string', describe: 'Plan: fetch again only the EANs whose fetch ended failed in this earlier run (same category and data URL), with its window; the cursor stays where it is' },
  'include-unavailable': { env: 'INCLUDE_UNAVAILABLE', group: RUN, type: 'boolean', default: false, describe: 'Plan --retry-failed-from: also the EANs with a cover whose mirroring ended failed (unavailable at the source or not) in that run' },
  'allow-partial': { env: 'ALLOW_PARTIAL', group: RUN, type: 'boolean', default: false, describe: 'Plan: go on when a day has more results than the API pages through (records an anomaly) instead of failing' },
  limit: { env: 'LIMIT', group: RUN, type: 'number', integer: true, min: 1, describe: 'Cap the number of EANs (plan: in all; fetch: in this shard), for a quick test run' },
  'batch-size': { env: 'TITELIVE_BATCH_SIZE', group: RUN, type: 'number', integer: true, min: 1, max: MAX_EANS_PER_CALL, default: MAX_EANS_PER_CALL, describe: `Fetch, audit: EANs per /ean call, 1 to ${MAX_EANS_PER_CALL}` },
  'input-file-path': { env: 'INPUT_FILE_PATH', group: RUN, type: 'string', describe: 'Parse: a raw file in the seed extract format (index id, column data) instead of a run' },
  'output-file-path': { env: 'OUTPUT_FILE_PATH', group: RUN, type: 'string', describe: 'Parse: where to write the flat file, with --input-file-path' },
  'parse-workers': { env: 'PARSE_WORKERS', group: RUN, type: 'number', integer: true, min: 0, max: 64, default: () => Math.max(1, availableParallelism()), defaultText: 'CPUs', describe: 'Parse: worker threads that read, parse, flatten and encode raw products (0 = none, all on the main thread)' },
  shards: { group: RUN, type: 'number', integer: true, min: 1, max: 64, default: () => Math.max(2, availableParallelism()), defaultText: 'CPUs, at least 2', describe: 'Run-local: workers (shards) per sharded stage' },
  products: { group: SANDBOX, type: 'number', integer: true, min: 1, max: 5_000_000, default: 5_000, describe: 'Run-local: products per category in the embedded sandbox' },
  'images-url': { env: 'IMAGES_URL', group: IMAGES, type: 'string', required: true, defaultText: 'run-local: <data-url>/images/titelive', describe: 'Images: the mirror, gs://bucket/prefix or a local folder; each object is named UUIDv5(NAMESPACE_URL, image URL)' },
  'max-failure-ratio': { env: 'MAX_FAILURE_RATIO', group: IMAGES, type: 'number', min: 0, max: 1, default: 0.01, describe: 'Fetch, images, load: above this share of the shard\'s EANs failed after retries / images failed / documents rejected, the shard exits 1 so that Kubernetes retries it; fetch\'s failures within it are carried to the next runs' },
  'image-hosts': { env: 'IMAGE_HOSTS', group: IMAGES, type: 'string', default: TITELIVE_IMAGE_HOSTS, describe: 'Images: the hosts covers may come from, redirects included, comma-separated: host (https), *.domain (https, public addresses only) or an origin such as http://127.0.0.1:9000; any other URL is not requested and its side is "failed: host not allowed"' },
  'max-image-bytes': { env: 'MAX_IMAGE_BYTES', group: IMAGES, type: 'number', integer: true, min: 1_024, max: 100_000_000, default: 4 * 1024 * 1024, describe: 'Images: a larger download fails; memory stays under max-sockets × this' },
  'input-parquet-path': { env: 'INPUT_PARQUET_PATH', group: IMAGES, type: 'string', describe: 'Images: a parsed products file to mirror the covers of, instead of a run (like the seed script)' },
  'gcs-thumb-base-path': { env: 'GCS_THUMB_BASE_PATH', group: IMAGES, type: 'string', describe: "Images: the seed script's name for --images-url, with --input-parquet-path" },
  'output-parquet-path': { env: 'OUTPUT_PARQUET_PATH', group: IMAGES, type: 'string', describe: 'Images: where to write the status file, with --input-parquet-path' },
  'mongodb-uri': { env: 'MONGODB_URI', group: LOAD, type: 'string', required: true, describe: 'Load, audit: the MongoDB connection string (or MONGODB_URI_FILE, a mounted Secret); never logged' },
  database: { env: 'MONGODB_DATABASE', group: LOAD, type: 'string', default: 'titelive', describe: 'Load, audit: the database' },
  collection: { env: 'MONGODB_COLLECTION', group: LOAD, type: 'string', default: 'products', describe: 'Load, audit: the collection' },
  'mongodb-timeout-ms': { env: 'MONGODB_TIMEOUT_MS', group: LOAD, type: 'number', integer: true, min: 1_000, max: 3_600_000, default: 120_000, describe: 'Load, audit: the longest one MongoDB operation (a bulk write, a lookup, a batch of the scan) may take; past it the command exits 1 so that Kubernetes retries it' },
  'write-batch-size': { env: 'MONGODB_BATCH_SIZE', group: LOAD, type: 'number', integer: true, min: 1, max: 100_000, default: 1_000, describe: 'Load: documents per unordered bulk write' },
  sample: { env: 'AUDIT_SAMPLE', group: AUDIT, type: 'number', integer: true, min: 1, max: 100_000, default: 1_000, describe: 'Audit: documents sampled uniformly from the collection ($sample) and fetched fresh from Titelive (one /ean call per 250); read and compared a batch at a time' },
  'max-stale-ratio': { env: 'MAX_STALE_RATIO', group: AUDIT, type: 'number', min: 0, max: 1, default: 0.01, describe: "Audit: the stale share the copy may have; above it when the lower bound of the share's 95 % interval is (the alert TiteliveEtlCopyStale, and exit 4 with --fail-on-stale)" },
  'fail-on-stale': { env: 'FAIL_ON_STALE', group: AUDIT, type: 'boolean', default: false, describe: 'Audit: exit 4 when the stale share is above --max-stale-ratio (default: exit 0 whatever the audit found)' },
  'shard-index': { env: 'JOB_COMPLETION_INDEX', group: SHARD, type: 'number', integer: true, min: 0, default: 0, describe: 'This shard (0-based); Kubernetes Indexed Jobs set JOB_COMPLETION_INDEX' },
  'shard-count': { env: 'SHARD_COUNT', group: SHARD, type: 'number', integer: true, min: 1, max: 100_000, default: 1, describe: 'Number of shards of this stage' },
  'skip-complete-shards': { env: 'SKIP_COMPLETE_SHARDS', group: SHARD, type: 'boolean', default: false, describe: "Exit 0 at once when this shard's manifest is already there for the same shard count (the pipeline sets it when it resumes a stage; false: redo the shard)" },
  'api-url': { env: 'TITELIVE_API_URL', group: TITELIVE, type: 'string', url: true, default: DEFAULT_API_URL, describe: 'Titelive API base URL' },
  'login-url': { env: 'TITELIVE_LOGIN_URL', group: TITELIVE, type: 'string', url: true, default: DEFAULT_LOGIN_URL, describe: 'Titelive login base URL' },
  username: { env: 'TITELIVE_USERNAME', group: TITELIVE, type: 'string', describe: 'Titelive username (or TITELIVE_USERNAME_FILE, or Secret Manager)' },
  password: { env: 'TITELIVE_PASSWORD', group: TITELIVE, type: 'string', describe: 'Titelive password (prefer TITELIVE_PASSWORD or TITELIVE_PASSWORD_FILE to a flag)' },
  'secrets-source': { env: 'TITELIVE_SECRETS_SOURCE', group: TITELIVE, type: 'string', choices: ['env', 'secret-manager'], default: 'env', describe: 'Where credentials come from: env (variables or *_FILE) or secret-manager' },
  'gcp-project-id': { env: 'GCP_PROJECT_ID', group: TITELIVE, type: 'string', describe: 'Google Cloud project holding the Secret Manager secrets' },
  'rate-limit': { env: 'TITELIVE_RATE_LIMIT', group: TITELIVE, type: 'number', exclusiveMin: 0, max: 10_000, default: 1, defaults: { sandbox: 20 }, describe: 'Titelive requests per second for the whole deployment' },
  parallelism: { env: 'PARALLELISM', group: TITELIVE, type: 'number', integer: true, min: 1, max: 10_000, default: 1, describe: 'Pods running at once that share the rate budget; each gets rate-limit ÷ parallelism' },
  concurrency: { env: 'TITELIVE_CONCURRENCY', group: TITELIVE, type: 'number', integer: true, min: 1, max: 256, default: 4, describe: 'Titelive requests in flight per pod' },
  'max-sockets': { env: 'HTTP_MAX_SOCKETS', group: HTTP, type: 'number', integer: true, min: 1, max: 1_024, default: 8, defaults: { images: 32 }, describe: 'Keep-alive sockets per upstream host per pod; for images also the downloads in flight' },
  'http-timeout-ms': { env: 'HTTP_TIMEOUT_MS', group: HTTP, type: 'number', integer: true, min: 100, max: 600_000, default: 60_000, defaults: { images: 30_000 }, describe: 'Timeout of one HTTP request in ms' },
  'max-attempts': { env: 'HTTP_MAX_ATTEMPTS', group: HTTP, type: 'number', integer: true, min: 1, max: 50, default: 6, defaults: { images: 5 }, describe: 'Attempts per request, retries on 429/5xx/network included' },
  'metrics-port': { env: 'METRICS_PORT', group: LOG, type: 'number', integer: true, min: 0, max: 65_535, defaultText: 'off', describe: 'Serve Prometheus metrics on this port at /metrics while the job runs (0 = any free port)' },
  'pushgateway-url': { env: 'PUSHGATEWAY_URL', group: LOG, type: 'string', url: true, defaultText: 'off', describe: 'Push the final metrics to this Prometheus Pushgateway when the job ends, success or failure' },
  'retry-limit': { env: 'JOB_RETRY_LIMIT', group: LOG, type: 'number', integer: true, min: 0, max: 1_000, describe: "Retries Kubernetes allows this pod's shard (the chart sets the Job's backoffLimitPerIndex); with --failures-so-far, reported as titelive_etl_stage_retries_left" },
  'failures-so-far': { env: 'JOB_INDEX_FAILURE_COUNT', group: LOG, type: 'number', integer: true, min: 0, max: 1_000, describe: "Failed pods of this shard before this one (the chart reads the pod's batch.kubernetes.io/job-index-failure-count annotation)" },
  release: { env: 'RELEASE_NAME', group: KUBERNETES, type: 'string', default: 'titelive-etl', describe: 'The Helm release (or fullnameOverride): stage Jobs are made from the CronJobs <release>-<category>-<stage>' },
  namespace: { env: 'POD_NAMESPACE', group: KUBERNETES, type: 'string', defaultText: "the kubeconfig context's, in a pod its own", describe: "Namespace of the chart's CronJobs" },
  kubeconfig: { env: 'KUBECONFIG', group: KUBERNETES, type: 'string', defaultText: '~/.kube/config, in a pod its service account', describe: 'A kubeconfig file' },
  'owner-job': { env: 'PIPELINE_JOB_NAME', group: KUBERNETES, type: 'string', describe: "The pipeline's own Job, made owner of the stage Jobs so that deleting it deletes them (the chart sets it)" },
  stages: { env: 'PIPELINE_STAGES', group: KUBERNETES, type: 'string', defaultText: 'every stage, in run order', describe: 'Stages to run, in order, comma-separated' },
  'poll-interval-ms': { env: 'POLL_INTERVAL_MS', group: KUBERNETES, type: 'number', integer: true, min: 100, max: 600_000, default: 5_000, describe: "How often the pipeline reads a stage Job's status, in ms" },
  'drain-seconds': { env: 'DRAIN_SECONDS', group: LOG, type: 'number', integer: true, min: 1, max: 3_600, default: 20, describe: "After SIGTERM/SIGINT, the longest a command waits for its work to stop before it exits (143/130, no manifest) even if a call hangs; keep it under the pod's terminationGracePeriodSeconds (the chart: 20 and 30)" },
  'log-level': { env: 'LOG_LEVEL', group: LOG, type: 'string', choices: ['trace', 'debug', 'info', 'warn', 'error'], default: 'info', describe: 'trace|debug|info|warn|error' },
  'log-format': { env: 'LOG_FORMAT', group: LOG, type: 'string', choices: ['json', 'pretty', 'auto'], default: 'auto', describe: 'json|pretty|auto: auto is pretty on a terminal, JSON otherwise' },
} as const satisfies Record<string, OptionSpec>;

export type OptionName = keyof typeof OPTIONS;

export function optionSpec(name: OptionName): OptionSpec {
  return OPTIONS[name];
}

/** The default as help and the README show it: "1; images: 32", "CPUs", or undefined when there is none. */
export function describeDefault(spec: OptionSpec): string | undefined {
  const plain = spec.default === undefined || typeof spec.default === 'function' ? undefined : String(spec.default);
  const base = spec.required ? 'required' : plain ?? spec.defaultText;
  const contexts = Object.entries(spec.defaults ?? {}).map(([context, value]) => `${context === 'sandbox' ? 'run-local with the sandbox' : context}: ${value}`);
  const parts = [base, ...(spec.required && spec.defaultText ? [spec.defaultText] : []), ...contexts].filter((part) => part !== undefined);
  return parts.length === 0 ? undefined : parts.join('; ');
}

/** The yargs option definitions for a command: help with the default and the environment variable. */
export function yargsOptions(names: readonly OptionName[]): Record<string, Options> {
  return Object.fromEntries(
    names.map((name) => {
      const spec: OptionSpec = OPTIONS[name];
      const shown = describeDefault(spec);
      const describe = `${spec.describe}${shown === undefined ? '' : spec.required ? ` (${shown})` : ` (default ${shown})`}${spec.env ? ` [env ${spec.env}]` : ''}`;
      return [name, { type: spec.type, group: spec.group, describe }];
    }),
  );
}

export const RUN_OPTIONS: OptionName[] = ['category', 'run-id', 'data-url'];
export const TITELIVE_OPTIONS: OptionName[] = [
  'api-url', 'login-url', 'username', 'password', 'secrets-source', 'gcp-project-id',
  'rate-limit', 'parallelism', 'concurrency', 'max-sockets', 'http-timeout-ms', 'max-attempts',
];
export const SHARD_OPTIONS: OptionName[] = ['shard-index', 'shard-count', 'skip-complete-shards'];
export const OBSERVABILITY_OPTIONS: OptionName[] = ['log-level', 'log-format', 'metrics-port', 'pushgateway-url', 'retry-limit', 'failures-so-far', 'drain-seconds'];
