import type { ApiException, BatchV1Api, V1CronJob, V1Job } from '@kubernetes/client-node';
import { ConfigError, WorkFailedError } from '../runtime/errors.js';
import type { JobsApi } from './jobs-api.js';

export interface KubernetesTarget {
  /** A kubeconfig file; default: KUBECONFIG, ~/.kube/config, else the pod's service account. */
  kubeconfig: string | undefined;
  /** default: the kubeconfig context's namespace, else the pod's, else "default". */
  namespace: string | undefined;
}

/** JobsApi on a real API server through @kubernetes/client-node. */
export class KubernetesJobsApi implements JobsApi {
  private constructor(
    private readonly batch: BatchV1Api,
    readonly namespace: string,
    /** The API server, for error messages. */
    private readonly server: string,
    private readonly isApiException: (error: unknown) => error is ApiException<unknown>,
  ) {}

  static async connect(target: KubernetesTarget): Promise<KubernetesJobsApi> {
    // Loaded on use: the client is large and only this command needs it.
    const k8s = await import('@kubernetes/client-node');
    const config = new k8s.KubeConfig();
    try {
      if (target.kubeconfig) config.loadFromFile(target.kubeconfig);
      else config.loadFromDefault();
    } catch (error) {
      throw new ConfigError(`--kubeconfig: cannot load '${target.kubeconfig ?? 'the default kubeconfig'}' (${(error as Error).message}); point KUBECONFIG at a valid file`);
    }
    const cluster = config.getCurrentCluster();
    if (!cluster) {
      throw new ConfigError('no Kubernetes cluster configured: run inside a pod, or set --kubeconfig / KUBECONFIG and select a context');
    }
    const contextNamespace = config.getContextObject(config.getCurrentContext())?.namespace;
    const namespace = target.namespace ?? contextNamespace ?? 'default';
    const isApiException = (error: unknown): error is ApiException<unknown> => error instanceof k8s.ApiException;
    return new KubernetesJobsApi(config.makeApiClient(k8s.BatchV1Api), namespace, cluster.server, isApiException);
  }

  async readCronJob(name: string): Promise<V1CronJob | undefined> {
    return this.orUndefined(() => this.batch.readNamespacedCronJob({ name, namespace: this.namespace }), `get cronjob ${name}`);
  }

  async readJob(name: string): Promise<V1Job | undefined> {
    return this.orUndefined(() => this.batch.readNamespacedJob({ name, namespace: this.namespace }), `get job ${name}`);
  }

  async listJobs(labelSelector: string): Promise<V1Job[]> {
    const list = await this.call(() => this.batch.listNamespacedJob({ namespace: this.namespace, labelSelector }), `list jobs -l ${labelSelector}`);
    return list.items;
  }

  async createJob(job: V1Job): Promise<V1Job> {
    return this.call(() => this.batch.createNamespacedJob({ namespace: this.namespace, body: job }), `create job ${job.metadata?.name}`);
  }

  private async orUndefined<T>(request: () => Promise<T>, what: string): Promise<T | undefined> {
    try {
      return await request();
    } catch (error) {
      if (this.isApiException(error) && error.code === 404) return undefined;
      throw this.explain(error, what);
    }
  }

  private async call<T>(request: () => Promise<T>, what: string): Promise<T> {
    try {
      return await request();
    } catch (error) {
      throw this.explain(error, what);
    }
  }

  /** The API server's own message, with what to check; never the request's headers or token. */
  private explain(error: unknown, what: string): Error {
    const where = `namespace ${this.namespace} on ${this.server}`;
    if (this.isApiException(error)) {
      const reason = statusMessage(error.body) ?? `HTTP ${error.code}`;
      if (error.code === 401) return new ConfigError(`kubernetes: ${what} in ${where}: not authenticated (${reason}); check the kubeconfig's credentials`);
      if (error.code === 403) {
        return new ConfigError(
          `kubernetes: ${what} in ${where}: forbidden (${reason}); the pipeline's ServiceAccount may read only its release's stage CronJobs ` +
            "and get, list, create Jobs: check --release and --namespace, and that the chart's Role is bound",
        );
      }
      return new WorkFailedError(`kubernetes: ${what} in ${where} failed: ${reason}`);
    }
    const message = error instanceof Error ? error.message : String(error);
    return new WorkFailedError(`kubernetes: ${what} in ${where} failed: ${message}; is the API server reachable?`);
  }
}

function statusMessage(body: unknown): string | undefined {
  const parsed = typeof body === 'string' ? safeJson(body) : body;
  if (parsed && typeof parsed === 'object' && 'message' in parsed && typeof parsed.message === 'string') return parsed.message;
  return undefined;
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}
