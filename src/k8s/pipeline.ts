import type { V1Job, V1OwnerReference } from '@kubernetes/client-node';
import type { Logger } from 'pino';
import { ConfigError, WorkFailedError } from '../runtime/errors.js';
import { sleep } from '../runtime/http/sleep.js';
import { jobFromCronJob, labelSelector, ownerReferenceTo, runLabels } from './job-from-template.js';
import { ANNOTATIONS, stageJobName, stageTemplateName } from './job-names.js';
import { describeJobState, jobState, type JobState } from './job-state.js';
import type { JobsApi } from './jobs-api.js';

export interface PipelineConfig {
  category: string;
  runId: string;
  /** The Helm release (or fullnameOverride): stage templates are `<release>-<category>-<stage>`. */
  release: string;
  /** The stages in order. */
  stages: readonly string[];
  /** The pipeline's own Job, owner of the stage Jobs; undefined from a laptop. */
  ownerJob: string | undefined;
  pollIntervalMs: number;
  /** Variables for one stage's Jobs, by stage (plan's list or repair of a backfill run). */
  stageEnv?: Readonly<Record<string, Readonly<Record<string, string>>>>;
}

export interface PipelineDeps {
  api: JobsApi;
  /** Whether a stage's outputs for the run are complete (all its shard manifests are there). */
  isComplete: (stage: string) => Promise<boolean>;
  logger: Logger;
  signal: AbortSignal;
}

export interface StageOutcome {
  stage: string;
  outcome: 'skipped_complete' | 'succeeded';
  job: string | undefined;
}

/**
 * Runs the stages in order as Kubernetes Jobs made from their CronJob templates. A stage whose
 * outputs are complete is skipped, so a rerun resumes where the last one stopped; a Job still
 * running for the stage (a pipeline pod that restarted) is watched, not duplicated. Stops at the
 * first failed Job with a message that names it and how to inspect it.
 */
export async function runPipeline(config: PipelineConfig, deps: PipelineDeps): Promise<StageOutcome[]> {
  const { api, logger } = deps;
  const owner = await resolveOwner(config, api);
  const outcomes: StageOutcome[] = [];
  const label = `pipeline ${config.category} run ${config.runId}`;
  logger.info({ event: 'pipeline_started', stages: config.stages, namespace: api.namespace, owner: owner?.name }, `${label}: stages ${config.stages.join(' → ')} in namespace ${api.namespace}`);
  for (const stage of config.stages) {
    deps.signal.throwIfAborted();
    if (await deps.isComplete(stage)) {
      logger.info({ event: 'stage_skipped', stage }, `${label}: ${stage} already complete, skipped`);
      outcomes.push({ stage, outcome: 'skipped_complete', job: undefined });
      continue;
    }
    const job = await startStage(config, deps, stage, owner);
    const name = job.metadata!.name!;
    const state = await watchJob(config, deps, stage, name);
    if (state.phase === 'failed') throw new WorkFailedError(stageFailedMessage(config, api.namespace, stage, name, state));
    if (!(await deps.isComplete(stage))) {
      throw new WorkFailedError(
        `${label}: Job ${name} succeeded but ${stage}'s outputs are incomplete (shard manifests missing); ` +
          `inspect it with: kubectl -n ${api.namespace} logs job/${name}`,
      );
    }
    logger.info({ event: 'stage_succeeded', stage, job: name }, `${label}: ${stage} done (Job ${name})`);
    outcomes.push({ stage, outcome: 'succeeded', job: name });
  }
  logger.info({ event: 'pipeline_succeeded' }, `${label}: every stage complete`);
  return outcomes;
}

async function resolveOwner(config: PipelineConfig, api: JobsApi): Promise<V1OwnerReference | undefined> {
  if (!config.ownerJob) return undefined;
  const job = await api.readJob(config.ownerJob);
  if (!job) throw new ConfigError(`--owner-job: no Job '${config.ownerJob}' in namespace ${api.namespace}; name the pipeline's own Job or leave it unset`);
  return ownerReferenceTo(job);
}

