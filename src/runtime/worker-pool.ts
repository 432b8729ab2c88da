import { Worker, type ResourceLimits } from 'node:worker_threads';

interface Pending {
  resolve: (value: unknown) => void;
  reject: (error: Error) => void;
}

/** One thread, the tasks it holds, and why it stopped if it did. */
interface WorkerEntry {
  worker: Worker;
  pending: Map<number, Pending>;
  stopped?: Error;
}

/**
 * A fixed set of worker threads running one module, each task sent to the least busy worker.
 * CPU-bound work (JSON parsing, flattening) then uses the pod's other cores while the main
 * thread reads and writes. The module answers each `{ id, task }` message with `{ id, result }`
 * or `{ id, error }`.
 */
export class WorkerPool<Task, Result> {
  private readonly workers: WorkerEntry[] = [];
  private nextId = 0;
  private closing = false;
  /** Threads replaced so far: past a few per slot, a thread that keeps dying is not started again. */
  private replacements = 0;

  /**
   * `resourceLimits` caps each worker's heap: V8 then collects before growing, which keeps memory flat.
   * A worker that dies (an uncaught error, out of memory, process.exit) fails the tasks it held
   * with an error saying so, and is replaced, so the pool keeps its size.
   */
  constructor(
    private readonly moduleUrl: URL,
    size: number,
    private readonly options: { workerData?: unknown; resourceLimits?: ResourceLimits; name?: string } = {},
  ) {
    for (let i = 0; i < size; i++) this.workers.push(this.start(i));
  }

  private start(index: number): WorkerEntry {
    const { workerData, resourceLimits } = this.options;
    const worker = this.moduleUrl.pathname.endsWith('.ts')
      ? // From source (tests, tsx): the worker registers the TypeScript loader before loading the module.
        new Worker(`import('tsx/esm/api').then(({ register }) => { register(); return import(${JSON.stringify(this.moduleUrl.href)}); })`, { eval: true, workerData, resourceLimits })
      : new Worker(this.moduleUrl, { workerData, resourceLimits });
    const entry: WorkerEntry = { worker, pending: new Map<number, Pending>() };
    let cause: Error | undefined;
    worker.on('message', (message: { id: number; result?: unknown; error?: string }) => {
      const pending = entry.pending.get(message.id);
      entry.pending.delete(message.id);
      if (message.error !== undefined) pending?.reject(new Error(message.error));
      else pending?.resolve(message.result);
    });
    worker.on('error', (error) => (cause = error));
    worker.on('exit', (code) => {
      if (this.closing) return;
      const what = `${this.options.name ?? 'worker'} thread ${index + 1} stopped (${cause ? cause.message : `exit code ${code}`})`;
      const replace = this.replacements < MAX_REPLACEMENTS_PER_THREAD * this.workers.length;
      const error = new WorkerStoppedError(`${what} while running its task; the task failed${replace ? ' and the thread was replaced' : ', and it keeps dying: not started again'}`, cause);
      for (const pending of entry.pending.values()) pending.reject(error);
      entry.pending.clear();
      entry.stopped = error;
      if (replace && this.workers[index] === entry) {
        this.replacements += 1;
        this.workers[index] = this.start(index);
      }
    });
    return entry;
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
    if (entry.stopped) return Promise.reject(entry.stopped);
    const id = this.nextId++;
    return new Promise<Result>((resolve, reject) => {
      entry.pending.set(id, { resolve: resolve as (value: unknown) => void, reject });
      entry.worker.postMessage({ id, task });
    });
  }

  async close(): Promise<void> {
    this.closing = true;
    await Promise.all(this.workers.map((entry) => entry.worker.terminate()));
  }
}

const MAX_REPLACEMENTS_PER_THREAD = 3;

/** A worker thread died while it held a task. */
export class WorkerStoppedError extends Error {
  override name = 'WorkerStoppedError';
  constructor(message: string, cause?: Error) {
    super(message, cause ? { cause } : undefined);
  }
}

/** The URL of a sibling module, with this build's extension (.js compiled, .ts under tsx). */
export function siblingModule(importMetaUrl: string, name: string): URL {
  const extension = importMetaUrl.endsWith('.ts') ? '.ts' : '.js';
  return new URL(`./${name}${extension}`, importMetaUrl);
}
