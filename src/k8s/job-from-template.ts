import type { V1CronJob, V1Job, V1OwnerReference } from '@kubernetes/client-node';
import { ANNOTATIONS, LABELS, runTag } from './job-names.js';

export interface JobRequest {
  name: string;
  category: string;
  stage: string;
  runId: string;
  attempt: number;
  /** The pipeline's own Job: deleting it deletes the stage Jobs (none when run from a laptop). */
  owner: V1OwnerReference | undefined;
  /** Variables set for this Job only (plan's list of a backfill), over the template's. */
  env?: Readonly<Record<string, string>>;
}

/**
 * A Job built from a CronJob's jobTemplate the way `kubectl create job --from=cronjob/…` builds
 * it (template labels, annotations and spec; the instantiate annotation), plus the run id and
 * SKIP_COMPLETE_SHARDS (and the request's own variables) in every container's environment, labels to find it again and an owner reference to the pipeline.
 */
export function jobFromCronJob(cronJob: V1CronJob, request: JobRequest): V1Job {
  const template = cronJob.spec?.jobTemplate;
  if (!template?.spec) throw new Error(`CronJob ${cronJob.metadata?.name} has no jobTemplate.spec`);
  const spec = structuredClone(template.spec);
  const podSpec = spec.template.spec;
  if (!podSpec) throw new Error(`CronJob ${cronJob.metadata?.name} has no pod template spec`);
  for (const container of [...podSpec.containers, ...(podSpec.initContainers ?? [])]) {
    // A resumed stage redoes only the shards whose manifest is missing.
    const extra = Object.entries(request.env ?? {}).map(([name, value]) => ({ name, value }));
    const ours = new Set(['RUN_ID', 'SKIP_COMPLETE_SHARDS', ...extra.map((variable) => variable.name)]);
    container.env = [
      ...(container.env ?? []).filter((variable) => !ours.has(variable.name)),
      { name: 'RUN_ID', value: request.runId },
      { name: 'SKIP_COMPLETE_SHARDS', value: 'true' },
      ...extra,
    ];
  }
  // Pod labels help `kubectl logs -l titelive-etl/run=…`; the Job controller adds its own selector.
  spec.template.metadata = {
    ...spec.template.metadata,
    labels: { ...spec.template.metadata?.labels, ...runLabels(request) },
  };
  return {
    apiVersion: 'batch/v1',
    kind: 'Job',
    metadata: {
      name: request.name,
      namespace: cronJob.metadata?.namespace,
      labels: { ...template.metadata?.labels, ...runLabels(request) },
      annotations: {
        ...template.metadata?.annotations,
        [ANNOTATIONS.instantiate]: 'manual',
        [ANNOTATIONS.runId]: request.runId,
        [ANNOTATIONS.attempt]: String(request.attempt),
      },
      ...(request.owner ? { ownerReferences: [request.owner] } : {}),
    },
    spec,
  };
}

/** The labels that select one stage's Jobs of one run. */
export function runLabels(request: Pick<JobRequest, 'category' | 'stage' | 'runId'>): Record<string, string> {
  return { [LABELS.category]: request.category, [LABELS.stage]: request.stage, [LABELS.run]: runTag(request.runId) };
}

export function labelSelector(labels: Record<string, string>): string {
  return Object.entries(labels)
    .map(([key, value]) => `${key}=${value}`)
    .join(',');
}

/** An owner reference to a Job, so that the garbage collector deletes what it owns with it. */
export function ownerReferenceTo(job: V1Job): V1OwnerReference {
  const { name, uid } = job.metadata ?? {};
  if (!name || !uid) throw new Error('the owner Job has no name or uid');
  // No blockOwnerDeletion: it would need update on jobs/finalizers, which the pipeline does not need otherwise.
  return { apiVersion: 'batch/v1', kind: 'Job', name, uid, controller: true };
}
