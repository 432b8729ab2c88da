import path from 'node:path';
import { checkObjectStoreUrl } from './runtime/storage/object-store.js';
import type { TelemetryConfig } from './runtime/telemetry.js';
import { daysBetween, isIsoDay, parseIsoDay, today } from './runtime/calendar.js';
import { ConfigError } from './runtime/errors.js';
import type { LogFormat } from './runtime/logger.js';
import { secretFromEnvOrFile, secretFromSecretManager } from './runtime/secrets.js';
import { requireValue, type Argv, type Env } from './runtime/settings.js';
import { validateShard, type Shard } from './runtime/sharding.js';
import { datasetSpellings, parseDataset } from './sources.js';
import { parseAllowedHosts } from './runtime/http/host-allowlist.js';
import { booleanOption, numberOption, rawOption, requiredOption, stringOption } from './option-values.js';
import type { AuditConfig, ConfigKind, ConfigOf, RunLocalConfig, FetchConfig, ImagesConfig, LoadConfig, ParseConfig, PlanConfig, PlanSelection, RunConfig, ShardedRunConfig, TiteliveConfig, WindowSpec } from './stage-configs.js';
import { STAGES, isStage, type Stage } from './stage-table.js';

export type { FetchConfig, ImagesConfig, LoadConfig, ParseConfig, PlanConfig, RunConfig, ShardedRunConfig, TiteliveConfig, Window, WindowSpec } from './stage-configs.js';

/** The seed's Secret Manager secret names. */
export const SECRET_NAMES = { username: 'titelive_epagine_api_username', password: 'titelive_epagine_api_password' };

export interface LogConfig {
  level: 'trace' | 'debug' | 'info' | 'warn' | 'error';
  format: LogFormat;
}

const setting = rawOption;

export function resolveLogConfig(argv: Argv, env: Env): LogConfig {
  return {
    level: stringOption(argv, env, 'log-level') as LogConfig['level'],
    format: stringOption(argv, env, 'log-format') as LogFormat,
  };
}

/** The dataset --category names, among those of the known sources (src/sources.ts). */
export function resolveDataset(argv: Argv, env: Env, context?: string): string {
  const raw = setting(argv, env, 'category');
  const spellings = datasetSpellings().join(', ');
  const text = requiredOption(argv, env, 'category', `one of ${spellings}`, context);
  const dataset = parseDataset(text);
  if (!dataset) throw new ConfigError(`${raw.from}: expected one of ${spellings}, got '${text}'`);
  return dataset;
}

export function resolveRunConfig(argv: Argv, env: Env, context?: string): RunConfig {
  const dataset = resolveDataset(argv, env, context);
  const runIdSetting = setting(argv, env, 'run-id');
  const runId = runIdSetting.raw ?? today();
  if (!/^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/.test(runId)) {
    throw new ConfigError(`${runIdSetting.from}: '${runId}' is not a usable run id (letters, digits, '.', '_', '-'; up to 64)`);
  }
  const dataUrl = requiredOption(argv, env, 'data-url', 'gs://bucket/prefix or a local folder such as ./data', context);
  return { dataset, runId, dataUrl };
}

/**
 * What the window is chosen from: explicit dates, or (chosen by plan from the cursor) the
 * lookback before the cursor, or before any committed run the N days ending at the run date
 * (the run id when it is a date).
 */
export function resolveWindow(argv: Argv, env: Env, runId: string, context?: string): WindowSpec {
  const minSetting = setting(argv, env, 'min-modified-date');
  const maxSetting = setting(argv, env, 'max-modified-date');
  const daysSetting = setting(argv, env, 'window-days');
  const runDate = isIsoDay(runId) ? runId : today();
  const end = maxSetting.raw !== undefined ? parseIsoDay(maxSetting.raw, maxSetting.from) : runDate;
  const days = numberOption(argv, env, 'window-days', context);
  const lookbackDays = numberOption(argv, env, 'lookback-days', context);
  const maxCatchUpDays = numberOption(argv, env, 'max-catch-up-days', context);
  if (minSetting.raw === undefined) return { end, days, lookbackDays, maxCatchUpDays };
  if (daysSetting.raw !== undefined) throw new ConfigError(`give either ${minSetting.from} or ${daysSetting.from}, not both`);
  const start = parseIsoDay(minSetting.raw, minSetting.from);
  if (start >= end) throw new ConfigError(`the window is empty: ${minSetting.from} (${start}) must be before ${maxSetting.from} (${end})`);
  if (daysBetween(start, end).length > 366) throw new ConfigError(`the window ${start} → ${end} is longer than 366 days: split it into several runs`);
  return { start, end, days, lookbackDays, maxCatchUpDays };
}

