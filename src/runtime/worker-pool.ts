import { Worker, type ResourceLimits } from 'node:worker_threads';

interface Pending {
  resolve: (value: unknown) => void;
  reject: (error: Error) => void;
}

/**
 * A fixed set of worker threads running one module, each task sent to the least busy worker.
 * CPU-bound work (JSON parsing, flattening) then uses the pod's other cores while the main
 * thread reads and writes. The module answers each `{ id, task }` message with `{ id, result }`
 * or `{ id, error }`.
 */
export class WorkerPool<Task, Result> {
  private readonly workers: Array<{ worker: Worker; pending: Map<number, Pending> }> = [];
  private nextId = 0;

  /** `resourceLimits` caps each worker's heap: V8 then collects before growing, which keeps memory flat. */
  constructor(moduleUrl: URL, size: number, options: { workerData?: unknown; resourceLimits?: ResourceLimits } = {}) {
    const { workerData, resourceLimits } = options;
    for (let i = 0; i < size; i++) {
      const worker = moduleUrl.pathname.endsWith('.ts')
        ? // From source (tests, tsx): the worker registers the TypeScript loader before loading the module.
          new Worker(`import('tsx/esm/api').then(({ register }) => { register(); return import(${JSON.stringify(moduleUrl.href)}); })`, { eval: true, workerData, resourceLimits })
        : new Worker(moduleUrl, { workerData, resourceLimits });
      const entry = { worker, pending: new Map<number, Pending>() };
      worker.on('message', (message: { id: number; result?: unknown; error?: string }) => {
        const pending = entry.pending.get(message.id);
        entry.pending.delete(message.id);
        if (message.error !== undefined) pending?.reject(new Error(message.error));
        else pending?.resolve(message.result);
      });
      worker.on('error', (error) => {
        for (const pending of entry.pending.values()) pending.reject(error);
        entry.pending.clear();
      });
      this.workers.push(entry);
    }
  }

  get size(): number {
    return this.workers.length;
  }

  /** The index of the least busy worker. */
  leastBusy(): number {
    let best = 0;
    this.workers.forEach((entry, index) => {
      if (entry.pending.size < this.workers[best]!.pending.size) best = index;
    });
    return best;
  }

  run(task: Task): Promise<Result> {
    return this.runOn(this.leastBusy(), task);
  }

  /** Runs a task on one given worker: for work that continues on state the worker kept. */
  runOn(workerIndex: number, task: Task): Promise<Result> {
    const entry = this.workers[workerIndex];
    if (!entry) throw new Error(`worker pool: no worker ${workerIndex} (pool of ${this.workers.length})`);
    const id = this.nextId++;
    return new Promise<Result>((resolve, reject) => {
      entry.pending.set(id, { resolve: resolve as (value: unknown) => void, reject });
      entry.worker.postMessage({ id, task });
    });
  }

  async close(): Promise<void> {
    await Promise.all(this.workers.map((entry) => entry.worker.terminate()));
  }
}

/** The URL of a sibling module, with this build's extension (.js compiled, .ts under tsx). */
export function siblingModule(importMetaUrl: string, name: string): URL {
  const extension = importMetaUrl.endsWith('.ts') ? '.ts' : '.js';
  return new URL(`./${name}${extension}`, importMetaUrl);
}
