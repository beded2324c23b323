/**
 * One slice's share of a batch's loss, for data-parallel steps (the `workers` fit option).
 *
 * Every replica computes the loss of its rows only, but the reductions average over the whole
 * batch: `sum_over_batch_size` divides by the batch's element count, `mean_with_sample_weight`
 * by the batch's weight sum. A slice's reduced value times its `factor` (its rows' part of that
 * divisor) is its share, and the shares of all slices add up to the one-thread value, so the
 * summed gradients are the one-thread gradients. The parent and the workers both use this file.
 */
import * as tf from '@tensorflow/tfjs';
import { batchMean, type CompiledLoss } from './compiled-loss.js';

/**
 * Per output, the factor that turns the reduced loss of rows [start, end) into its share of
 * the whole batch's: 1 for `sum`, the slice's part of the weight sum for a weighted
 * `mean_with_sample_weight`, its part of the rows otherwise. `weightRowSums[o]` holds output
 * o's per-row sample-weight sums (undefined where unweighted).
 */
export function shareFactors(loss: CompiledLoss, weightRowSums: readonly (Float64Array | undefined)[], size: number, start: number, end: number): number[] {
  return loss.outputs.map((output) => {
    const reduction = output.loss.reduction;
    if (reduction === 'sum') return 1;
    const rows = weightRowSums[output.outputIndex];
    if (reduction === 'mean_with_sample_weight' && rows !== undefined) {
      let part = 0;
      let whole = 0;
      for (let i = 0; i < size; i++) {
        whole += rows[i]!;
        if (i >= start && i < end) part += rows[i]!;
      }
      // All-zero weights reduce to 0 in every slice (core divides "no nan"): the share is 0 too.
      return whole === 0 ? 0 : part / whole;
    }
    return (end - start) / size;
  });
}

/** The per-row sums of a [batch, ...] weight tensor (what `mean_with_sample_weight` divides by). */
export function rowSums(weights: tf.Tensor): Float64Array {
  const values = weights.dataSync();
  const rows = weights.shape[0] ?? 1;
  const per = rows === 0 ? 0 : values.length / rows;
  const sums = new Float64Array(rows);
  for (let r = 0; r < rows; r++) for (let k = 0; k < per; k++) sums[r]! += values[r * per + k]!;
  return sums;
}

/**
 * CompiledLoss.compute for one slice: the same total and logged values (in `loss.keys`
 * order), each scaled to its share of the batch. Regularization penalties belong to the batch,
 * not to a slice: only the replica given `penalties` adds them.
 */
export function shareOfLoss(
  loss: CompiledLoss,
  model: tf.LayersModel,
  ys: readonly tf.Tensor[],
  preds: readonly tf.Tensor[],
  weights: readonly (tf.Tensor | undefined)[],
  factors: readonly number[],
  penalties: boolean,
): { total: tf.Scalar; logged: tf.Scalar[] } {
  const multiOutput = model.outputNames.length > 1;
  const logged: tf.Scalar[] = [];
  const weighted: tf.Scalar[] = [];
  loss.outputs.forEach((output, o) => {
    const i = output.outputIndex;
    const { value, terms } = output.termKeys.length
      ? output.loss.reducedWithTerms(ys[i]!, preds[i]!, weights[i])
      : { value: output.loss.reduced(ys[i]!, preds[i]!, weights[i]), terms: [] };
    const scale = (t: tf.Tensor): tf.Scalar => (factors[o] === 1 ? batchMean(t) : (tf.mul(batchMean(t), factors[o]!) as tf.Scalar));
    const share = scale(value);
    if (multiOutput) logged.push(share);
    for (const term of terms) logged.push(scale(term));
    weighted.push(output.weight === 1 ? share : (tf.mul(share, output.weight) as tf.Scalar));
  });
  let total = weighted.length === 1 ? weighted[0]! : (tf.addN(weighted) as tf.Scalar);
  if (penalties) for (const penalty of model.calculateLosses()) total = tf.add(total, penalty);
  return { total, logged };
}