export function resolveShard(argv: Argv, env: Env): Shard {
  const count = numberOption(argv, env, 'shard-count');
  const index = numberOption(argv, env, 'shard-index');
  return validateShard({ index, count }, setting(argv, env, 'shard-index').from);
}

export function resolveLimit(argv: Argv, env: Env): number | undefined {
  return numberOption(argv, env, 'limit');
}

export async function resolveTiteliveConfig(argv: Argv, env: Env): Promise<TiteliveConfig> {
  const apiUrl = stringOption(argv, env, 'api-url');
  const loginUrl = stringOption(argv, env, 'login-url');
  const ratePerSecond = numberOption(argv, env, 'rate-limit');
  const parallelism = numberOption(argv, env, 'parallelism');
  const concurrency = numberOption(argv, env, 'concurrency');
  const maxSockets = numberOption(argv, env, 'max-sockets');
  const timeoutMs = numberOption(argv, env, 'http-timeout-ms');
  const maxAttempts = numberOption(argv, env, 'max-attempts');
  const { username, password } = await resolveCredentials(argv, env);
  return { apiUrl, loginUrl, username, password, ratePerSecond, parallelism, concurrency, maxSockets, timeoutMs, maxAttempts };
}

async function resolveCredentials(argv: Argv, env: Env): Promise<{ username: string; password: string }> {
  const source = stringOption(argv, env, 'secrets-source');
  if (source === 'secret-manager') {
    const project = requireValue(setting(argv, env, 'gcp-project-id'), 'the Google Cloud project that holds the Titelive secrets');
    const username = await secretFromSecretManager(project, env.TITELIVE_USERNAME_SECRET ?? SECRET_NAMES.username, env);
    const password = await secretFromSecretManager(project, env.TITELIVE_PASSWORD_SECRET ?? SECRET_NAMES.password, env);
    return { username, password };
  }
  const username = argvString(argv, 'username') ?? (await secretFromEnvOrFile(env, 'TITELIVE_USERNAME'));
  const password = argvString(argv, 'password') ?? (await secretFromEnvOrFile(env, 'TITELIVE_PASSWORD'));
  if (!username || !password) {
    const missing = [!username && 'TITELIVE_USERNAME', !password && 'TITELIVE_PASSWORD'].filter(Boolean).join(' and ');
    throw new ConfigError(
      `Titelive credentials missing: set ${missing} (or ${missing.split(' and ').map((name) => `${name}_FILE`).join(' / ')}), ` +
        'or use --secrets-source secret-manager with GCP_PROJECT_ID',
    );
  }
  return { username, password };
}

function argvString(argv: Argv, name: string): string | undefined {
  const value = argv[name];
  return typeof value === 'string' && value !== '' ? value : undefined;
}

export async function resolvePlanConfig(argv: Argv, env: Env): Promise<PlanConfig> {
  const run = resolveRunConfig(argv, env);
  const selection = resolvePlanSelection(argv, env, run);
  const window = resolveWindow(argv, env, run.runId);
  const allowPartial = booleanOption(argv, env, 'allow-partial');
  const limit = resolveLimit(argv, env);
  return { ...run, window, selection, allowPartial, limit, titelive: await resolveTiteliveConfig(argv, env) };
}

/** The variables that give a plan Job the same selection (the pipeline passes them on). */
function planSelectionEnv(selection: PlanSelection): Record<string, string> {
  if (selection.kind === 'list') return { EANS_FROM: selection.url, MOVE_CURSOR: String(selection.moveCursor) };
  if (selection.kind === 'retry') return { RETRY_FAILED_FROM: selection.runId, INCLUDE_UNAVAILABLE: String(selection.includeUnavailable) };
  return {};
}

