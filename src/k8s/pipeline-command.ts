import type { PipelineCommandConfig } from '../config.js';
import { stageCompletion } from '../runtime/completion.js';
import type { JobContext } from '../runtime/harness.js';
import { openStorage } from '../runtime/storage/open-storage.js';
import { STAGE_FOLDERS, type Stage } from '../stage-table.js';
import { verifyRun } from '../stages/verify.js';
import { KubernetesJobsApi } from './kubernetes-jobs-api.js';
import { runPipeline } from './pipeline.js';

/** `titelive-etl pipeline`: the orchestrator on the cluster the kubeconfig (or the pod) points at; verifies the run at the end. */
export async function runPipelineCommand(config: PipelineCommandConfig, { logger, signal }: JobContext): Promise<void> {
  const api = await KubernetesJobsApi.connect({ kubeconfig: config.kubeconfig, namespace: config.namespace });
  const storage = openStorage(config.dataUrl);
  const run = { dataset: config.dataset, runId: config.runId };
  await runPipeline(
    { category: config.dataset, runId: config.runId, release: config.release, stages: config.stages, ownerJob: config.ownerJob, pollIntervalMs: config.pollIntervalMs, stageEnv: config.stageEnv },
    {
      api,
      isComplete: async (stage) => (await stageCompletion(storage, run, STAGE_FOLDERS[stage as Stage])).complete,
      logger,
      signal,
    },
  );
  // Last: the run's manifests must add up from plan to the last stage that ran.
  await verifyRun(storage, run, logger, process.stdout);
}
