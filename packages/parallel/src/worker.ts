/**
 * One replica (runs in a worker thread): its own single-threaded wasm backend, the model rebuilt
 * from JSON, the loss re-resolved by name. Each step it computes the gradient of its slice of the
 * batch, meets the others at the barrier to sum gradients in a fixed order, and applies the same
 * update as every other replica.
 */
import { parentPort, workerData } from 'node:worker_threads';
import * as tf from '@tensorflow/tfjs';
import '@losskit/wasm-training';
import { getLossRegistry, type ResolvedLoss } from '@losskit/core';
import type { ReplicaMessage, ReplicaSetup, SharedSamples } from './protocol.js';
import { abortAll, barrier, reduceChunk, ReplicaAborted, sliceOf } from './shared.js';

const setup = workerData as ReplicaSetup;
const post = (message: ReplicaMessage) => parentPort!.postMessage(message);
let where = 'setup';

function rows(samples: SharedSamples, start: number, count: number): tf.Tensor {
  const rowSize = samples.shape.slice(1).reduce((p, v) => p * v, 1);
  const data = new Float32Array(samples.buffer, start * rowSize * 4, count * rowSize);
  return tf.tensor(data, [count, ...samples.shape.slice(1)]);
}

function buildOptimizer(): tf.Optimizer {
  const entry = tf.serialization.SerializationMap.getMap().classNameMap[setup.optimizer.className];
  if (entry === undefined) throw new Error(`optimizer class '${setup.optimizer.className}' is not registered in the worker`);
  const [cls, fromConfig] = entry;
  return fromConfig(cls, setup.optimizer.config as tf.serialization.ConfigDict) as tf.Optimizer;
}

async function buildModel(): Promise<tf.LayersModel> {
  const model = await tf.models.modelFromJSON(setup.modelTopology as tf.io.ModelJSON['modelTopology'] as never);
  const shapes = model.getWeights().map((w) => w.shape);
  tf.tidy(() => model.setWeights(setup.weights.map((w, i) => tf.tensor(w, shapes[i]))));
  return model;
}

/** Σ of the batch's sample weights (all replicas compute the same number from shared data). */
function weightSum(start: number, size: number): number {
  if (setup.sampleWeight === undefined) return size;
  const w = new Float32Array(setup.sampleWeight.buffer, start * 4, size);
  let total = 0;
  for (let i = 0; i < size; i++) total += w[i]!;
  return total;
}

/** This replica's share of one output's batch loss, reduced as the loss says over the whole batch. */
function outputShare(loss: ResolvedLoss, ys: tf.Tensor, pred: tf.Tensor, sw: tf.Tensor | undefined,
  batchStart: number, batchSize: number): tf.Scalar {
  const values = loss.perSample(ys, pred);
  const rowElems = values.size / pred.shape[0]!;
  const weighted = sw === undefined ? values : tf.mul(values, sw.reshape([sw.size, ...values.shape.slice(1).map(() => 1)]));
  const total = tf.sum(weighted);
  switch (loss.reduction) {
    case 'sum': return total as tf.Scalar;
    case 'mean_with_sample_weight': {
      const denominator = weightSum(batchStart, batchSize) * rowElems;
      return (denominator === 0 ? tf.mul(total, 0) : tf.div(total, denominator)) as tf.Scalar;
    }
    default: return tf.div(total, batchSize * rowElems) as tf.Scalar;
  }
}

/** The replica's share of the total loss: Σ over outputs of lossWeight × that output's share. */
function sliceLoss(losses: ResolvedLoss[], model: tf.LayersModel, xs: tf.Tensor, ys: tf.Tensor[],
  sw: tf.Tensor | undefined, batchStart: number, batchSize: number): tf.Scalar {
  const out = model.apply(xs, { training: true });
  const preds = (Array.isArray(out) ? out : [out]) as tf.Tensor[];
  return tf.addN(preds.map((pred, o) =>
    tf.mul(outputShare(losses[o]!, ys[o]!, pred, sw, batchStart, batchSize), setup.lossWeights[o]!))) as tf.Scalar;
}