/** The window (default), a list (--eans-from) or an earlier run's failures (--retry-failed-from): one at a time. */
function resolvePlanSelection(argv: Argv, env: Env, run: RunConfig): PlanSelection {
  const list = setting(argv, env, 'eans-from');
  const retry = setting(argv, env, 'retry-failed-from');
  const dates = setting(argv, env, 'min-modified-date');
  const moveCursor = booleanOption(argv, env, 'move-cursor');
  const includeUnavailable = booleanOption(argv, env, 'include-unavailable');
  if (list.raw !== undefined && retry.raw !== undefined) throw new ConfigError(`give ${list.from} or ${retry.from}, not both`);
  const chosen = list.raw !== undefined ? list : retry.raw !== undefined ? retry : undefined;
  if (chosen && dates.raw !== undefined) throw new ConfigError(`${chosen.from} plans a list, not a window: drop ${dates.from}`);
  const runIdSetting = setting(argv, env, 'run-id');
  if (chosen && runIdSetting.raw === undefined) {
    throw new ConfigError(`${chosen.from}: give the run its own --run-id (e.g. backfill-${today()} or ${retry.raw ?? today()}-repair): today's run id is the scheduled run's`);
  }
  if (moveCursor && list.raw === undefined) throw new ConfigError(`${setting(argv, env, 'move-cursor').from} applies to --eans-from only`);
  if (includeUnavailable && retry.raw === undefined) throw new ConfigError(`${setting(argv, env, 'include-unavailable').from} applies to --retry-failed-from only`);
  if (list.raw !== undefined) {
    if (list.raw.trim() === '') throw new ConfigError(`${list.from}: empty; give the path or gs:// URL of a list of EANs`);
    return { kind: 'list', url: list.raw.trim(), moveCursor };
  }
  if (retry.raw !== undefined) {
    if (retry.raw === run.runId) throw new ConfigError(`${retry.from}: ${retry.raw} is this run's own id; give the earlier run to repair, and a new run id for the repair`);
    return { kind: 'retry', runId: retry.raw, includeUnavailable };
  }
  return { kind: 'window' };
}

export async function resolveFetchConfig(argv: Argv, env: Env): Promise<FetchConfig> {
  const run = resolveRunConfig(argv, env);
  const shard = resolveShard(argv, env);
  const limit = resolveLimit(argv, env);
  const batchSize = numberOption(argv, env, 'batch-size');
  const maxFailureRatio = numberOption(argv, env, 'max-failure-ratio');
  return { ...run, shard, limit, batchSize, maxFailureRatio, titelive: await resolveTiteliveConfig(argv, env) };
}

/** Parse in run mode, or on explicit files like the seed script when --input-file-path is given. */
export async function resolveParseConfig(argv: Argv, env: Env): Promise<ParseConfig> {
  const workers = numberOption(argv, env, 'parse-workers');
  const input = setting(argv, env, 'input-file-path');
  if (input.raw !== undefined) {
    const outputFilePath = requireValue(setting(argv, env, 'output-file-path'), 'where to write the parsed Parquet file');
    const minSetting = setting(argv, env, 'min-modified-date');
    const minModifiedDate = parseIsoDay(requireValue(minSetting, 'the window start, YYYY-MM-DD, as the seed script takes it'), minSetting.from);
    return { mode: 'file', workers, inputFilePath: input.raw, outputFilePath, minModifiedDate };
  }
  const run = resolveRunConfig(argv, env);
  return { mode: 'run', workers, ...run, shard: resolveShard(argv, env) };
}

/** Images in run mode, or on explicit files like the seed script when --input-parquet-path is given. */
export async function resolveImagesConfig(argv: Argv, env: Env): Promise<ImagesConfig> {
  const http = {
    maxSockets: numberOption(argv, env, 'max-sockets', 'images'),
    timeoutMs: numberOption(argv, env, 'http-timeout-ms', 'images'),
    maxAttempts: numberOption(argv, env, 'max-attempts', 'images'),
    maxImageBytes: numberOption(argv, env, 'max-image-bytes', 'images'),
  };
  const maxFailureRatio = numberOption(argv, env, 'max-failure-ratio', 'images');
  const allowedHosts = parseAllowedHosts(stringOption(argv, env, 'image-hosts', 'images'), setting(argv, env, 'image-hosts').from);
  const input = setting(argv, env, 'input-parquet-path');
  if (input.raw !== undefined) {
    const outputParquetPath = requireValue(setting(argv, env, 'output-parquet-path'), 'where to write the image statuses');
    const base = setting(argv, env, 'gcs-thumb-base-path');
    const imagesUrl = checkObjectStoreUrl(requireValue(base.raw !== undefined ? base : setting(argv, env, 'images-url'), 'the mirror, gs://bucket/images/titelive or a local folder'), base.raw !== undefined ? base.from : '--images-url');
    return { mode: 'file', inputParquetPath: input.raw, outputParquetPath, imagesUrl, http, maxFailureRatio, allowedHosts };
  }
  const run = resolveRunConfig(argv, env);
  const imagesSetting = setting(argv, env, 'images-url');
  const imagesUrl = checkObjectStoreUrl(requireValue(imagesSetting, 'the mirror, gs://bucket/images/titelive or a local folder'), imagesSetting.from);
  return { mode: 'run', ...run, shard: resolveShard(argv, env), imagesUrl, http, maxFailureRatio, allowedHosts };
}