/** The Job still running for this stage and run, else a new attempt from the CronJob template. */
async function startStage(config: PipelineConfig, deps: PipelineDeps, stage: string, owner: V1OwnerReference | undefined): Promise<V1Job> {
  const { api, logger } = deps;
  const existing = await api.listJobs(labelSelector(runLabels({ category: config.category, stage, runId: config.runId })));
  const mine = existing.filter((job) => job.metadata?.annotations?.[ANNOTATIONS.runId] === config.runId);
  const running = mine.find((job) => jobState(job).phase === 'running' && !job.metadata?.deletionTimestamp);
  if (running) {
    logger.info({ event: 'stage_adopted', stage, job: running.metadata?.name }, `pipeline: ${stage}: Job ${running.metadata?.name} is already running for this run; watching it`);
    return running;
  }
  const templateName = stageTemplateName(config.release, config.category, stage);
  const cronJob = await api.readCronJob(templateName);
  if (!cronJob) {
    throw new ConfigError(
      `pipeline: no CronJob ${templateName} in namespace ${api.namespace}: install the chart there, or set --release to the Helm release ` +
        '(stage templates are named <release>-<category>-<stage>)',
    );
  }
  const attempt = 1 + Math.max(0, ...mine.map((job) => Number(job.metadata?.annotations?.[ANNOTATIONS.attempt]) || 0));
  const name = stageJobName(templateName, config.runId, attempt);
  const created = await api.createJob(jobFromCronJob(cronJob, { name, category: config.category, stage, runId: config.runId, attempt, owner, ...(config.stageEnv?.[stage] ? { env: config.stageEnv[stage] } : {}) }));
  logger.info({ event: 'stage_job_created', stage, job: name, attempt }, `pipeline: ${stage}: created Job ${name} from cronjob/${templateName}${attempt > 1 ? ` (attempt ${attempt})` : ''}`);
  return created;
}

/** Reads of a Job that may fail in a row (API server restart, network blip) before the pipeline gives up. */
const MAX_READ_FAILURES = 30;

/** Polls the Job until Kubernetes marks it Complete or Failed; logs each change of its counts. */
async function watchJob(config: PipelineConfig, deps: PipelineDeps, stage: string, name: string): Promise<JobState> {
  let last = '';
  let failures = 0;
  for (;;) {
    let job: V1Job | undefined;
    try {
      job = await deps.api.readJob(name);
      failures = 0;
    } catch (error) {
      failures += 1;
      if (error instanceof ConfigError || failures >= MAX_READ_FAILURES) throw error;
      deps.logger.warn({ event: 'stage_read_failed', stage, job: name, failures }, `pipeline: ${stage}: ${(error as Error).message}; trying again`);
      await sleep(config.pollIntervalMs, deps.signal);
      continue;
    }
    if (!job) throw new WorkFailedError(`pipeline: ${stage}: Job ${name} was deleted while the pipeline watched it; rerun the pipeline to start the stage again`);
    const state = jobState(job);
    const summary = describeJobState(state);
    if (summary !== last || state.phase !== 'running') {
      deps.logger.info({ event: 'stage_progress', stage, job: name, ...countsOf(state) }, `pipeline: ${stage}: ${name}: ${summary}`);
      last = summary;
    }
    if (state.phase !== 'running') return state;
    await sleep(config.pollIntervalMs, deps.signal);
  }
}

function countsOf(state: JobState) {
  return { succeeded: state.succeeded, failed: state.failed, active: state.active, completions: state.completions };
}

/** The message the chart's NOTES promise: which Job, why, how to look, how to resume. */
export function stageFailedMessage(config: Pick<PipelineConfig, 'category' | 'runId' | 'release'>, namespace: string, stage: string, job: string, state: JobState): string {
  const why = [state.reason, state.message].filter(Boolean).join(': ') || 'failed';
  const shards = state.failedIndexes ? `; failed shards ${state.failedIndexes}` : '';
  const ns = `kubectl -n ${namespace}`;
  return (
    `pipeline ${config.category} run ${config.runId} stopped at ${stage}: Job ${job} failed (${why}${shards}). ` +
    `Inspect it: ${ns} describe job/${job}; ${ns} logs -l job-name=${job} --tail=50. ` +
    `Then resume from ${stage}: ${ns} create job --from=cronjob/${stageTemplateName(config.release, config.category, 'pipeline')} <name>`
  );
}
