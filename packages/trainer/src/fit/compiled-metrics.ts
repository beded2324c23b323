import * as tf from '@tensorflow/tfjs';
import { getLossRegistry, UnknownLossError } from '@losskit/core';
import { TrainerInputError, UnknownMetricError } from '../errors.js';
import { didYouMean } from '../options/strict.js';
import type { CompiledLoss } from './compiled-loss.js';
import { perOutput, type PerOutput } from './outputs.js';

/**
 * A stateful metric, as Keras 3 has them: `update` accumulates a batch, `result` is the value
 * over everything accumulated since `reset` (the trainer resets at the start of each epoch and
 * of each evaluation, reads `result` at the end), `dispose` frees its state.
 *
 * This is the whole contract between the training loop and a metric: anything implementing it
 * (accuracy with a threshold, precision, AUC, ...) can be returned by `metricFor` below.
 * `update` runs outside the gradient tape and must not dispose its inputs; tensors it keeps are
 * its own (`tf.keep`); `result` returns a new scalar the caller disposes.
 */
export interface Metric {
  update(yTrue: tf.Tensor, yPred: tf.Tensor, sampleWeight?: tf.Tensor): void;
  result(): tf.Scalar;
  reset(): void;
  dispose(): void;
}

/** One metric on one output, under its history key. */
export interface OutputMetric {
  outputIndex: number;
  /** The string the user passed (one output), or `<output>_<string>` on a multi-output model. */
  key: string;
  metric: Metric;
}

/** Metric names per output; an output left out of a keyed object gets none. */
export type MetricsOption = PerOutput<readonly string[]>;

type PerSample = (yTrue: tf.Tensor, yPred: tf.Tensor) => tf.Tensor;

// The metric strings `model.compile({ metrics })` accepts (tfjs-layers metrics.ts). A Map, so
// names such as 'constructor' are ordinary unknown names.
const TFJS_METRICS = new Map<string, PerSample>([
  ['binaryAccuracy', tf.metrics.binaryAccuracy],
  ['categoricalAccuracy', tf.metrics.categoricalAccuracy],
  ['sparseCategoricalAccuracy', tf.metrics.sparseCategoricalAccuracy],
  ['precision', tf.metrics.precision],
  ['recall', tf.metrics.recall],
  ['binaryCrossentropy', tf.metrics.binaryCrossentropy],
  ['categoricalCrossentropy', tf.metrics.categoricalCrossentropy],
  ...(['mse', 'MSE', 'meanSquaredError'] as const).map((n) => [n, tf.metrics.meanSquaredError] as const),
  ...(['mae', 'MAE', 'meanAbsoluteError'] as const).map((n) => [n, tf.metrics.meanAbsoluteError] as const),
  ...(['mape', 'MAPE', 'meanAbsolutePercentageError'] as const).map((n) => [n, tf.metrics.meanAbsolutePercentageError] as const),
  ['cosine', tf.metrics.cosineProximity],
  ['cosineProximity', tf.metrics.cosineProximity],
]);
const ACCURACY = ['accuracy', 'acc'];

/**
 * The mean of a per-sample function over every sample (and element) seen since `reset`,
 * weighted by `sampleWeight` when given: Keras's MeanMetricWrapper. The running sums stay on
 * the device; nothing is read until `result`.
 */
export function meanMetric(perSample: PerSample): Metric {
  let total: tf.Scalar | undefined;
  let count: tf.Scalar | number = 0;
  const replace = (next: tf.Scalar) => {
    total?.dispose();
    total = tf.keep(next);
  };
  return {
    update(yTrue, yPred, sampleWeight) {
      tf.tidy(() => {
        const values = perSample(yTrue, yPred);
        if (!sampleWeight) {
          replace(total ? tf.add(total, tf.sum(values)) : tf.sum(values));
          if (typeof count === 'number') count += values.size;
          else count = keepReplacing(count, tf.add(count, values.size));
          return;
        }
        let w = tf.cast(sampleWeight, 'float32');
        while (w.rank < values.rank) w = tf.expandDims(w, -1);
        w = tf.broadcastTo(w, values.shape);
        replace(total ? tf.add(total, tf.sum(tf.mul(values, w))) : tf.sum(tf.mul(values, w)));
        count = keepReplacing(count, tf.add(count, tf.sum(w)));
      });
    },
    result() {
      if (!total) return tf.scalar(NaN);
      return tf.tidy(() => tf.div(total!, count)) as tf.Scalar;
    },
    reset() {
      total?.dispose();
      total = undefined;
      if (typeof count !== 'number') count.dispose();
      count = 0;
    },
    dispose() {
      this.reset();
    },
  };
}

