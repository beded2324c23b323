import * as tf from '@tensorflow/tfjs';
import { ShapeMismatchError } from './errors.js';
/**
 * Keras 3 reductions. `mean` is Keras's alias of `sum_over_batch_size`.
 * - `sum_over_batch_size`: sum of weighted values / number of values
 * - `sum`: sum of weighted values
 * - `mean_with_sample_weight`: sum of weighted values / sum of the (broadcast) weights
 * - `none`: the weighted values themselves
 */
export const REDUCTIONS = ['sum_over_batch_size', 'sum', 'mean_with_sample_weight', 'none', 'mean'];
export const DEFAULT_REDUCTION = 'sum_over_batch_size';
export function isReduction(value) {
    return typeof value === 'string' && REDUCTIONS.includes(value);
}
/**
 * Reduces per-sample loss values. Sample weights of shape `[batch]` (or any prefix of the
 * values' shape, or the full shape) are broadcast over the trailing axes, as Keras does.
 */
export function reduceLoss(values, reduction, sampleWeight, lossName = 'loss') {
    return tf.tidy(() => {
        const weights = sampleWeight ? alignSampleWeight(sampleWeight, values.shape, lossName) : undefined;
        const weighted = weights ? tf.mul(values, weights) : values;
        switch (reduction) {
            case 'none':
                return weighted;
            case 'sum':
                return tf.sum(weighted);
            case 'mean_with_sample_weight': {
                if (!weights)
                    return meanOrZero(weighted);
                return divideOrZero(tf.sum(weighted), tf.sum(tf.broadcastTo(weights, values.shape)));
            }
            case 'sum_over_batch_size':
            case 'mean':
                return meanOrZero(weighted);
        }
    });
}
// Keras divides "no nan": an empty batch or all-zero weights reduce to 0, not NaN. tf.divNoNan
// is not usable here: its gradient needs one for Equal, which TF.js does not have.
function meanOrZero(values) {
    return values.size === 0 ? tf.scalar(0) : tf.div(tf.sum(values), values.size);
}
function divideOrZero(numerator, denominator) {
    const isZero = tf.equal(denominator, 0);
    const safeDenominator = tf.where(isZero, tf.onesLike(denominator), denominator);
    return tf.mul(tf.div(numerator, safeDenominator), tf.cast(tf.logicalNot(isZero), numerator.dtype));
}
function alignSampleWeight(weight, valuesShape, lossName) {
    let aligned = weight;
    // Keras accepts [batch, 1] weights for [batch] values.
    if (aligned.rank === valuesShape.length + 1 && aligned.shape[aligned.rank - 1] === 1) {
        aligned = tf.squeeze(aligned, [aligned.rank - 1]);
    }
    while (aligned.rank < valuesShape.length)
        aligned = tf.expandDims(aligned, -1);
    const fits = aligned.rank === valuesShape.length &&
        aligned.shape.every((dim, axis) => dim === valuesShape[axis] || dim === 1);
    if (!fits) {
        throw new ShapeMismatchError(`Loss '${lossName}': sample weights of shape [${weight.shape}] do not fit per-sample losses of ` +
            `shape [${valuesShape}]. Pass one weight per sample (shape [${valuesShape[0] ?? 0}]) ` +
            `or weights of shape [${valuesShape}].`);
    }
    return aligned.dtype === 'float32' ? aligned : tf.cast(aligned, 'float32');
}
