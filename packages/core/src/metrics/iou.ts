import * as tf from '@tensorflow/tfjs';
import type { Metric } from './metric.js';
import { KERAS_EPSILON } from './shapes.js';
import { StatefulMetric } from './state.js';

interface MeanIouOptions {
  numClasses: number;
  ignoreClass?: number;
  sparseYTrue: boolean;
  sparseYPred: boolean;
}

/**
 * Keras 3's `MeanIoU`: a confusion matrix accumulated over batches, then the mean over classes
 * of TP / (TP + FP + FN), classes absent from both labels and predictions left out. As in
 * Keras, labels, predictions and sample weights are truncated to integers (its int dtype).
 */
export class MeanIou extends StatefulMetric<'cm'> implements Metric {
  readonly name = 'mean-iou';

  constructor(private readonly options: MeanIouOptions) {
    super('mean-iou', { cm: [options.numClasses * options.numClasses] });
  }

  update(yTrue: tf.Tensor, yPred: tf.Tensor, sampleWeight?: tf.Tensor): void {
    const { numClasses, ignoreClass, sparseYTrue, sparseYPred } = this.options;
    tf.tidy(() => {
      const labels = tf.reshape(tf.cast(sparseYTrue ? yTrue : tf.argMax(yTrue, -1), 'int32'), [-1]);
      const preds = tf.reshape(tf.cast(sparseYPred ? yPred : tf.argMax(yPred, -1), 'int32'), [-1]);
      const n = labels.shape[0]!;
      let weights = sampleWeight === undefined ? tf.ones([n], 'int32') : tf.cast(sampleWeight, 'int32');
      if (weights.rank > 1) weights = tf.reshape(weights, [-1]);
      weights = tf.broadcastTo(weights, [n]);
      const inRange = (x: tf.Tensor) => tf.logicalAnd(tf.greaterEqual(x, 0), tf.less(x, numClasses));
      let mask = tf.logicalAnd(inRange(labels), inRange(preds));
      if (ignoreClass !== undefined) mask = tf.logicalAnd(mask, tf.notEqual(labels, ignoreClass));
      const zero = tf.zerosLike(labels);
      const cell = tf.add(tf.mul(tf.where(mask, labels, zero), tf.scalar(numClasses, 'int32')), tf.where(mask, preds, zero));
      const w = tf.cast(tf.where(mask, weights, zero), 'float32');
      // Weighted one-hot rows summed: a scatter-add that every backend has.
      const counts = tf.reshape(tf.matMul(tf.reshape(w, [1, n]), tf.oneHot(cell, numClasses * numClasses)), [-1]);
      this.state.add('cm', counts);
    });
  }

  result(): tf.Scalar {
    const c = this.options.numClasses;
    return tf.tidy(() => {
      const cm = tf.reshape(this.state.get('cm'), [c, c]);
      const tp = tf.sum(tf.mul(cm, tf.eye(c)), 1);
      const denominator = tf.sub(tf.add(tf.sum(cm, 0), tf.sum(cm, 1)), tp);
      const valid = tf.greater(denominator, 1e-9);
      const iou = tf.where(valid, tf.div(tp, tf.add(denominator, KERAS_EPSILON)), tf.zerosLike(tp));
      return tf.div(tf.sum(iou), tf.add(tf.sum(tf.cast(valid, 'float32')), KERAS_EPSILON)) as tf.Scalar;
    });
  }

}
