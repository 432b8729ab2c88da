#!/usr/bin/env node
import yargs, { type Argv as YargsArgv, type CommandModule } from 'yargs';
import { hideBin } from 'yargs/helpers';
import { STAGE_RESOLVERS, resolveAuditConfig, resolveCursorConfig, resolveLogConfig, resolvePipelineConfig, resolveRunConfig, resolveRunLocalConfig } from './config.js';
import { exitOnConfigError, stageCommand, type Work } from './command-runner.js';
import { OBSERVABILITY_OPTIONS, RUN_OPTIONS, TITELIVE_OPTIONS, yargsOptions } from './options.js';
import { ExitCode, messageOf } from './runtime/errors.js';
import type { Argv, Env } from './runtime/settings.js';
import { runSandboxCommand, SANDBOX_OPTIONS } from './sandbox/command.js';
import { STAGE_TABLE, STAGES, type StageRow } from './stage-table.js';

const env: Env = process.env;


/**
 * Each command's module is loaded only when that command runs: a stage pod then loads only its
 * own dependencies (parse starts without the MongoDB driver or the HTTP clients).
 */
function loadedOnUse<Config>(load: () => Promise<Work<Config>>): Work<Config> {
  return async (config, context) => (await load())(config, context);
}
const runLocal = loadedOnUse(async () => (await import('./stages/run-local.js')).runLocal);
const runVerify = loadedOnUse(async () => (await import('./stages/verify.js')).runVerify);
const runCursorCommand = loadedOnUse(async () => (await import('./stages/cursor-command.js')).runCursorCommand);
const runAudit = loadedOnUse(async () => {
  const { runAudit: audit } = await import('./stages/audit.js');
  return async (config: Parameters<typeof audit>[0], context: Parameters<typeof audit>[1]) => {
    await audit(config, context);
  };
});
const runPipelineCommand = loadedOnUse(async () => (await import('./k8s/pipeline-command.js')).runPipelineCommand);

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
      'cursor',
      "Show a category's cursor (the days covered by committed runs, where the next run starts), its lag and the EANs carried forward or given up; --set moves it",
      (y) => y.options(yargsOptions(['category', 'data-url', 'set', ...OBSERVABILITY_OPTIONS]))
        .example('$0 cursor --category paper --data-url gs://bucket/runs', '')
        .example('$0 cursor --category paper --data-url gs://bucket/runs --set 2024-03-02', 'the next run plans from 2024-03-02 minus the lookback'),
      (argv) => stageCommand('cursor', argv, async (a, e) => resolveCursorConfig(a, e), runCursorCommand),
    )
    .command(
      'audit',
      "Compare a uniform sample of the MongoDB copy with Titelive's answers now: each sampled EAN in_sync, stale, deleted_at_source, deleted_in_copy_only or failed; prints a table, writes the report under {category}/_audits/, exports the stale share and its 95 % interval; exits 4 above --max-stale-ratio with --fail-on-stale",
      (y) => y.options(yargsOptions(['category', 'data-url', 'sample', 'max-stale-ratio', 'fail-on-stale', 'mongodb-uri', 'database', 'collection', 'mongodb-timeout-ms', 'batch-size', ...TITELIVE_OPTIONS, ...OBSERVABILITY_OPTIONS]))
        .example('MONGODB_URI=mongodb://… $0 audit --category paper --data-url gs://bucket/runs', '1,000 documents, 4 /ean calls')
        .example('MONGODB_URI=mongodb://… $0 audit --category paper --data-url gs://bucket/runs --sample 5000 --fail-on-stale', 'exit 4 when more than 1 % is stale'),
      (argv) => stageCommand('audit', argv, resolveAuditConfig, runAudit),
    )
    .command(
      'pipeline',
      "Run the stages in order on Kubernetes as Jobs made from the chart's stage CronJobs; skips complete stages, so a rerun resumes",
      (y) => y.options(yargsOptions([...RUN_OPTIONS, 'release', 'namespace', 'kubeconfig', 'owner-job', 'stages', 'poll-interval-ms', 'eans-from', 'move-cursor', 'retry-failed-from', 'include-unavailable', ...OBSERVABILITY_OPTIONS]))
        .example('$0 pipeline --category paper --data-url gs://bucket/runs --release titelive-etl --namespace etl', 'from a laptop with a kubeconfig')
        .example('$0 pipeline --category paper --run-id backfill-2024-03 --eans-from gs://bucket/lists/paper.csv --data-url gs://bucket/runs --namespace etl', 'a backfill: the plan Job reads the list'),
      (argv) => stageCommand('pipeline', argv, async (a, e) => resolvePipelineConfig(a, e), runPipelineCommand),
    )
    .command(
      'run-local',
      'Run every stage on this machine, shards as parallel workers, against the embedded sandbox unless an API URL is set',
      (y) => y.options(yargsOptions(['category', 'run-id', 'data-url', 'min-modified-date', 'max-modified-date', 'window-days', 'lookback-days', 'max-catch-up-days', 'max-item-attempts', 'limit', 'api-url', 'login-url', 'rate-limit', 'images-url', 'image-hosts', 'shards', 'products', ...OBSERVABILITY_OPTIONS])).example('$0 run-local --category paper --window-days 7 --data-url ./data', 'defaults: paper, 7 days ending today, ./data, sandbox at 20 requests/s'),
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
    .demandCommand(1, `Name a command: ${STAGES.join(', ')}, verify, cursor, audit, pipeline, run-local or sandbox.`)
    .strict()
    .env(false)
    .wrap(Math.min(120, process.stdout.columns ?? 100))
    .epilogue(
      'Every option also reads the environment variable shown in its help. Exit codes: 0 done, 1 work failed, 2 bad configuration, 3 upstream stage incomplete, 4 run does not reconcile (verify) or copy stale (audit --fail-on-stale), 130/143 stopped by a signal.',
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
