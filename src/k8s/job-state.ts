import type { V1Job } from '@kubernetes/client-node';

export interface JobState {
  phase: 'running' | 'succeeded' | 'failed';
  /** Pods (shards) that finished, failed attempts, pods running now. */
  succeeded: number;
  failed: number;
  active: number;
  completions: number;
  /** Failed indexes of an Indexed Job, as Kubernetes writes them ("1,3-5"). */
  failedIndexes: string | undefined;
  /** The reason and message of the Failed condition. */
  reason: string | undefined;
  message: string | undefined;
}

/** What a Job's status says: finished only when Kubernetes set its Complete or Failed condition. */
export function jobState(job: V1Job): JobState {
  const status = job.status ?? {};
  const conditions = status.conditions ?? [];
  const isTrue = (type: string) => conditions.find((condition) => condition.type === type && condition.status === 'True');
  const failed = isTrue('Failed');
  const phase = failed ? 'failed' : isTrue('Complete') ? 'succeeded' : 'running';
  return {
    phase,
    succeeded: status.succeeded ?? 0,
    failed: status.failed ?? 0,
    active: status.active ?? 0,
    completions: job.spec?.completions ?? 1,
    failedIndexes: status.failedIndexes || undefined,
    reason: failed?.reason,
    message: failed?.message,
  };
}

/** "3/8 shards done, 2 running, 1 failed attempt" */
export function describeJobState(state: JobState): string {
  const parts = [`${state.succeeded}/${state.completions} ${state.completions === 1 ? 'pod' : 'shards'} done`, `${state.active} running`];
  if (state.failed > 0) parts.push(`${state.failed} failed attempt${state.failed === 1 ? '' : 's'}`);
  return parts.join(', ');
}
