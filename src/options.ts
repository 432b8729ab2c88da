import type { Options } from 'yargs';

/**
 * Every flag of the CLI with its environment variable, in one table: the help text and the
 * configuration resolver both read it, so they cannot disagree.
 */
export interface OptionSpec extends Options {
  env?: string;
  group: string;
}

const RUN = 'Run:';
const TITELIVE = 'Titelive API:';
const HTTP = 'HTTP:';
const SHARD = 'Sharding:';
const LOG = 'Logging and metrics:';
const IMAGES = 'Images:';
const LOAD = 'Load:';
const KUBERNETES = 'Kubernetes (pipeline):';

export const OPTIONS = {
  category: { env: 'CATEGORY', group: RUN, type: 'string', describe: 'Catalog to process: paper|music (or the seed names LIVRE|MUSIQUE_ENREGISTREE)' },
  'run-id': { env: 'RUN_ID', group: RUN, type: 'string', describe: 'Run identifier, the folder of this run; default: today (YYYY-MM-DD, in TZ)' },
  'data-url': { env: 'DATA_URL', group: RUN, type: 'string', describe: 'Where runs are stored: gs://bucket/prefix, a local folder or a file:// URL' },
  'min-modified-date': { env: 'MIN_MODIFIED_DATE', group: RUN, type: 'string', describe: 'First day of the window (YYYY-MM-DD, included)' },
  'max-modified-date': { env: 'MAX_MODIFIED_DATE', group: RUN, type: 'string', describe: 'End of the window (YYYY-MM-DD, excluded); default: the run date' },
  'window-days': { env: 'WINDOW_DAYS', group: RUN, type: 'number', describe: 'The N days ending at the run date, when no --min-modified-date (default 1)' },
  'allow-partial': { env: 'ALLOW_PARTIAL', group: RUN, type: 'boolean', describe: 'Plan: go on when a day has more results than the API pages through (records an anomaly) instead of failing' },
  limit: { env: 'LIMIT', group: RUN, type: 'number', describe: 'Cap the number of EANs (plan: in all; fetch: in this shard), for a quick test run' },
  'batch-size': { env: 'TITELIVE_BATCH_SIZE', group: RUN, type: 'number', describe: 'Fetch: EANs per /ean call, 1 to 250 (default 250)' },
  'input-file-path': { env: 'INPUT_FILE_PATH', group: RUN, type: 'string', describe: 'Parse: a raw file in the seed extract format (index id, column data) instead of a run' },
  'output-file-path': { env: 'OUTPUT_FILE_PATH', group: RUN, type: 'string', describe: 'Parse: where to write the flat file, with --input-file-path' },
  'parse-workers': { env: 'PARSE_WORKERS', group: RUN, type: 'number', describe: 'Parse: worker threads that read, parse, flatten and encode raw products (default: CPUs; 0 = none, all on the main thread)' },
  'images-url': { env: 'IMAGES_URL', group: IMAGES, type: 'string', describe: 'Images: the mirror, gs://bucket/prefix or a local folder; each object is named UUIDv5(NAMESPACE_URL, image URL)' },
  'max-failure-ratio': { env: 'MAX_FAILURE_RATIO', group: IMAGES, type: 'number', describe: 'Images, load: above this share of failed images / rejected documents the shard exits 1 so that Kubernetes retries it (default 0.01)' },
  'image-hosts': { env: 'IMAGE_HOSTS', group: IMAGES, type: 'string', describe: 'Images: the hosts covers may come from, redirects included, comma-separated: host (https), *.domain (https, public addresses only) or an origin such as http://127.0.0.1:9000; any other URL is not requested and its side is "failed: host not allowed" (default images.epagine.fr)' },
  'max-image-bytes': { env: 'MAX_IMAGE_BYTES', group: IMAGES, type: 'number', describe: 'Images: a larger download fails; memory stays under max-sockets × this (default 4194304)' },
  'input-parquet-path': { env: 'INPUT_PARQUET_PATH', group: IMAGES, type: 'string', describe: 'Images: a parsed products file to mirror the covers of, instead of a run (like the seed script)' },
  'gcs-thumb-base-path': { env: 'GCS_THUMB_BASE_PATH', group: IMAGES, type: 'string', describe: 'Images: the seed script\'s name for --images-url, with --input-parquet-path' },
  'output-parquet-path': { env: 'OUTPUT_PARQUET_PATH', group: IMAGES, type: 'string', describe: 'Images: where to write the status file, with --input-parquet-path' },
  'mongodb-uri': { env: 'MONGODB_URI', group: LOAD, type: 'string', describe: 'Load: the MongoDB connection string (or MONGODB_URI_FILE, a mounted Secret); never logged' },
  database: { env: 'MONGODB_DATABASE', group: LOAD, type: 'string', describe: 'Load: the database (default titelive)' },
  collection: { env: 'MONGODB_COLLECTION', group: LOAD, type: 'string', describe: 'Load: the collection (default products)' },
  'write-batch-size': { env: 'MONGODB_BATCH_SIZE', group: LOAD, type: 'number', describe: 'Load: documents per unordered bulk write (default 1000)' },
  'shard-index': { env: 'JOB_COMPLETION_INDEX', group: SHARD, type: 'number', describe: 'This shard (0-based); Kubernetes Indexed Jobs set JOB_COMPLETION_INDEX' },
  'shard-count': { env: 'SHARD_COUNT', group: SHARD, type: 'number', describe: 'Number of shards of this stage (default 1)' },
  'skip-complete-shards': { env: 'SKIP_COMPLETE_SHARDS', group: SHARD, type: 'boolean', describe: "Exit 0 at once when this shard's manifest is already there for the same shard count (the pipeline sets it when it resumes a stage; default false: redo the shard)" },
  'api-url': { env: 'TITELIVE_API_URL', group: TITELIVE, type: 'string', describe: 'Titelive API base URL (default https://catsearch.epagine.fr/v1)' },
  'login-url': { env: 'TITELIVE_LOGIN_URL', group: TITELIVE, type: 'string', describe: 'Titelive login base URL (default https://login.epagine.fr/v1/login)' },
  username: { env: 'TITELIVE_USERNAME', group: TITELIVE, type: 'string', describe: 'Titelive username (or TITELIVE_USERNAME_FILE, or Secret Manager)' },
  password: { env: 'TITELIVE_PASSWORD', group: TITELIVE, type: 'string', describe: 'Titelive password (prefer TITELIVE_PASSWORD or TITELIVE_PASSWORD_FILE to a flag)' },
  'secrets-source': { env: 'TITELIVE_SECRETS_SOURCE', group: TITELIVE, type: 'string', describe: 'Where credentials come from: env (variables or *_FILE) or secret-manager (default env)' },
  'gcp-project-id': { env: 'GCP_PROJECT_ID', group: TITELIVE, type: 'string', describe: 'Google Cloud project holding the Secret Manager secrets' },
  'rate-limit': { env: 'TITELIVE_RATE_LIMIT', group: TITELIVE, type: 'number', describe: 'Titelive requests per second for the whole deployment (default 1)' },
  parallelism: { env: 'PARALLELISM', group: TITELIVE, type: 'number', describe: 'Pods running at once that share the rate budget; each gets rate-limit ÷ parallelism (default 1)' },
  concurrency: { env: 'TITELIVE_CONCURRENCY', group: TITELIVE, type: 'number', describe: 'Titelive requests in flight per pod (default 4)' },
  'max-sockets': { env: 'HTTP_MAX_SOCKETS', group: HTTP, type: 'number', describe: 'Keep-alive sockets per upstream host per pod; for images also the downloads in flight (default 8; images: 32)' },
  'http-timeout-ms': { env: 'HTTP_TIMEOUT_MS', group: HTTP, type: 'number', describe: 'Timeout of one HTTP request in ms (default 60000; images: 30000)' },
  'max-attempts': { env: 'HTTP_MAX_ATTEMPTS', group: HTTP, type: 'number', describe: 'Attempts per request, retries on 429/5xx/network included (default 6; images: 5)' },
  'metrics-port': { env: 'METRICS_PORT', group: LOG, type: 'number', describe: 'Serve Prometheus metrics on this port at /metrics while the job runs (0 = any free port; default: off)' },
  'pushgateway-url': { env: 'PUSHGATEWAY_URL', group: LOG, type: 'string', describe: 'Push the final metrics to this Prometheus Pushgateway when the job ends, success or failure (default: off)' },
  'retry-limit': { env: 'JOB_RETRY_LIMIT', group: LOG, type: 'number', describe: "Retries Kubernetes allows this pod's shard (the chart sets the Job's backoffLimitPerIndex); with --failures-so-far, reported as titelive_etl_stage_retries_left" },
  'failures-so-far': { env: 'JOB_INDEX_FAILURE_COUNT', group: LOG, type: 'number', describe: "Failed pods of this shard before this one (the chart reads the pod's batch.kubernetes.io/job-index-failure-count annotation)" },
  release: { env: 'RELEASE_NAME', group: KUBERNETES, type: 'string', describe: 'The Helm release (or fullnameOverride): stage Jobs are made from the CronJobs <release>-<category>-<stage> (default titelive-etl)' },
  namespace: { env: 'POD_NAMESPACE', group: KUBERNETES, type: 'string', describe: "Namespace of the chart's CronJobs (default: the kubeconfig context's, in a pod its own)" },
  kubeconfig: { env: 'KUBECONFIG', group: KUBERNETES, type: 'string', describe: 'A kubeconfig file (default: ~/.kube/config, in a pod its service account)' },
  'owner-job': { env: 'PIPELINE_JOB_NAME', group: KUBERNETES, type: 'string', describe: "The pipeline's own Job, made owner of the stage Jobs so that deleting it deletes them (the chart sets it)" },
  stages: { env: 'PIPELINE_STAGES', group: KUBERNETES, type: 'string', describe: 'Stages to run, in order, comma-separated (default plan,fetch,parse,images,load)' },
  'poll-interval-ms': { env: 'POLL_INTERVAL_MS', group: KUBERNETES, type: 'number', describe: "How often the pipeline reads a stage Job's status, in ms (default 5000)" },
  'log-level': { env: 'LOG_LEVEL', group: LOG, type: 'string', describe: 'trace|debug|info|warn|error (default info)' },
  'log-format': { env: 'LOG_FORMAT', group: LOG, type: 'string', describe: 'json|pretty|auto: auto is pretty on a terminal, JSON otherwise (default auto)' },
} satisfies Record<string, OptionSpec>;

