/**
 * @losskit/parallel (Node only): data-parallel training across worker_threads.
 *
 *   import { fitParallel } from '@losskit/parallel';
 *   const history = await fitParallel(model, x, y, { loss: 'mse', optimizer: tf.train.sgd(0.1), epochs: 3, batchSize: 256, workers: 2, plugins: ['@losskit/loss-mse'] });
 */
export { fitParallel, resolvePlugin, type FitParallelOptions, type ParallelHistory } from './fit-parallel.js';
export { ParallelFitError, ReplicaFailedError, NonCrossableLossError } from './errors.js';
export type { ReplicaTiming, NamedValues } from './protocol.js';
export { chooseWorkers, MIN_ROWS_PER_WORKER } from './options.js';
// The trainer's `workers` option splits batches and picks 'auto' counts the same way.
export { sliceOf } from './shared.js';
