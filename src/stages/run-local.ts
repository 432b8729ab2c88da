import { spawn } from 'node:child_process';
import type { Logger } from 'pino';
import type { RunLocalConfig } from '../stage-configs.js';
import { stageCompletion } from '../runtime/completion.js';
import { WorkFailedError } from '../runtime/errors.js';
import type { JobContext } from '../runtime/harness.js';
import { manifestRows, type ShardManifest } from '../runtime/manifest.js';
import { stageFolder, type RunRef } from '../runtime/run-layout.js';
import { openStorage } from '../runtime/storage/open-storage.js';
import { startLocalFerretDb, type LocalMongo } from '../runtime/local-ferretdb.js';
import { SANDBOX_PASSWORD, SANDBOX_USERNAME, Sandbox } from '../sandbox/server.js';
import { STAGE_FOLDERS, STAGE_TABLE, type Stage } from '../stage-table.js';
import { verifyRun } from './verify.js';

export type { RunLocalConfig } from '../stage-configs.js';

interface StageRun {
  stage: string;
  workers: number;
  seconds: number;
  manifests: ShardManifest[];
}

/**
 * Every stage in order on this machine, each sharded stage as parallel worker processes that
 * behave like the pods of an Indexed Job (JOB_COMPLETION_INDEX, SHARD_COUNT, PARALLELISM).
 */
export async function runLocal(config: RunLocalConfig, { logger, signal }: JobContext, out: NodeJS.WritableStream = process.stdout): Promise<void> {
  let sandbox: Sandbox | undefined;
  // Workers share this machine: each would claim the same metrics port, so they serve none (they still push).
  const env: Record<string, string | undefined> = { ...process.env, TITELIVE_RATE_LIMIT: String(config.ratePerSecond), METRICS_PORT: undefined };
  if (config.apiUrl === undefined) {
    sandbox = new Sandbox({ products: config.sandboxProducts, endDay: config.window.end, faults: { rateLimit: config.ratePerSecond } });
    await sandbox.start();
    Object.assign(env, {
      TITELIVE_API_URL: sandbox.apiUrl,
      TITELIVE_LOGIN_URL: sandbox.loginUrl,
      TITELIVE_USERNAME: SANDBOX_USERNAME,
      TITELIVE_PASSWORD: SANDBOX_PASSWORD,
    });
    logger.info({ event: 'sandbox_started', url: sandbox.url }, `run-local: sandbox Titelive API at ${sandbox.apiUrl} (${config.sandboxProducts} products, ${config.ratePerSecond} requests/s)`);
  }
  const common = ['--category', config.dataset, '--run-id', config.runId, '--data-url', config.dataUrl];
  // The sandbox serves its covers from its own loopback origin, listed by name so it is allowed.
  const imageHosts = [config.imageHosts, sandbox ? new URL(sandbox.url).origin : undefined].filter((hosts) => hosts !== undefined).join(',');
  // Each stage gets the settings its options name, so a new stage needs nothing here.
  const settings: Record<string, string | undefined> = {
    'min-modified-date': config.window.start,
    'max-modified-date': config.window.end,
    ...(config.window.start === undefined ? { 'window-days': String(config.window.days), 'lookback-days': String(config.window.lookbackDays), 'max-catch-up-days': String(config.window.maxCatchUpDays) } : {}),
    'max-item-attempts': config.maxItemAttempts === undefined ? undefined : String(config.maxItemAttempts),
    limit: config.limit === undefined ? undefined : String(config.limit),
    'images-url': config.imagesUrl,
    'image-hosts': imageHosts || undefined,
  };
  const runs: StageRun[] = [];
  let ferretDb: LocalMongo | undefined;
  try {
    for (const stage of STAGE_TABLE) {
      const options: readonly string[] = stage.options;
      if (options.includes('mongodb-uri') && !(await mongoReady(env, logger, (started) => (ferretDb = started)))) {
        logger.info({ event: 'stage_skipped', stage: stage.name }, `run-local: ${stage.name} skipped: set MONGODB_URI (or MONGODB_URI_FILE) to load into MongoDB, or run \`bash scripts/install-tools.sh\` to get FerretDB in tools/bin for a throwaway local one`);
        continue;
      }
      const args = [...common, ...Object.entries(settings).filter(([name, value]) => value !== undefined && options.includes(name)).flatMap(([name, value]) => [`--${name}`, value!])];
      runs.push(await runStage(stage.name, stage.sharded ? config.shards : 1, args, env, config, logger, signal));
    }
  } finally {
    await sandbox?.stop();
    await ferretDb?.stop();
  }
  printSummary(out, config, runs);
  await verifyRun(openStorage(config.dataUrl), { dataset: config.dataset, runId: config.runId }, logger, out);
}