export type OptionName = keyof typeof OPTIONS;

/** The yargs option definitions for a command, with the environment variable in each description. */
export function yargsOptions(names: readonly OptionName[]): Record<string, Options> {
  return Object.fromEntries(
    names.map((name) => {
      const { env, ...spec } = OPTIONS[name] as OptionSpec;
      return [name, { ...spec, describe: env ? `${spec.describe} [env ${env}]` : spec.describe }];
    }),
  );
}

export function sourceOf(name: OptionName): { flag: string; env?: string } {
  return { flag: name, env: (OPTIONS[name] as OptionSpec).env };
}

export const RUN_OPTIONS: OptionName[] = ['category', 'run-id', 'data-url'];
export const TITELIVE_OPTIONS: OptionName[] = [
  'api-url', 'login-url', 'username', 'password', 'secrets-source', 'gcp-project-id',
  'rate-limit', 'parallelism', 'concurrency', 'max-sockets', 'http-timeout-ms', 'max-attempts',
];
export const SHARD_OPTIONS: OptionName[] = ['shard-index', 'shard-count', 'skip-complete-shards'];
export const OBSERVABILITY_OPTIONS: OptionName[] = ['log-level', 'log-format', 'metrics-port', 'pushgateway-url', 'retry-limit', 'failures-so-far'];
