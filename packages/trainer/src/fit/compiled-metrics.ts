import * as tf from '@tensorflow/tfjs';
import { getLossRegistry, getMetricRegistry, resolveMetricAsync, UnknownMetricError as UnknownRegisteredMetricError, type Metric as CoreMetric, type MetricSpec } from '@losskit/core';
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
export type Metric = CoreMetric;

/** One metric on one output, under its history key. */
export interface OutputMetric {
  outputIndex: number;
  /** The string the user passed (one output), or `<output>_<string>` on a multi-output model. */
  key: string;
  metric: Metric;
}

/**
 * Metrics per output: names ('accuracy', 'auc') or `{ name, options }` specs of registered
 * metrics; an output left out of a keyed object gets none.
 */
export type MetricsOption = PerOutput<readonly MetricSpec[]>;

type PerSample = (yTrue: tf.Tensor, yPred: tf.Tensor) => tf.Tensor;

// The metric strings `model.compile({ metrics })` accepts (tfjs-layers metrics.ts), except
// 'precision' and 'recall': TF.js counts a positive only where the prediction is exactly 1, so
// those resolve to the registered metrics with Keras 3's threshold (0.5). A Map, so names such
// as 'constructor' are ordinary unknown names.
const TFJS_METRICS = new Map<string, PerSample>([
  ['binaryAccuracy', tf.metrics.binaryAccuracy],
  ['categoricalAccuracy', tf.metrics.categoricalAccuracy],
  ['sparseCategoricalAccuracy', tf.metrics.sparseCategoricalAccuracy],
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
    const isList = (value: unknown): value is readonly MetricSpec[] => Array.isArray(value) && value.every(isMetricSpec);
    if (typeof option === 'string') throw new TrainerInputError(`metrics: give a list of names, e.g. metrics: ['${option}'].`);
    const perOut = perOutput<readonly MetricSpec[]>(model, option as never, isList, 'metrics', { value: [] });
    const multi = model.outputNames.length > 1;
    const taken = new Set(loss.keys);
    const built: OutputMetric[] = [];
    try {
      for (const [i, names] of perOut.entries()) {
        if (!isList(names)) throw new TrainerInputError(`metrics for output '${model.outputNames[i]}' must be a list of names or { name, options } specs, e.g. ['mae', { name: 'auc', options: { curve: 'PR' } }].`);
        for (const spec of names) {
          const name = typeof spec === 'string' ? spec : spec.name;
          const key = multi ? `${model.outputNames[i]}_${name}` : name;
          if (taken.has(key)) throw new TrainerInputError(`metrics: '${key}' is logged already (a loss value or the same metric twice); list each metric once.`);
          taken.add(key);
          built.push({ outputIndex: i, key, metric: await metricFor(model, i, spec, loss, plugins) });
        }
      }
    } catch (error) {
      for (const m of built) m.metric.dispose();
      throw error;
    }
    return new CompiledMetrics(built);
  }

  /**
   * Metrics are unweighted, as Keras's `metrics` (its `weighted_metrics` would pass the weights).
   * In a tidy on every path (fit, evaluate, workers): a metric's state is what it `tf.keep`s, so
   * an intermediate it forgets, or leaves behind when it throws, is freed here.
   */
  update(ys: readonly tf.Tensor[], preds: readonly tf.Tensor[]): void {
    tf.tidy(() => {
      for (const { outputIndex, metric } of this.metrics) metric.update(ys[outputIndex]!, preds[outputIndex]!);
    });
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

async function metricFor(model: tf.LayersModel, outputIndex: number, spec: MetricSpec, loss: CompiledLoss, plugins: readonly string[] | undefined): Promise<Metric> {
  if (typeof spec === 'string') {
    if (ACCURACY.includes(spec)) return meanMetric(accuracyFor(model, outputIndex, loss));
    const tfjs = TFJS_METRICS.get(spec);
    if (tfjs) return meanMetric(tfjs);
  }
  // Registered metrics (Keras 3's, third parties'), then any loss as the mean of its per-sample values.
  try {
    return await resolveMetricAsync(spec, plugins ? { plugins } : {});
  } catch (error) {
    if (!(error instanceof UnknownRegisteredMetricError)) throw error;
    const name = error.metricName;
    const known = [...ACCURACY, ...TFJS_METRICS.keys()];
    const registered = getMetricRegistry().list();
    throw new UnknownMetricError(
      `Unknown metric '${name}'${didYouMean(name, [...known, ...registered, ...getLossRegistry().list()])}. A metric is a TF.js metric name ` +
        `(${known.join(', ')}), a registered metric (${registered.join(', ')}) or a registered loss name (${getLossRegistry().list().join(', ')}).`,
    );
  }
}

function isMetricSpec(value: unknown): value is MetricSpec {
  return typeof value === 'string' || (typeof value === 'object' && value !== null && !Array.isArray(value) && typeof (value as { name?: unknown }).name === 'string');
}

function accuracyFor(model: tf.LayersModel, outputIndex: number, loss: CompiledLoss): PerSample {
  const shape = model.outputs[outputIndex]!.shape;
  const name = loss.lossOf(outputIndex)?.name;
  if (shape[shape.length - 1] === 1 || name === 'binary-crossentropy') return tf.metrics.binaryAccuracy;
  if (name === 'sparse-categorical-crossentropy') return tf.metrics.sparseCategoricalAccuracy;
  return tf.metrics.categoricalAccuracy;
}
