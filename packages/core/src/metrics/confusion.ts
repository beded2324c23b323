import * as tf from '@tensorflow/tfjs';
import { MetricInputError } from './errors.js';
import { sameRank } from './shapes.js';

/** Keras's `NEG_INF`: what `top_k` filtering gives the predictions outside the top k. */
export const NEG_INF = -1e10;

export interface ConfusionOptions {
  thresholds: readonly number[];
  topK?: number | undefined;
  classId?: number | undefined;
}

export interface ConfusionCounts {
  tp: tf.Tensor1D;
  fp: tf.Tensor1D;
  tn: tf.Tensor1D;
  fn: tf.Tensor1D;
}

/**
 * Keras 3's `update_confusion_matrix_variables` (not multi-label): for each threshold, the
 * weighted counts of (label, prediction > threshold) over every element of the batch.
 * Returns new tensors of shape [thresholds]; runs inside the caller's tidy.
 */
export function confusionCounts(metric: string, yTrue: tf.Tensor, yPred: tf.Tensor, sampleWeight: tf.Tensor | undefined, options: ConfusionOptions): ConfusionCounts {
  let [pred, labels] = sameRank(tf.cast(yPred, 'float32'), tf.cast(yTrue, 'float32'));
  let weight: tf.Tensor | undefined;
  if (sampleWeight !== undefined) {
    [, weight] = sameRank(labels, tf.expandDims(tf.cast(sampleWeight, 'float32'), -1), false);
  }
  if (options.topK !== undefined) pred = filterTopK(pred, options.topK);
  if (options.classId !== undefined) {
    if (pred.rank === 1) {
      throw new MetricInputError(`Metric '${metric}': classId needs predictions of shape [samples, classes]; got [${pred.shape}].`);
    }
    const classes = pred.shape[pred.rank - 1]!;
    if (options.classId >= classes) {
      throw new MetricInputError(`Metric '${metric}': classId ${options.classId} is outside the ${classes} classes of the predictions.`);
    }
    const slice = (x: tf.Tensor) => tf.slice(x, [...x.shape.slice(0, -1).map(() => 0), options.classId!], [...x.shape.slice(0, -1), 1]);
    labels = slice(labels);
    pred = slice(pred);
  }
  const flatPred = tf.reshape(pred, [1, -1]);
  const labelPos = tf.reshape(tf.cast(tf.notEqual(labels, 0), 'float32'), [1, -1]);
  const labelNeg = tf.sub(1, labelPos);
  const thresholds = tf.tensor2d([...options.thresholds], [options.thresholds.length, 1], 'float32');
  const predPos = tf.cast(tf.greater(flatPred, thresholds), 'float32');
  const predNeg = tf.sub(1, predPos);
  const w = weight === undefined ? undefined : tf.reshape(tf.broadcastTo(weight, pred.shape), [1, -1]);
  const count = (label: tf.Tensor, predicted: tf.Tensor) => tf.sum(w === undefined ? tf.mul(label, predicted) : tf.mul(tf.mul(label, predicted), w), 1) as tf.Tensor1D;
  return { tp: count(labelPos, predPos), fp: count(labelNeg, predPos), tn: count(labelNeg, predNeg), fn: count(labelPos, predNeg) };
}

/** Keras's `_filter_top_k`: predictions outside each row's top k become NEG_INF. */
function filterTopK(x: tf.Tensor, k: number): tf.Tensor {
  const classes = x.shape[x.rank - 1]!;
  const { indices } = tf.topk(x, Math.min(k, classes));
  const mask = tf.sum(tf.oneHot(indices, classes), -2);
  return tf.add(tf.mul(x, mask), tf.mul(NEG_INF, tf.sub(1, mask)));
}