/**
 * MongoDB for the stages that load: the user's (MONGODB_URI), else a throwaway FerretDB from the
 * tools folder when it is there. The workers read MONGODB_URI themselves: it never appears on a
 * command line.
 */
async function mongoReady(env: Record<string, string | undefined>, logger: Logger, started: (ferretDb: LocalMongo) => void): Promise<boolean> {
  if (env.MONGODB_URI || env.MONGODB_URI_FILE) return true;
  const ferretDb = await startLocalFerretDb();
  if (!ferretDb) return false;
  started(ferretDb);
  env.MONGODB_URI = ferretDb.uri;
  logger.info({ event: 'ferretdb_started' }, `run-local: no MONGODB_URI: loading into a throwaway FerretDB (tools/bin/ferretdb) at ${ferretDb.uri}, removed at the end`);
  return true;
}

async function runStage(
  stage: Stage,
  workers: number,
  args: string[],
  env: Record<string, string | undefined>,
  config: RunLocalConfig,
  logger: Logger,
  signal: AbortSignal,
): Promise<StageRun> {
  const startedAt = Date.now();
  logger.info({ event: 'stage_started', stage, workers }, `run-local: ${stage} with ${workers} worker(s)`);
  const exits = await Promise.all(
    Array.from({ length: workers }, (_, index) =>
      spawnWorker(config.cli, [stage, ...args], {
        ...env,
        JOB_COMPLETION_INDEX: String(index),
        SHARD_COUNT: String(workers),
        PARALLELISM: String(workers),
      }, signal),
    ),
  );
  signal.throwIfAborted();
  const failed = exits.map((code, index) => ({ code, index })).filter((exit) => exit.code !== 0);
  if (failed.length > 0) {
    const which = failed.map((exit) => `shard ${exit.index} exited ${exit.code}`).join(', ');
    throw new WorkFailedError(
      `run-local: ${stage} failed (${which}); see the log lines above. Rerun a shard with: ` +
        `titelive-etl ${stage} ${args.join(' ')} --shard-index ${failed[0]?.index} --shard-count ${workers}`,
    );
  }
  const storage = openStorage(config.dataUrl);
  const completion = await stageCompletion(storage, { dataset: config.dataset, runId: config.runId }, STAGE_FOLDERS[stage]);
  return { stage, workers, seconds: (Date.now() - startedAt) / 1000, manifests: completion.manifests };
}

function spawnWorker(cli: RunLocalConfig['cli'], args: string[], env: Record<string, string | undefined>, signal: AbortSignal): Promise<number> {
  return new Promise((resolve, reject) => {
    const child = spawn(cli.execPath, [...cli.args, ...args], { env, stdio: ['ignore', 'inherit', 'inherit'] });
    const stop = () => child.kill('SIGTERM');
    signal.addEventListener('abort', stop, { once: true });
    child.on('error', reject);
    child.on('exit', (code, childSignal) => {
      signal.removeEventListener('abort', stop);
      resolve(code ?? (childSignal === 'SIGTERM' ? 143 : 1));
    });
  });
}

function printSummary(out: NodeJS.WritableStream, config: RunLocalConfig, runs: StageRun[]): void {
  const run: RunRef = { dataset: config.dataset, runId: config.runId };
  const storage = openStorage(config.dataUrl);
  const window = runs.find((stageRun) => stageRun.stage === 'plan')?.manifests[0]?.details.window as { start: string; end: string } | undefined;
  const lines = [`run-local: ${config.dataset} run ${config.runId}, window ${window ? `${window.start} → ${window.end}` : 'not planned'}`];
  const width = Math.max(...runs.map((stageRun) => stageRun.stage.length));
  for (const stageRun of runs) {
    const totals: Record<string, number> = {};
    let rows = 0;
    for (const manifest of stageRun.manifests) {
      for (const [outcome, count] of Object.entries(manifest.counts)) totals[outcome] = (totals[outcome] ?? 0) + count;
      rows += manifestRows(manifest);
    }
    const anomalies = stageRun.manifests.flatMap((manifest) => manifest.anomalies).length;
    const outcomes = Object.entries(totals)
      .filter(([, count]) => count > 0)
      .map(([outcome, count]) => `${outcome} ${count}`)
      .join(', ');
    lines.push(
      `  ${stageRun.stage.padEnd(width)} ${String(stageRun.workers).padStart(2)} worker(s) ${stageRun.seconds.toFixed(1).padStart(6)} s  ` +
        `${rows} rows  ${outcomes}${anomalies > 0 ? `  (${anomalies} anomalies in the manifest)` : ''}`,
    );
  }
  lines.push(`  outputs: ${storage.locate(stageFolder(run, ''))}`);
  out.write(`${lines.join('\n')}\n`);
}
