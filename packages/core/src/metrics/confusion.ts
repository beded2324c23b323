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

/** Weighted counts per threshold, in the order the thresholds were given. */
export interface ConfusionCounts {
  tp: Float64Array;
  fp: Float64Array;
  tn: Float64Array;
  fn: Float64Array;
}

/**
 * Keras 3's `update_confusion_matrix_variables` (not multi-label): for each threshold, the
 * weighted counts of (label, prediction > threshold) over every element of the batch.
 *
 * Shapes, top-k and class selection are tensor ops over the batch; the counting itself reads the
 * batch's labels, predictions and weights once and sorts each element into the interval of
 * thresholds it falls in, O(elements x log(thresholds)). The tensor form Keras writes compares a
 * [thresholds, elements] grid: with 200 thresholds that took 200 ms per batch of 128 x 10 on
 * TF.js's cpu and wasm backends (their broadcasting comparisons are slow), against well under
 * a millisecond here.
 */
export function confusionCounts(metric: string, yTrue: tf.Tensor, yPred: tf.Tensor, sampleWeight: tf.Tensor | undefined, options: ConfusionOptions): ConfusionCounts {
  const [pred, labels, weights] = tf.tidy(() => {
    let [p, l] = sameRank(tf.cast(yPred, 'float32'), tf.cast(yTrue, 'float32'));
    let w: tf.Tensor | undefined;
    if (sampleWeight !== undefined) [, w] = sameRank(l, tf.expandDims(tf.cast(sampleWeight, 'float32'), -1), false);
    if (options.topK !== undefined) p = filterTopK(p, options.topK);
    if (options.classId !== undefined) {
      if (p.rank === 1) throw new MetricInputError(`Metric '${metric}': classId needs predictions of shape [samples, classes]; got [${p.shape}].`);
      const classes = p.shape[p.rank - 1]!;
      if (options.classId >= classes) throw new MetricInputError(`Metric '${metric}': classId ${options.classId} is outside the ${classes} classes of the predictions.`);
      const slice = (x: tf.Tensor) => tf.slice(x, [...x.shape.slice(0, -1).map(() => 0), options.classId!], [...x.shape.slice(0, -1), 1]);
      l = slice(l);
      p = slice(p);
    }
    const flatWeights = w === undefined ? undefined : tf.reshape(tf.broadcastTo(w, p.shape), [-1]);
    return [tf.reshape(p, [-1]), tf.reshape(tf.broadcastTo(l, p.shape), [-1]), flatWeights] as const;
  });
  try {
    return countByThreshold(pred.dataSync() as Float32Array, labels.dataSync() as Float32Array, weights?.dataSync() as Float32Array | undefined, options.thresholds);
  } finally {
    tf.dispose([pred, labels, ...(weights ? [weights] : [])]);
  }
}

function countByThreshold(pred: Float32Array, labels: Float32Array, weights: Float32Array | undefined, thresholds: readonly number[]): ConfusionCounts {
  const order = thresholds.map((_, i) => i).sort((a, b) => thresholds[a]! - thresholds[b]!);
  // Thresholds as float32, as Keras compares them in the variables' dtype.
  const sorted = Float32Array.from(order.map((i) => thresholds[i]!));
  const t = sorted.length;
  // hist[k]: weight of the elements above exactly the k smallest thresholds.
  const positive = new Float64Array(t + 1);
  const negative = new Float64Array(t + 1);
  for (let i = 0; i < pred.length; i++) {
    const p = pred[i]!;
    let lo = 0;
    let hi = t;
    // The number of thresholds strictly below p (NaN is above none).
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (p > sorted[mid]!) lo = mid + 1;
      else hi = mid;
    }
    const w = weights ? weights[i]! : 1;
    if (labels[i] !== 0) positive[lo]! += w;
    else negative[lo]! += w;
  }
  const counts: ConfusionCounts = { tp: new Float64Array(t), fp: new Float64Array(t), tn: new Float64Array(t), fn: new Float64Array(t) };
  let below = 0;
  let belowNeg = 0;
  let totalPos = 0;
  let totalNeg = 0;
  for (let k = 0; k <= t; k++) {
    totalPos += positive[k]!;
    totalNeg += negative[k]!;
  }
  for (let j = 0; j < t; j++) {
    // Sorted threshold j predicts positive for the elements above at least j + 1 thresholds.
    below += positive[j]!;
    belowNeg += negative[j]!;
    const at = order[j]!;
    counts.fn[at] = below;
    counts.tn[at] = belowNeg;
    counts.tp[at] = totalPos - below;
    counts.fp[at] = totalNeg - belowNeg;
  }
  return counts;
}

/** Keras's `_filter_top_k`: predictions outside each row's top k become NEG_INF. */
function filterTopK(x: tf.Tensor, k: number): tf.Tensor {
  const classes = x.shape[x.rank - 1]!;
  const { indices } = tf.topk(x, Math.min(k, classes));
  const mask = tf.sum(tf.oneHot(indices, classes), -2);
  return tf.add(tf.mul(x, mask), tf.mul(NEG_INF, tf.sub(1, mask)));
}