function keepReplacing(old: tf.Scalar | number, next: tf.Tensor): tf.Scalar {
  if (typeof old !== 'number') old.dispose();
  return tf.keep(next) as tf.Scalar;
}

/** The metrics of a trainer: built once per set-up from the `metrics` option. */
export class CompiledMetrics {
  private constructor(readonly metrics: readonly OutputMetric[]) {}

  get keys(): string[] {
    return this.metrics.map((m) => m.key);
  }

  /**
   * TF.js metric strings first ('accuracy' picks binary, sparse or categorical accuracy from the
   * output and its loss, as TF.js does), then losskit loss names (any registered loss).
   */
  static async compile(model: tf.LayersModel, option: MetricsOption | undefined, loss: CompiledLoss, plugins: readonly string[] | undefined): Promise<CompiledMetrics> {
    if (option === undefined) return new CompiledMetrics([]);
    const isList = (value: unknown): value is readonly string[] => Array.isArray(value) && value.every((item) => typeof item === 'string');
    if (typeof option === 'string') throw new TrainerInputError(`metrics: give a list of names, e.g. metrics: ['${option}'].`);
    const perOut = perOutput<readonly string[]>(model, option as never, isList, 'metrics', { value: [] });
    const multi = model.outputNames.length > 1;
    const taken = new Set(loss.keys);
    const built: OutputMetric[] = [];
    try {
      for (const [i, names] of perOut.entries()) {
        if (!isList(names)) throw new TrainerInputError(`metrics for output '${model.outputNames[i]}' must be a list of names, e.g. ['mae'].`);
        for (const name of names) {
          const key = multi ? `${model.outputNames[i]}_${name}` : name;
          if (taken.has(key)) throw new TrainerInputError(`metrics: '${key}' is logged already (a loss value or the same metric twice); list each metric once.`);
          taken.add(key);
          built.push({ outputIndex: i, key, metric: await metricFor(model, i, name, loss, plugins) });
        }
      }
    } catch (error) {
      for (const m of built) m.metric.dispose();
      throw error;
    }
    return new CompiledMetrics(built);
  }

  /** Metrics are unweighted, as Keras's `metrics` (its `weighted_metrics` would pass the weights). */
  update(ys: readonly tf.Tensor[], preds: readonly tf.Tensor[]): void {
    for (const { outputIndex, metric } of this.metrics) metric.update(ys[outputIndex]!, preds[outputIndex]!);
  }

  /** Every metric's result, read with one (asynchronous) transfer, in `keys` order. */
  async read(): Promise<number[]> {
    if (!this.metrics.length) return [];
    const row = tf.tidy(() => tf.stack(this.metrics.map((m) => m.metric.result())));
    try {
      return Array.from(await row.data());
    } finally {
      row.dispose();
    }
  }

  reset(): void {
    for (const m of this.metrics) m.metric.reset();
  }

  dispose(): void {
    for (const m of this.metrics) m.metric.dispose();
  }
}

async function metricFor(model: tf.LayersModel, outputIndex: number, name: string, loss: CompiledLoss, plugins: readonly string[] | undefined): Promise<Metric> {
  if (ACCURACY.includes(name)) return meanMetric(accuracyFor(model, outputIndex, loss));
  const tfjs = TFJS_METRICS.get(name);
  if (tfjs) return meanMetric(tfjs);
  let resolved;
  try {
    resolved = await getLossRegistry().resolve(name, { plugins });
  } catch (error) {
    if (!(error instanceof UnknownLossError)) throw error;
    const known = [...ACCURACY, ...TFJS_METRICS.keys()];
    throw new UnknownMetricError(
      `Unknown metric '${name}'${didYouMean(name, [...known, ...getLossRegistry().list()])}. A metric is a TF.js metric name ` +
        `(${known.join(', ')}) or a registered loss name (${getLossRegistry().list().join(', ')}).`,
    );
  }
  const metric = meanMetric((t, p) => resolved.perSample(t, p));
  return { ...metric, dispose: () => (metric.dispose(), resolved.dispose()) };
}

function accuracyFor(model: tf.LayersModel, outputIndex: number, loss: CompiledLoss): PerSample {
  const shape = model.outputs[outputIndex]!.shape;
  const name = loss.lossOf(outputIndex)?.name;
  if (shape[shape.length - 1] === 1 || name === 'binary-crossentropy') return tf.metrics.binaryAccuracy;
  if (name === 'sparse-categorical-crossentropy') return tf.metrics.sparseCategoricalAccuracy;
  return tf.metrics.categoricalAccuracy;
}
