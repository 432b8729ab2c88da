#!/usr/bin/env node
import type { Logger } from 'pino';
import yargs, { type Argv as YargsArgv, type CommandModule } from 'yargs';
import { hideBin } from 'yargs/helpers';
import {
  STAGE_RESOLVERS, resolveRunLocalConfig, resolveTelemetryConfig, resolveLogConfig, resolvePipelineConfig, resolveRunConfig, type LogConfig,
} from './config.js';
import { OBSERVABILITY_OPTIONS, RUN_OPTIONS, yargsOptions } from './options.js';
import { booleanOption } from './option-values.js';
import { ConfigError, ExitCode, WorkFailedError, exitCodeOf, messageOf } from './runtime/errors.js';
import { runJob, type JobContext } from './runtime/harness.js';
import { Telemetry, type TelemetryConfig } from './runtime/telemetry.js';
import { createLogger } from './runtime/logger.js';
import type { ShardManifest } from './runtime/manifest.js';
import type { Argv, Env } from './runtime/settings.js';
import { isShardComplete } from './runtime/completion.js';
import type { Shard } from './runtime/sharding.js';
import { openStorage } from './runtime/storage/open-storage.js';
import { runSandboxCommand, SANDBOX_OPTIONS } from './sandbox/command.js';
import { STAGE_FOLDERS, STAGE_TABLE, STAGES, isStage, type StageRow } from './stage-table.js';

const env: Env = process.env;

type Work<Config> = (config: Config, context: JobContext) => Promise<ShardManifest | void>;

/**
 * Each command's module is loaded only when that command runs: a stage pod then loads only its
 * own dependencies (parse starts without the MongoDB driver or the HTTP clients).
 */
function loadedOnUse<Config>(load: () => Promise<Work<Config>>): Work<Config> {
  return async (config, context) => (await load())(config, context);
}
const runLocal = loadedOnUse(async () => (await import('./stages/run-local.js')).runLocal);
const runVerify = loadedOnUse(async () => (await import('./stages/verify.js')).runVerify);
const runPipelineCommand = loadedOnUse(async () => (await import('./k8s/pipeline-command.js')).runPipelineCommand);

/** Resolves the config (exit 2 on a bad one, before any work), then runs the stage in the job harness. */
async function stageCommand<Config extends object>(
  name: string,
  argv: Argv,
  resolve: (argv: Argv, env: Env) => Promise<Config>,
  work: (config: Config, context: JobContext) => Promise<ShardManifest | void>,
): Promise<void> {
  let log: LogConfig;
  let config: Config;
  let telemetryConfig: TelemetryConfig;
  try {
    log = resolveLogConfig(argv, env);
    telemetryConfig = resolveTelemetryConfig(argv, env);
    config = await resolve(argv, env);
  } catch (error) {
    exitOnConfigError(name, error);
    return;
  }
  const { dataset: category, runId, shard } = config as { dataset?: string; runId?: string; shard?: { index: number; count: number } };
  const base = { stage: name, ...(category ? { category } : {}), ...(runId ? { runId } : {}), ...(shard ? { shard: `${shard.index}/${shard.count}` } : {}) };
  const logger = createLogger({ level: log.level, format: log.format, base });
  let telemetry: Telemetry;
  try {
    telemetry = await Telemetry.start(telemetryConfig, { stage: name, ...(category ? { category } : {}), ...(shard ? { shard } : {}), ...(runId ? { runId } : {}) }, logger);
  } catch (error) {
    exitOnConfigError(name, new ConfigError(`--metrics-port / METRICS_PORT: cannot serve metrics on port ${telemetryConfig.metricsPort} (${messageOf(error)})`));
    return;
  }
  const code = await runJob({ name, logger }, async (context) => {
    if (await alreadyComplete(name, config, argv, logger)) return;
    const manifest = await work(config, context);
    if (manifest) {
      logger.info({ event: 'shard_complete', counts: manifest.counts, outputs: manifest.outputs.map((file) => file.path) }, `${name}: ${describeCounts(manifest.counts)}`);
    }
  });
  await telemetry.finish(code);
  process.exitCode = code;
}

/** With --skip-complete-shards, a shard whose manifest is there is not redone (a resumed stage). */
async function alreadyComplete(name: string, config: object, argv: Argv, logger: Logger): Promise<boolean> {
  const { dataset, runId, dataUrl, shard, mode } = config as { dataset?: string; runId?: string; dataUrl?: string; shard?: Shard; mode?: string };
  if (!isStage(name) || !dataset || !runId || !dataUrl || !shard || (mode !== undefined && mode !== 'run')) return false;
  if (!booleanOption(argv, env, 'skip-complete-shards')) return false;
  if (!(await isShardComplete(openStorage(dataUrl), { dataset, runId }, STAGE_FOLDERS[name], shard))) return false;
  logger.info({ event: 'shard_skipped_complete' }, `${name}: shard ${shard.index + 1}/${shard.count} of ${dataset}/${runId} is already complete; skipped (--skip-complete-shards)`);
  return true;
}

