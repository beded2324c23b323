import * as tf from '@tensorflow/tfjs';
import * as z from '../zod-mini.js';
import { MetricInputError } from './errors.js';
import { confusionCounts, NEG_INF } from './confusion.js';
import { divideNoNan } from './mean-metric.js';
import type { Metric } from './metric.js';
import { KERAS_EPSILON } from './shapes.js';
import { StatefulMetric } from './state.js';

/** One threshold or several, each in [0, 1]. */
const unitInterval = () => z.number().check(z.minimum(0), z.maximum(1));
export const thresholdsOption = z.optional(z.union([unitInterval(), z.array(unitInterval()).check(z.minLength(1))]));

interface PrecisionRecallOptions {
  thresholds?: number | number[];
  topK?: number;
  classId?: number;
}

/** Precision and recall: counts per threshold, Keras's default threshold (0.5, or NEG_INF with topK). */
abstract class ThresholdMetric extends StatefulMetric<'tp' | 'fp' | 'fn'> implements Metric {
  private readonly thresholds: number[];

  constructor(readonly name: string, private readonly options: PrecisionRecallOptions) {
    const given = options.thresholds;
    const thresholds = given === undefined ? [options.topK === undefined ? 0.5 : NEG_INF] : typeof given === 'number' ? [given] : [...given];
    super(name, { tp: [thresholds.length], fp: [thresholds.length], fn: [thresholds.length] });
    this.thresholds = thresholds;
  }

  update(yTrue: tf.Tensor, yPred: tf.Tensor, sampleWeight?: tf.Tensor): void {
    const counts = confusionCounts(this.name, yTrue, yPred, sampleWeight, { thresholds: this.thresholds, topK: this.options.topK, classId: this.options.classId });
    for (const key of ['tp', 'fp', 'fn'] as const) this.state.addValues(key, counts[key]);
  }

  /** The value at each threshold, in the order given. */
  resultPerThreshold(): tf.Tensor1D {
    return tf.tidy(() => this.compute() as tf.Tensor1D);
  }

  /** The value at the threshold; with several thresholds use `resultPerThreshold`. */
  result(): tf.Scalar {
    if (this.thresholds.length !== 1) {
      throw new MetricInputError(
        `Metric '${this.name}' has ${this.thresholds.length} thresholds, so its result is one value per threshold: read resultPerThreshold(), or give one threshold.`,
      );
    }
    return tf.tidy(() => tf.reshape(this.compute(), []) as tf.Scalar);
  }

  protected abstract compute(): tf.Tensor;

}

export class Precision extends ThresholdMetric {
  constructor(options: PrecisionRecallOptions) {
    super('precision', options);
  }
  protected compute(): tf.Tensor {
    const tp = this.state.get('tp');
    return divideNoNan(tp, tf.add(tp, this.state.get('fp')));
  }
}

export class Recall extends ThresholdMetric {
  constructor(options: PrecisionRecallOptions) {
    super('recall', options);
  }
  protected compute(): tf.Tensor {
    const tp = this.state.get('tp');
    return divideNoNan(tp, tf.add(tp, this.state.get('fn')));
  }
}

interface AucOptions {
  numThresholds: number;
  curve: 'ROC' | 'PR';
  summationMethod: 'interpolation' | 'minoring' | 'majoring';
  thresholds?: number[];
  fromLogits: boolean;
}

/** Keras 3's `AUC` (single label): counts at thresholds from -eps to 1 + eps, then a Riemann sum. */
export class Auc extends StatefulMetric<'tp' | 'fp' | 'tn' | 'fn'> implements Metric {
  readonly name = 'auc';
  private readonly thresholds: number[];

  constructor(private readonly options: AucOptions) {
    const inner = options.thresholds
      ? [...options.thresholds].sort((a, b) => a - b)
      : Array.from({ length: options.numThresholds - 2 }, (_, i) => ((i + 1) * 1.0) / (options.numThresholds - 1));
    const thresholds = [0 - KERAS_EPSILON, ...inner, 1 + KERAS_EPSILON];
    const shape = [thresholds.length];
    super('auc', { tp: shape, fp: shape, tn: shape, fn: shape });
    this.thresholds = thresholds;
  }

  update(yTrue: tf.Tensor, yPred: tf.Tensor, sampleWeight?: tf.Tensor): void {
    const pred = this.options.fromLogits ? tf.sigmoid(yPred) : yPred;
    try {
      const counts = confusionCounts('auc', yTrue, pred, sampleWeight, { thresholds: this.thresholds });
      for (const key of ['tp', 'fp', 'tn', 'fn'] as const) this.state.addValues(key, counts[key]);
    } finally {
      if (pred !== yPred) pred.dispose();
    }
  }

  result(): tf.Scalar {
    return tf.tidy(() => {
      const { curve, summationMethod } = this.options;
      if (curve === 'PR' && summationMethod === 'interpolation') return this.interpolatePrAuc();
      const tp = this.state.get('tp');
      const recall = divideNoNan(tp, tf.add(tp, this.state.get('fn')));
      const fp = this.state.get('fp');
      const [x, y] = curve === 'ROC'
        ? [divideNoNan(fp, tf.add(fp, this.state.get('tn'))), recall]
        : [recall, divideNoNan(tp, tf.add(tp, fp))];
      const [yHead, yTail] = headTail(y);
      const heights = summationMethod === 'interpolation' ? tf.div(tf.add(yHead, yTail), 2) : summationMethod === 'minoring' ? tf.minimum(yHead, yTail) : tf.maximum(yHead, yTail);
      const [xHead, xTail] = headTail(x);
      return tf.sum(tf.mul(tf.sub(xHead, xTail), heights)) as tf.Scalar;
    });
  }

  /** Davis & Goadrich's interpolation of the PR curve, as Keras's `interpolate_pr_auc`. */
  private interpolatePrAuc(): tf.Scalar {
    const tp = this.state.get('tp');
    const p = tf.add(tp, this.state.get('fp'));
    const [tpHead, tpTail] = headTail(tp);
    const [pHead, pTail] = headTail(p);
    const dtp = tf.sub(tpHead, tpTail);
    const dp = tf.sub(pHead, pTail);
    const precSlope = divideNoNan(dtp, tf.maximum(dp, 0));
    const intercept = tf.sub(tpTail, tf.mul(precSlope, pTail));
    const safePRatio = tf.where(tf.logicalAnd(tf.greater(pHead, 0), tf.greater(pTail, 0)), divideNoNan(pHead, tf.maximum(pTail, 0)), tf.onesLike(pTail));
    const [, fnTail] = headTail(this.state.get('fn'));
    const increment = divideNoNan(tf.mul(precSlope, tf.add(dtp, tf.mul(intercept, tf.log(safePRatio)))), tf.maximum(tf.add(tpTail, fnTail), 0));
    return tf.sum(increment) as tf.Scalar;
  }

}

/** x[:-1] and x[1:]. */
function headTail(x: tf.Tensor): [tf.Tensor, tf.Tensor] {
  const n = x.shape[0]!;
  return [tf.slice(x, [0], [n - 1]), tf.slice(x, [1], [n - 1])];
}
