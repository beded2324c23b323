/**
 * fitParallel: data-parallel training of a tf.LayersModel across worker_threads. Each worker is
 * a replica on its own single-threaded wasm backend; every batch is split into contiguous
 * slices, one per replica; gradients are summed in a fixed order through SharedArrayBuffers
 * (./shared.ts), and every replica applies the same update, so the replicas stay identical and
 * a run is bit-for-bit reproducible for a given worker count.
 */
import { Worker } from 'node:worker_threads';
import { createRequire } from 'node:module';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import * as tf from '@tensorflow/tfjs';
import { getLossRegistry, type LossSpec, type SavedLossSpec } from '@losskit/core';
import { NonCrossableLossError, ParallelFitError, ReplicaFailedError } from './errors.js';
import { checkKeys, checkPositiveInteger, chooseWorkers } from './options.js';
import type { NamedValues, ReplicaMessage, ReplicaSetup, ReplicaTiming, SharedSamples } from './protocol.js';
import { abortAll, allocateShared } from './shared.js';

export interface FitParallelOptions {
  /**
   * A loss spec by name (`'mse'`, `{ name, options }`, a sum): plain JSON, re-resolved in each
   * worker. For a model with several outputs: one spec for all, or an array with one per output.
   */
  loss: LossSpec | readonly LossSpec[];
  /** Weight of each output's loss in the total (default 1 each). */
  lossWeights?: readonly number[];
  /** Its class name and config cross to the workers (tf.serialization); each gets a fresh copy. */
  optimizer: tf.Optimizer;
  epochs: number;
  batchSize: number;
  /** Replica count, or 'auto' (the default): see chooseWorkers. */
  workers?: number | 'auto';
  /** One weight per sample, shape [samples]. */
  sampleWeight?: tf.Tensor;
  /**
   * Modules every worker imports before resolving the loss (package names, or paths relative
   * to the working directory): whatever registers the loss and its dependencies.
   */
  plugins?: readonly string[];
  /**
   * The optimizer state a previous fitParallel returned (`history.optimizerState`): continues
   * that run, with any worker count, as if it had not stopped.
   */
  optimizerState?: readonly NamedValues[];
  /** Not supported: an in-memory DI container cannot cross to a worker (the error says what to do). */
  container?: unknown;
  /** Receives the one log line (worker count and why). */
  logger?: (line: string) => void;
  onEpochEnd?: (epoch: number, loss: number) => void;
}

export interface ParallelHistory {
  /** Loss per epoch: the sample-weighted mean of the batch losses. */
  loss: number[];
  workers: number;
  /** Where replica 0's time went over the fit (ms): for choosing `workers`. */
  timing: ReplicaTiming;
  /** The optimizer's state at the end (its moments, step count): pass it back to continue. */
  optimizerState: NamedValues[];
}

const WORKER_URL = new URL('./worker.js', import.meta.url);

function toShared(t: tf.Tensor): SharedSamples {
  const buffer = new SharedArrayBuffer(t.size * 4);
  new Float32Array(buffer).set(tf.tidy(() => t.toFloat().dataSync() as Float32Array));
  return { buffer, shape: [...t.shape] };
}

/**
 * An absolute specifier, so each worker imports exactly what the parent meant: a path relative
 * to the working directory, or a package as the application (its working directory) resolves it.
 */
export function resolvePlugin(specifier: string): string {
  if (specifier.startsWith('.') || path.isAbsolute(specifier)) return pathToFileURL(path.resolve(specifier)).href;
  try {
    return pathToFileURL(createRequire(path.join(process.cwd(), 'package.json')).resolve(specifier)).href;
  } catch {
    return specifier; // a bare name the worker may still resolve (e.g. a dependency of this package)
  }
}

/** Resolves the loss here, and returns the plain JSON that will resolve to it in a worker. */
async function crossableLoss(spec: LossSpec, options: FitParallelOptions): Promise<SavedLossSpec> {
  const name = JSON.stringify(spec);
  if (options.container !== undefined) {
    throw new NonCrossableLossError(`fitParallel: loss ${name} gets its dependencies from an in-memory DI container, which cannot `
      + 'cross to a worker thread. Register them in a module instead (its top level calls container.register), and list that '
      + 'module in `plugins`: every worker imports it before resolving the loss.');
  }
  const resolved = await getLossRegistry().resolveAsync(spec);
  try {
    const saved = resolved.spec;
    if (JSON.stringify(JSON.parse(JSON.stringify(saved))) !== JSON.stringify(saved)) {
      throw new NonCrossableLossError(`fitParallel: the options of loss ${name} are not plain JSON, so they cannot cross to a worker`);
    }
    return saved;
  } finally {
    resolved.dispose();
  }
}

/** One spec (and weight) per output, checked against the model. */
function perOutput(model: tf.LayersModel, ys: tf.Tensor[], options: FitParallelOptions): { specs: LossSpec[]; weights: number[] } {
  const outputs = model.outputs.length;
  if (ys.length !== outputs) {
    throw new ParallelFitError(`fitParallel: the model has ${outputs} output${outputs === 1 ? '' : 's'} but y holds ${ys.length} target array${ys.length === 1 ? '' : 's'}; pass one per output`);
  }
  const specs = Array.isArray(options.loss) ? [...(options.loss as LossSpec[])] : Array.from({ length: outputs }, () => options.loss as LossSpec);
  const weights = options.lossWeights ? [...options.lossWeights] : specs.map(() => 1);
  if (specs.length !== outputs || weights.length !== outputs || weights.some((w) => typeof w !== 'number' || !Number.isFinite(w))) {
    throw new ParallelFitError(`fitParallel: ${outputs} outputs need ${outputs} losses and ${outputs} finite lossWeights; got ${specs.length} and [${weights.join(', ')}]`);
  }
  return { specs, weights };
}