async function main(): Promise<void> {
  await tf.setBackend('wasm');
  for (const plugin of setup.plugins) await import(plugin);
  where = 'resolving the loss';
  const lossFns: ResolvedLoss[] = [];
  for (const spec of setup.losses) lossFns.push(await getLossRegistry().resolveAsync(spec));
  const model = await buildModel();
  const optimizer = buildOptimizer();
  if (setup.optimizerState !== undefined) {
    // slot variables are matched by position (the gradients' order, which is vars' order)
    await optimizer.setWeights(setup.optimizerState.map((s) => ({ name: s.name, tensor: tf.tensor(s.values, s.shape) })));
  }
  const vars = model.trainableWeights.map((w) => (w as unknown as { val: tf.Variable }).val);
  const control = new Int32Array(setup.shared.control);
  const slots = new Float32Array(setup.shared.slots);
  const sum = new Float32Array(setup.shared.sum);
  const losses = new Float64Array(setup.shared.losses);
  const mySlot = slots.subarray(setup.index * setup.params, (setup.index + 1) * setup.params);
  const samples = setup.x.shape[0]!;
  const epochLosses: number[] = [];
  // where the time goes (ms): own gradient, waiting at barriers, summing and applying
  const timing = { gradient: 0, wait: 0, exchange: 0 };
  let mark = performance.now();
  const lap = (key: keyof typeof timing) => { const now = performance.now(); timing[key] += now - mark; mark = now; };
  post({ type: 'ready' });
  for (let epoch = 0; epoch < setup.epochs; epoch++) {
    let weightedLoss = 0;
    for (let batchStart = 0, batch = 0; batchStart < samples; batchStart += setup.batchSize, batch++) {
      where = `epoch ${epoch + 1}, batch ${batch + 1}`;
      const size = Math.min(setup.batchSize, samples - batchStart);
      const [s, e] = sliceOf(size, setup.workers, setup.index);
      if (e > s) {
        tf.tidy(() => {
          const xs = rows(setup.x, batchStart + s, e - s);
          const ys = setup.y.map((target) => rows(target, batchStart + s, e - s));
          const sw = setup.sampleWeight === undefined ? undefined : rows(setup.sampleWeight, batchStart + s, e - s);
          const { value, grads } = tf.variableGrads(() => sliceLoss(lossFns, model, xs, ys, sw, batchStart, size), vars);
          let offset = 0;
          for (const v of vars) {
            mySlot.set(grads[v.name]!.dataSync() as Float32Array, offset);
            offset += v.size;
          }
          losses[setup.index] = value.dataSync()[0]!;
        });
      } else {
        mySlot.fill(0);
        losses[setup.index] = 0;
      }
      lap('gradient');
      barrier(control, setup.workers);
      lap('wait');
      let batchLoss = 0;
      for (let w = 0; w < setup.workers; w++) batchLoss += losses[w]!;
      reduceChunk(slots, sum, setup.workers, setup.index);
      lap('exchange');
      barrier(control, setup.workers);
      lap('wait');
      tf.tidy(() => {
        let offset = 0;
        const named: Record<string, tf.Tensor> = {};
        for (const v of vars) {
          named[v.name] = tf.tensor(sum.subarray(offset, offset + v.size), v.shape);
          offset += v.size;
        }
        optimizer.applyGradients(named);
      });
      lap('exchange');
      weightedLoss += batchLoss * size;
    }
    epochLosses.push(weightedLoss / samples);
    if (setup.index === 0) post({ type: 'epoch', epoch, loss: weightedLoss / samples });
  }
  const optimizerState = (await optimizer.getWeights()).map((w) =>
    ({ name: w.name, shape: [...w.tensor.shape], values: w.tensor.dataSync() as Float32Array }));
  post({ type: 'done', losses: epochLosses, timing, optimizerState, weights: model.getWeights().map((w) => w.dataSync() as Float32Array) });
}

main().catch((error: unknown) => {
  if (error instanceof ReplicaAborted) {
    post({ type: 'error', name: error.name, message: error.message, where });
    return;
  }
  // The error first, then wake the replicas waiting for this one at the barrier, so they stop
  // too: the parent hears of the failure before it hears of the replicas it stopped.
  const e = error instanceof Error ? error : new Error(String(error));
  post({ type: 'error', name: e.name, message: e.message, where });
  abortAll(new Int32Array(setup.shared.control));
});
