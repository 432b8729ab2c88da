import { parentPort } from 'node:worker_threads';

/** A worker for the pool's tests: doubles `value`, or dies the way `die` says. */
parentPort?.on('message', ({ id, task }: { id: number; task: { value?: number; die?: 'exit' | 'throw' | 'oom' } }) => {
  if (task.die === 'exit') process.exit(7);
  if (task.die === 'throw') setTimeout(() => {
    throw new Error('a bug in the worker');
  });
  if (task.die === 'oom') {
    const hoard: number[][] = [];
    for (;;) hoard.push(Array.from({ length: 1_000_000 }, (_, i) => i));
  }
  if (task.die === undefined) parentPort?.postMessage({ id, result: (task.value ?? 0) * 2 });
});
