import * as tf from '@tensorflow/tfjs';
import { getLossRegistry } from '@losskit/core';
import type { OutputLoss } from './losses.js';
import { perOutput, type PerOutput } from './outputs.js';

/** One metric on one output: a batch mean (sample weights are not applied, as in Keras `metrics`). */
export interface OutputMetric {
  outputIndex: number;
  key: string;
  compute(yTrue: tf.Tensor, yPred: tf.Tensor): tf.Scalar;
  dispose(): void;
}

export type MetricsOption = PerOutput<readonly string[]>;
type PerSample = (yTrue: tf.Tensor, yPred: tf.Tensor) => tf.Tensor;

// The metric strings `model.compile({ metrics })` accepts (tfjs-layers metrics.ts).
const TFJS_METRICS: Record<string, PerSample> = {
  binaryAccuracy: tf.metrics.binaryAccuracy,
  categoricalAccuracy: tf.metrics.categoricalAccuracy,
  sparseCategoricalAccuracy: tf.metrics.sparseCategoricalAccuracy,
  precision: tf.metrics.precision,
  recall: tf.metrics.recall,
  binaryCrossentropy: tf.metrics.binaryCrossentropy,
  categoricalCrossentropy: tf.metrics.categoricalCrossentropy,
  mse: tf.metrics.meanSquaredError, MSE: tf.metrics.meanSquaredError, meanSquaredError: tf.metrics.meanSquaredError,
  mae: tf.metrics.meanAbsoluteError, MAE: tf.metrics.meanAbsoluteError, meanAbsoluteError: tf.metrics.meanAbsoluteError,
  mape: tf.metrics.meanAbsolutePercentageError, MAPE: tf.metrics.meanAbsolutePercentageError,
  meanAbsolutePercentageError: tf.metrics.meanAbsolutePercentageError,
  cosine: tf.metrics.cosineProximity, cosineProximity: tf.metrics.cosineProximity,
};

const isMetricList = (value: unknown): value is readonly string[] =>
  Array.isArray(value) && value.every((item) => typeof item === 'string');

/**
 * Builds metric functions: TF.js metric strings first ('accuracy' picks binary, sparse or
 * categorical accuracy from the output and its loss, as TF.js does), then losskit loss names.
 */
export async function resolveMetrics(
  model: tf.LayersModel,
  metrics: MetricsOption | undefined,
  losses: readonly OutputLoss[],
  plugins: readonly string[] | undefined,
): Promise<OutputMetric[]> {
  if (metrics === undefined) return [];
  const perOut = perOutput<readonly string[]>(model, metrics as never, isMetricList, 'metrics');
  const multi = model.outputNames.length > 1;
  const taken = new Set(['loss', ...losses.flatMap((l) => [l.key, ...l.partKeys])]);
  const result: OutputMetric[] = [];
  for (const [i, names] of perOut.entries()) {
    for (const name of names) {
      let key = multi ? `${model.outputNames[i]}/${name}` : name;
      // A metric named like a loss term (loss 'mse', metric 'mse') must not overwrite its log.
      if (taken.has(key)) key = `${key}_metric`;
      taken.add(key);
      result.push(await buildMetric(model, i, key, name, losses[i]!, plugins));
    }
  }
  return result;
}

async function buildMetric(
  model: tf.LayersModel,
  outputIndex: number,
  key: string,
  name: string,
  loss: OutputLoss,
  plugins: readonly string[] | undefined,
): Promise<OutputMetric> {
  const fn = name === 'accuracy' || name === 'acc' ? accuracyFor(model, outputIndex, loss) : TFJS_METRICS[name];
  if (fn) return { outputIndex, key, compute: (t, p) => tf.mean(fn(t, p)) as tf.Scalar, dispose: () => {} };
  const resolved = await getLossRegistry().resolve(name, { plugins });
  return {
    outputIndex,
    key,
    compute: (t, p) => tf.mean(resolved.perSample(t, p)) as tf.Scalar,
    dispose: () => resolved.dispose(),
  };
}

function accuracyFor(model: tf.LayersModel, outputIndex: number, loss: OutputLoss): PerSample {
  const shape = model.outputs[outputIndex]!.shape;
  if (shape[shape.length - 1] === 1 || loss.loss.name === 'binary-crossentropy') return tf.metrics.binaryAccuracy;
  if (loss.loss.name === 'sparse-categorical-crossentropy') return tf.metrics.sparseCategoricalAccuracy;
  return tf.metrics.categoricalAccuracy;
}
