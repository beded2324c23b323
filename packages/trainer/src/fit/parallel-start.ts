/**
 * The trainer's one entrance to the `workers` option. The pool (worker_threads, shared memory)
 * is Node-only, so it is imported here dynamically, only when a fit asks for workers, through
 * a specifier in a variable: bundlers for the browser leave it alone, and a browser fit without
 * `workers` never loads it.
 */
import { TrainerInputError } from '../errors.js';
import type { ParallelFit, WorkerPool } from './parallel-pool.js';

const POOL_MODULE = './parallel-pool.js';

export type { ParallelFit, WorkerPool };

/** Starts the workers a fit asks for; undefined when it runs in this thread only. */
export async function startWorkers(fit: ParallelFit): Promise<WorkerPool | undefined> {
  if (fit.settings.workers === 1) return undefined;
  let pool: typeof import('./parallel-pool.js');
  try {
    pool = (await import(/* @vite-ignore */ POOL_MODULE)) as typeof import('./parallel-pool.js');
  } catch (error) {
    throw new TrainerInputError(`fit: workers needs Node's worker_threads, which this runtime does not offer (${(error as Error).message}); leave workers out (1) here.`);
  }
  return pool.startWorkerPool(fit);
}