/**
 * Ends a command whose configuration could not be resolved: exit 2 for a bad one; exit 1 when
 * reading it failed in a way that may pass (a secret store unavailable), so Kubernetes retries.
 */
function exitOnConfigError(command: string, error: unknown): void {
  if (error instanceof ConfigError || error instanceof WorkFailedError) {
    process.stderr.write(`titelive-etl ${command}: ${error.message}\n`);
    process.exitCode = exitCodeOf(error);
    return;
  }
  throw error;
}

function describeCounts(counts: Record<string, number>): string {
  return Object.entries(counts)
    .map(([outcome, count]) => `${count} ${outcome}`)
    .join(', ');
}

/** A stage's command, from its row of the stage table. */
function stageCommandModule(stage: StageRow): CommandModule {
  return {
    command: stage.name,
    describe: stage.describe,
    builder: (y) => stage.examples.reduce((built, [command, description]) => built.example(command, description), y.options(yargsOptions(stage.options))),
    handler: (argv) => stageCommand(stage.name, argv, STAGE_RESOLVERS[stage.config] as (argv: Argv, env: Env) => Promise<object>, stage.run as Work<object>),
  };
}

export function buildCli(args: string[]): YargsArgv {
  return yargs(args)
    .scriptName('titelive-etl')
    .usage('$0 <command> [options]\n\nKeeps a copy of the Titelive catalog up to date: plan → fetch → … in stages that hand off Parquet files.')
    .command(STAGE_TABLE.map((stage) => stageCommandModule(stage as StageRow)))
    .command(
      'verify',
      "Reconcile a run from its manifests: every stage's inputs accounted for (in = Σ ended), its parts present, and each stage's input equal to what the one before handed on; exits 4 when not",
      (y) => y.options(yargsOptions([...RUN_OPTIONS, ...OBSERVABILITY_OPTIONS]))
        .example('$0 verify --category paper --run-id 2024-01-08 --data-url gs://bucket/runs', ''),
      (argv) => stageCommand('verify', argv, async (a, e) => resolveRunConfig(a, e), runVerify),
    )
    .command(
      'pipeline',
      "Run the stages in order on Kubernetes as Jobs made from the chart's stage CronJobs; skips complete stages, so a rerun resumes",
      (y) => y.options(yargsOptions([...RUN_OPTIONS, 'release', 'namespace', 'kubeconfig', 'owner-job', 'stages', 'poll-interval-ms', ...OBSERVABILITY_OPTIONS]))
        .example('$0 pipeline --category paper --data-url gs://bucket/runs --release titelive-etl --namespace etl', 'from a laptop with a kubeconfig'),
      (argv) => stageCommand('pipeline', argv, async (a, e) => resolvePipelineConfig(a, e), runPipelineCommand),
    )
    .command(
      'run-local',
      'Run every stage on this machine, shards as parallel workers, against the embedded sandbox unless an API URL is set',
      (y) => y.options(yargsOptions(['category', 'run-id', 'data-url', 'min-modified-date', 'max-modified-date', 'window-days', 'limit', 'api-url', 'login-url', 'rate-limit', 'images-url', 'image-hosts', 'shards', 'products', ...OBSERVABILITY_OPTIONS])).example('$0 run-local --category paper --window-days 7 --data-url ./data', 'defaults: paper, 7 days ending today, ./data, sandbox at 20 requests/s'),
      (argv) =>
        stageCommand('run-local', argv, resolveRunLocalConfig, (config, context) => {
          // Workers log the same way as this process.
          const log = resolveLogConfig(argv, env);
          env.LOG_FORMAT = log.format;
          env.LOG_LEVEL = log.level;
          return runLocal(config, context);
        }),
    )
    .command(
      'sandbox',
      'Serve a Titelive-compatible API and image host on localhost, with a deterministic catalog and fault knobs',
      (y) => y.options(SANDBOX_OPTIONS).example('$0 sandbox --port 8080 --products 5000', ''),
      async (argv) => {
        try {
          process.exitCode = await runSandboxCommand(argv);
        } catch (error) {
          exitOnConfigError('sandbox', error);
        }
      },
    )
    .demandCommand(1, `Name a command: ${STAGES.join(', ')}, verify, pipeline, run-local or sandbox.`)
    .strict()
    .env(false)
    .wrap(Math.min(120, process.stdout.columns ?? 100))
    .epilogue(
      'Every option also reads the environment variable shown in its help. Exit codes: 0 done, 1 work failed, 2 bad configuration, 3 upstream stage incomplete, 130/143 stopped by a signal.',
    )
    .fail((message, error, y) => {
      if (error) throw error;
      process.stderr.write(`${y.help() && ''}titelive-etl: ${message}\nRun 'titelive-etl --help' for the commands and options.\n`);
      process.exit(ExitCode.CONFIG);
    })
    .help()
    .alias('h', 'help')
    .version();
}

try {
  await buildCli(hideBin(process.argv)).parseAsync();
} catch (error) {
  process.stderr.write(`titelive-etl: ${messageOf(error)}\n`);
  process.exitCode = ExitCode.WORK_FAILED;
}
