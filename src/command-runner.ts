import type { Logger } from 'pino';
import { resolveLogConfig, resolveTelemetryConfig, type LogConfig } from './config.js';
import { booleanOption, numberOption } from './option-values.js';
import { isShardComplete } from './runtime/completion.js';
import { ConfigError, WorkFailedError, exitCodeOf, messageOf } from './runtime/errors.js';
import { runJob, type JobContext } from './runtime/harness.js';
import { createLogger } from './runtime/logger.js';
import type { ShardManifest } from './runtime/manifest.js';
import type { Argv, Env } from './runtime/settings.js';
import type { Shard } from './runtime/sharding.js';
import { openStorage } from './runtime/storage/open-storage.js';
import { Telemetry, type TelemetryConfig } from './runtime/telemetry.js';
import { STAGES, STAGE_FOLDERS, isStage } from './stage-table.js';

/*
 * How every command runs once yargs has parsed it: its config resolved first (exit 2 on a bad
 * one, before any work), then its work in the job harness with a logger, metrics and the exit
 * code Kubernetes acts on.
 */

const env: Env = process.env;

export type Work<Config> = (config: Config, context: JobContext) => Promise<ShardManifest | void>;

/** Resolves the config (exit 2 on a bad one, before any work), then runs the stage in the job harness. */
export async function stageCommand<Config extends object>(
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
  const code = await runJob({ name, logger, drainMs: numberOption(argv, env, 'drain-seconds') * 1000 }, async (context) => {
    if (!(await alreadyComplete(name, config, argv, logger))) {
      const manifest = await work(config, context);
      if (!manifest) return;
      logger.info({ event: 'shard_complete', counts: manifest.counts, outputs: manifest.outputs.map((file) => file.path) }, `${name}: ${describeCounts(manifest.counts)}`);
    }
    await commitAfterLastStage(name, config, argv, logger);
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
 * The shard of the run's last stage that completes it commits the run (commitRunIfComplete):
 * whoever runs the stages (the pipeline, run-local, a person), the cursor moves only once the
 * whole run is done and reconciles.
 */
async function commitAfterLastStage(name: string, config: object, argv: Argv, logger: Logger): Promise<void> {
  const { dataset, runId, dataUrl, mode } = config as { dataset?: string; runId?: string; dataUrl?: string; mode?: string };
  if (name !== STAGES[STAGES.length - 1] || !dataset || !runId || !dataUrl || (mode !== undefined && mode !== 'run')) return;
  const { commitRunIfComplete } = await import('./stages/commit-run.js');
  await commitRunIfComplete(openStorage(dataUrl), { dataset, runId }, { maxItemAttempts: numberOption(argv, env, 'max-item-attempts') }, logger);
}

/**
 * Ends a command whose configuration could not be resolved: exit 2 for a bad one; exit 1 when
 * reading it failed in a way that may pass (a secret store unavailable), so Kubernetes retries.
 */
export function exitOnConfigError(command: string, error: unknown): void {
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
