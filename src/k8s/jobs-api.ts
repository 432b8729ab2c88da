import type { V1CronJob, V1Job } from '@kubernetes/client-node';

/** The Kubernetes calls the pipeline makes, all in one namespace (the Role allows exactly these). */
export interface JobsApi {
  readonly namespace: string;
  /** undefined when there is no such CronJob. */
  readCronJob(name: string): Promise<V1CronJob | undefined>;
  /** undefined when there is no such Job (any more). */
  readJob(name: string): Promise<V1Job | undefined>;
  listJobs(labelSelector: string): Promise<V1Job[]>;
  createJob(job: V1Job): Promise<V1Job>;
}