export async function fitParallel(model: tf.LayersModel, x: tf.Tensor, y: tf.Tensor | readonly tf.Tensor[], options: FitParallelOptions): Promise<ParallelHistory> {
  checkKeys(options);
  const epochs = checkPositiveInteger('epochs', options.epochs);
  const batchSize = checkPositiveInteger('batchSize', options.batchSize);
  const ys = Array.isArray(y) ? [...(y as tf.Tensor[])] : [y as tf.Tensor];
  const samples = x.shape[0]!;
  if (ys.some((t) => t.shape[0] !== samples) || (options.sampleWeight && options.sampleWeight.shape.join() !== String(samples))) {
    throw new ParallelFitError(`fitParallel: x has ${samples} samples, y [${ys.map((t) => t.shape[0]).join(', ')}]`
      + `${options.sampleWeight ? `, sampleWeight shape [${options.sampleWeight.shape}] (expected [${samples}])` : ''}; they must agree`);
  }
  const { specs, weights: lossWeights } = perOutput(model, ys, options);
  const { count: workers, why } = chooseWorkers(options.workers, batchSize);
  const plugins = (options.plugins ?? []).map(resolvePlugin);
  for (const plugin of plugins) await import(plugin);
  const losses: SavedLossSpec[] = [];
  for (const spec of specs) losses.push(await crossableLoss(spec, options));
  options.logger?.(`[losskit] parallel fit: ${workers} worker${workers === 1 ? '' : 's'}, each on its own wasm backend (${why})`);

  const params = model.trainableWeights.reduce((s, w) => s + w.read().size, 0);
  const shared = allocateShared(workers, params);
  const base = {
    workers, modelTopology: model.toJSON(null, false), losses, lossWeights, plugins, batchSize, epochs, shared, params,
    weights: model.getWeights().map((w) => w.dataSync() as Float32Array),
    optimizer: { className: options.optimizer.getClassName(), config: options.optimizer.getConfig() as Record<string, unknown> },
    ...(options.optimizerState ? { optimizerState: [...options.optimizerState] } : {}),
    x: toShared(x), y: ys.map(toShared),
    ...(options.sampleWeight ? { sampleWeight: toShared(options.sampleWeight) } : {}),
  };
  const threads = Array.from({ length: workers }, (_, index) =>
    new Worker(WORKER_URL, { workerData: { ...base, index } satisfies ReplicaSetup }));
  const result = await supervise(threads, new Int32Array(shared.control), options);
  const shapes = model.getWeights().map((w) => w.shape);
  tf.tidy(() => model.setWeights(result.weights.map((w, i) => tf.tensor(w, shapes[i]))));
  return { loss: result.losses, workers, timing: result.timing, optimizerState: result.optimizerState };
}

/** Waits for every replica; on the first failure aborts the rest, ends every thread, and throws. */
function supervise(threads: Worker[], control: Int32Array, options: FitParallelOptions): Promise<{ losses: number[]; weights: Float32Array[]; timing: ReplicaTiming; optimizerState: NamedValues[] }> {
  const workers = threads.length;
  return new Promise((resolve, reject) => {
    let done: { losses: number[]; weights: Float32Array[]; timing: ReplicaTiming; optimizerState: NamedValues[] } | undefined;
    let failure: Error | undefined;
    let exited = 0;
    const fail = (error: Error, secondary: boolean) => {
      if (failure === undefined || (failure.name === 'ReplicaAborted' && !secondary)) failure = error;
      abortAll(control);
      // A replica that stopped because another failed ends by itself; ending every thread now
      // could drop the failing replica's own message, and the error would name the wrong one.
      if (!secondary) for (const t of threads) void t.terminate();
    };
    threads.forEach((thread, index) => {
      let finished = false;
      thread.on('message', (m: ReplicaMessage) => {
        if (m.type === 'epoch') options.onEpochEnd?.(m.epoch, m.loss);
        else if (m.type === 'done') { finished = true; if (index === 0) done = m; }
        else if (m.type === 'error') {
          finished = true;
          const error = m.where === 'resolving the loss'
            ? new NonCrossableLossError(`fitParallel: worker ${index} could not resolve the loss: ${m.name}: ${m.message}. A loss registered `
              + 'in this process only (registerLossFunction, or a class defined in the calling script) does not exist in a worker: '
              + 'put the registration in a module and list it in `plugins`.')
            : Object.assign(new ReplicaFailedError(index, workers, m.where, m.name, m.message), m.name === 'ReplicaAborted' ? { name: 'ReplicaAborted' } : {});
          fail(error, m.name === 'ReplicaAborted');
        }
      });
      thread.on('error', (e) => fail(new ReplicaFailedError(index, workers, 'an uncaught error', e.name, e.message), false));
      thread.on('exit', (code) => {
        if (!finished && failure === undefined) fail(new ReplicaFailedError(index, workers, 'exit', 'WorkerExit', `its thread exited with code ${code}`), false);
        if (++exited < workers) return;
        // settle only once every thread is torn down (terminate resolves when its thread is gone)
        void Promise.all(threads.map((t) => t.terminate())).then(() => {
          if (failure !== undefined) reject(failure.name === 'ReplicaAborted' ? Object.assign(failure, { name: 'ReplicaFailedError' }) : failure);
          else if (done !== undefined) resolve(done);
          else reject(new ParallelFitError('fitParallel: the workers ended without a result'));
        });
      });
    });
  });
}