export async function resolveLoadConfig(argv: Argv, env: Env): Promise<LoadConfig> {
  const run = resolveRunConfig(argv, env);
  const shard = resolveShard(argv, env);
  const mongodb = await resolveMongoTarget(argv, env);
  const batchSize = numberOption(argv, env, 'write-batch-size');
  const maxFailureRatio = numberOption(argv, env, 'max-failure-ratio');
  return { ...run, shard, ...mongodb, batchSize, maxFailureRatio };
}

/** The collection load writes to and audit reads: connection string (a secret), database, collection, timeout. */
async function resolveMongoTarget(argv: Argv, env: Env): Promise<{ mongodbUri: string; database: string; collection: string; timeoutMs: number }> {
  const mongodbUri = argvString(argv, 'mongodb-uri') ?? (await secretFromEnvOrFile(env, 'MONGODB_URI'));
  if (!mongodbUri) throw new ConfigError('MongoDB connection string missing: set MONGODB_URI (or MONGODB_URI_FILE, e.g. a mounted Secret)');
  if (!/^mongodb(\+srv)?:\/\//.test(mongodbUri)) throw new ConfigError('MONGODB_URI: expected a mongodb:// or mongodb+srv:// connection string (its value is not shown: it may hold credentials)');
  const database = stringOption(argv, env, 'database');
  const collection = stringOption(argv, env, 'collection');
  const timeoutMs = numberOption(argv, env, 'mongodb-timeout-ms');
  return { mongodbUri, database, collection, timeoutMs };
}

export async function resolveAuditConfig(argv: Argv, env: Env): Promise<AuditConfig> {
  const dataset = resolveDataset(argv, env);
  const dataUrl = requiredOption(argv, env, 'data-url', 'gs://bucket/prefix or a local folder such as ./data (the report goes to {category}/_audits/)');
  const mongodb = await resolveMongoTarget(argv, env);
  const sample = numberOption(argv, env, 'sample');
  const batchSize = numberOption(argv, env, 'batch-size');
  const maxStaleRatio = numberOption(argv, env, 'max-stale-ratio');
  const failOnStale = booleanOption(argv, env, 'fail-on-stale');
  return { dataset, dataUrl, ...mongodb, sample, batchSize, maxStaleRatio, failOnStale, titelive: await resolveTiteliveConfig(argv, env) };
}

export async function resolveShardedRunConfig(argv: Argv, env: Env): Promise<ShardedRunConfig> {
  return { ...resolveRunConfig(argv, env), shard: resolveShard(argv, env) };
}

/** The resolver of each config shape a stage row names. */
export const STAGE_RESOLVERS: { [Kind in ConfigKind]: (argv: Argv, env: Env) => Promise<ConfigOf[Kind]> } = {
  plan: resolvePlanConfig,
  fetch: resolveFetchConfig,
  parse: resolveParseConfig,
  images: resolveImagesConfig,
  load: resolveLoadConfig,
  shardedRun: resolveShardedRunConfig,
};

export function resolveTelemetryConfig(argv: Argv, env: Env): TelemetryConfig {
  const metricsPort = numberOption(argv, env, 'metrics-port');
  const pushgatewayUrl = stringOption(argv, env, 'pushgateway-url');
  const retryLimit = numberOption(argv, env, 'retry-limit');
  const failuresSoFar = numberOption(argv, env, 'failures-so-far');
  const retriesLeft = retryLimit === undefined || failuresSoFar === undefined ? undefined : Math.max(0, retryLimit - failuresSoFar);
  return { ...(metricsPort === undefined ? {} : { metricsPort }), ...(pushgatewayUrl ? { pushgatewayUrl } : {}), ...(retriesLeft === undefined ? {} : { retriesLeft }) };
}

/** `cursor`: the dataset and where its runs are, and --set when moving it. */
export function resolveCursorConfig(argv: Argv, env: Env): { dataset: string; dataUrl: string; set: string | undefined; today: string } {
  const dataset = resolveDataset(argv, env);
  const dataUrl = requiredOption(argv, env, 'data-url', 'gs://bucket/prefix or a local folder such as ./data');
  const setSetting = setting(argv, env, 'set');
  const set = setSetting.raw === undefined ? undefined : parseIsoDay(setSetting.raw, setSetting.from);
  return { dataset, dataUrl, set, today: today() };
}

export interface PipelineCommandConfig extends RunConfig {
  release: string;
  namespace: string | undefined;
  kubeconfig: string | undefined;
  ownerJob: string | undefined;
  stages: Stage[];
  pollIntervalMs: number;
  /** Variables for one stage's Jobs (plan: --eans-from or --retry-failed-from). */
  stageEnv: Record<string, Record<string, string>>;
}

const KUBERNETES_NAME = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;

export function resolvePipelineConfig(argv: Argv, env: Env): PipelineCommandConfig {
  const run = resolveRunConfig(argv, env);
  const releaseSetting = setting(argv, env, 'release');
  const release = stringOption(argv, env, 'release');
  if (!KUBERNETES_NAME.test(release) || release.length > 37) {
    throw new ConfigError(`${releaseSetting.from}: '${release}' is not a Helm release name the chart accepts (lowercase letters, digits, '-'; up to 37, so that <release>-<category>-<stage> fits the 52 characters of a CronJob name)`);
  }
  const namespaceSetting = setting(argv, env, 'namespace');
  if (namespaceSetting.raw !== undefined && (!KUBERNETES_NAME.test(namespaceSetting.raw) || namespaceSetting.raw.length > 63)) {
    throw new ConfigError(`${namespaceSetting.from}: '${namespaceSetting.raw}' is not a namespace name`);
  }
  const stagesSetting = setting(argv, env, 'stages');
  const stages = (stagesSetting.raw ?? STAGES.join(',')).split(',').map((name) => name.trim()).filter(Boolean);
  const unknown = stages.filter((name) => !isStage(name));
  if (unknown.length > 0 || stages.length === 0) {
    throw new ConfigError(`${stagesSetting.from}: '${stagesSetting.raw}' names ${unknown.length ? `unknown stages (${unknown.join(', ')})` : 'no stage'}; choose from ${STAGES.join(',')}`);
  }
  const order = stages.map((name) => STAGES.indexOf(name as Stage));
  if (order.some((index, i) => i > 0 && index <= order[i - 1]!)) {
    throw new ConfigError(`${stagesSetting.from}: '${stagesSetting.raw}': list each stage once, in run order (${STAGES.join(',')})`);
  }
  return {
    ...run,
    release,
    namespace: namespaceSetting.raw,
    kubeconfig: setting(argv, env, 'kubeconfig').raw,
    ownerJob: setting(argv, env, 'owner-job').raw,
    stages: stages as Stage[],
    pollIntervalMs: numberOption(argv, env, 'poll-interval-ms'),
    stageEnv: { plan: planSelectionEnv(resolvePlanSelection(argv, env, run)) },
  };
}

/**
 * run-local: the run-local column of the options table (paper, ./data, 7 days), and the sandbox
 * column when no API URL is given (its rate budget).
 */
export async function resolveRunLocalConfig(argv: Argv, env: Env): Promise<RunLocalConfig> {
  // No API URL given means the embedded sandbox, whose column of the table then applies.
  const apiUrl = setting(argv, env, 'api-url').raw === undefined ? undefined : stringOption(argv, env, 'api-url');
  const context = apiUrl === undefined ? 'sandbox' : 'run-local';
  const { dataset, runId, dataUrl } = resolveRunConfig(argv, env, 'run-local');
  const window = resolveWindow(argv, env, runId, 'run-local');
  if (apiUrl) {
    env.TITELIVE_API_URL = apiUrl;
    if (setting(argv, env, 'login-url').raw !== undefined) env.TITELIVE_LOGIN_URL = stringOption(argv, env, 'login-url');
  }
  return {
    dataset,
    runId,
    dataUrl,
    window,
    maxItemAttempts: setting(argv, env, 'max-item-attempts').raw === undefined ? undefined : numberOption(argv, env, 'max-item-attempts'),
    shards: numberOption(argv, env, 'shards'),
    limit: resolveLimit(argv, env),
    ratePerSecond: numberOption(argv, env, 'rate-limit', context),
    sandboxProducts: numberOption(argv, env, 'products'),
    apiUrl,
    imagesUrl: stringOption(argv, env, 'images-url') ?? joinLocation(dataUrl, 'images/titelive'),
    imageHosts: setting(argv, env, 'image-hosts').raw,
    cli: { execPath: process.execPath, args: [...process.execArgv, process.argv[1] ?? ''] },
  };
}

/** `base/relative` for a gs:// URL or a local folder. */
function joinLocation(base: string, relative: string): string {
  return base.startsWith('gs://') ? `${base.replace(/\/+$/, '')}/${relative}` : path.join(base, relative);
}
