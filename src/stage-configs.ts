import type { AllowedHost } from './runtime/http/host-allowlist.js';
import type { Shard } from './runtime/sharding.js';

/*
 * What each stage is given to run: the shapes config.ts resolves from flags and variables, and
 * the stages take. Kept apart from both, so neither imports the other.
 */

export interface RunConfig {
  /** The dataset (Titelive: paper or music), which names its source. */
  dataset: string;
  runId: string;
  dataUrl: string;
}

export interface Window {
  /** First day, included (YYYY-MM-DD). */
  start: string;
  /** Last boundary, excluded (YYYY-MM-DD). */
  end: string;
}

/**
 * What plan's window is chosen from (chooseWindow): an explicit start wins; else the dataset's
 * cursor minus the lookback, or, before any committed run, the `days` before `end`.
 */
export interface WindowSpec {
  /** --min-modified-date: an explicit first day. */
  start?: string | undefined;
  /** --max-modified-date, else the run date (excluded). */
  end: string;
  /** --window-days: the first run's window. */
  days?: number;
  /** --lookback-days. */
  lookbackDays?: number;
  /** --max-catch-up-days. */
  maxCatchUpDays?: number;
}

export interface TiteliveConfig {
  apiUrl: string;
  loginUrl: string;
  username: string;
  password: string;
  ratePerSecond: number;
  parallelism: number;
  concurrency: number;
  maxSockets: number;
  timeoutMs: number;
  maxAttempts: number;
}

/** Where plan takes its keys from: the source's search over a window, a list, or an earlier run's failures. */
export type PlanSelection =
  | { kind: 'window' }
  | { kind: 'list'; url: string; moveCursor: boolean }
  | { kind: 'retry'; runId: string; includeUnavailable: boolean };

export interface PlanConfig extends RunConfig {
  window: WindowSpec;
  /** Absent: the window. */
  selection?: PlanSelection;
  allowPartial: boolean;
  limit: number | undefined;
  titelive: TiteliveConfig;
}

export interface FetchConfig extends RunConfig {
  shard: Shard;
  batchSize: number;
  /** Up to this share of the shard's EANs may still fail after retries: the shard completes and they are carried to the next runs. */
  maxFailureRatio?: number;
  limit: number | undefined;
  titelive: TiteliveConfig;
}

export interface ParseRunConfig {
  mode: 'run';
  /** Worker threads that parse and flatten JSON while the main thread reads and writes; 0 = none. */
  workers: number;
  /** The dataset (Titelive: paper or music), which names its source. */
  dataset: string;
  runId: string;
  dataUrl: string;
  shard: Shard;
}

/** The seed's way: one raw file in (index `id`, column `data`), one flat file out. */
export interface ParseFileConfig {
  mode: 'file';
  workers: number;
  inputFilePath: string;
  outputFilePath: string;
  minModifiedDate: string;
}

export type ParseConfig = ParseRunConfig | ParseFileConfig;

export interface ImagesHttpConfig {
  /** Sockets per upstream host (image host, GCS); also the downloads in flight. */
  maxSockets: number;
  timeoutMs: number;
  maxAttempts: number;
  /** Larger downloads fail; bounds memory to maxSockets × maxImageBytes. */
  maxImageBytes: number;
}

export interface ImagesCommon {
  /** The mirror: gs://bucket/prefix or a local folder; objects are named UUIDv5(URL). */
  imagesUrl: string;
  http: ImagesHttpConfig;
  /** Above this share of the shard's images failed for a transient reason, the shard exits 1 (Kubernetes retries that index). */
  maxFailureRatio: number;
  /** The hosts covers may come from, redirects included (--image-hosts). */
  allowedHosts: readonly AllowedHost[];
}

export interface ImagesRunConfig extends ImagesCommon {
  mode: 'run';
  /** The dataset (Titelive: paper or music), which names its source. */
  dataset: string;
  runId: string;
  dataUrl: string;
  shard: Shard;
}

/** The seed's way: one parsed file in, one file of image columns out. */
export interface ImagesFileConfig extends ImagesCommon {
  mode: 'file';
  inputParquetPath: string;
  outputParquetPath: string;
}

export type ImagesConfig = ImagesRunConfig | ImagesFileConfig;

export interface LoadConfig {
  /** The dataset (Titelive: paper or music), which names its source. */
  dataset: string;
  runId: string;
  dataUrl: string;
  shard: Shard;
  /** Holds credentials: never logged, never in a message. */
  mongodbUri: string;
  database: string;
  collection: string;
  /** Documents per unordered bulk write. */
  batchSize: number;
  /** The longest one MongoDB operation may take, in ms. */
  timeoutMs?: number;
  /** Above this share of the shard's documents rejected, the shard exits 1 without a manifest. */
  maxFailureRatio: number;
}

/** `titelive-etl audit`: a sample of the collection against the source's answers now. */
export interface AuditConfig {
  dataset: string;
  dataUrl: string;
  /** Holds credentials: never logged, never in a message. */
  mongodbUri: string;
  database: string;
  collection: string;
  timeoutMs?: number;
  /** Documents sampled. */
  sample: number;
  /** Keys per source call. */
  batchSize: number;
  maxStaleRatio: number;
  /** Exit 4 when the stale share's interval lies above maxStaleRatio. */
  failOnStale: boolean;
  titelive: TiteliveConfig;
}

/** run-local: every stage on this machine, shards as worker processes. */
export interface RunLocalConfig {
  /** The dataset (Titelive: paper or music), which names its source. */
  dataset: string;
  runId: string;
  dataUrl: string;
  window: WindowSpec;
  /** --max-item-attempts as given, passed to the stage that commits. */
  maxItemAttempts: number | undefined;
  /** Shards, run as parallel worker processes, of each sharded stage. */
  shards: number;
  limit: number | undefined;
  /** Titelive requests per second for all workers together. */
  ratePerSecond: number;
  /** When no API URL is configured, an embedded sandbox with this many products per category serves the run. */
  sandboxProducts: number;
  /** API URL etc. given by the user; undefined means "start the sandbox". */
  apiUrl: string | undefined;
  /** The image mirror (default: <data-url>/images/titelive). */
  imagesUrl: string;
  /** --image-hosts as given; the embedded sandbox's own origin is added to it. */
  imageHosts: string | undefined;
  /** The CLI to spawn workers with (this process's own entry point). */
  cli: { execPath: string; args: string[] };
}

/** A stage that needs only the run and its shard (a new stage starts with this one). */
export interface ShardedRunConfig extends RunConfig {
  shard: Shard;
}

/** The config each of config.ts's stage resolvers returns; a stage's row names one. */
export interface ConfigOf {
  plan: PlanConfig;
  fetch: FetchConfig;
  parse: ParseConfig;
  images: ImagesConfig;
  load: LoadConfig;
  shardedRun: ShardedRunConfig;
}

export type ConfigKind = keyof ConfigOf;
