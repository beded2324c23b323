import * as tf from '@tensorflow/tfjs';
import type { Metric } from './metric.js';
import { axesFrom, sameRank } from './shapes.js';
import { StatefulMetric } from './state.js';

/** Per-sample (or per-element) values of one batch, like Keras's metric functions. */
export type MetricFn = (yTrue: tf.Tensor, yPred: tf.Tensor) => tf.Tensor;

/**
 * Keras 3's `MeanMetricWrapper`: the weighted mean of `fn`'s values over every batch since the
 * last reset. Sample weights as Keras's `reduce_to_samplewise_values`: values are averaged down
 * to the weight's rank, multiplied by the (broadcast) weights, and the count is the weights' sum.
 */
export class MeanMetric extends StatefulMetric<'total' | 'count'> implements Metric {
  constructor(readonly name: string, private readonly fn: MetricFn) {
    super(name, { total: [], count: [] });
  }

  update(yTrue: tf.Tensor, yPred: tf.Tensor, sampleWeight?: tf.Tensor): void {
    tf.tidy(() => {
      let values = tf.cast(this.fn(yTrue, yPred), 'float32');
      let weight: tf.Tensor | undefined;
      if (sampleWeight !== undefined) {
        [values, weight] = sameRank(values, tf.cast(sampleWeight, 'float32'));
        if (values.rank > weight.rank) values = tf.mean(values, axesFrom(weight.rank, values.rank));
        weight = tf.broadcastTo(weight, values.shape);
        values = tf.mul(values, weight);
        if (weight.rank > 1) weight = tf.mean(weight, axesFrom(1, weight.rank));
      }
      if (values.rank > 1) values = tf.mean(values, axesFrom(1, values.rank));
      this.state.add('total', tf.sum(values));
      const count = weight !== undefined ? tf.sum(weight) : tf.scalar(values.rank >= 1 ? values.shape[0]! : 1);
      this.state.add('count', count);
    });
  }

  result(): tf.Scalar {
    return tf.tidy(() => divideNoNan(this.state.get('total'), this.state.get('count')) as tf.Scalar);
  }
}

/** x / y, and 0 where y is 0 (Keras `divide_no_nan`). */
export function divideNoNan(x: tf.Tensor, y: tf.Tensor): tf.Tensor {
  return tf.tidy(() => {
    const zero = tf.equal(y, 0);
    return tf.where(zero, tf.zerosLike(x), tf.div(x, tf.where(zero, tf.onesLike(y), y)));
  });
}
