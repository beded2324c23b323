import * as tf from '@tensorflow/tfjs';

/**
 * Builds a `reference` for the kit from a per-element formula, averaged over the last axis and
 * computed in float64 from the tensors' values: independent of tfjs ops and of the plugin.
 *
 * ```ts
 * reference: meanOverLastAxis((t, p) => (p - t) ** 2)
 * reference: meanOverLastAxis((t, p, { delta }) => ..., ) // options are passed through
 * ```
 */
export function meanOverLastAxis(
  perElement: (yTrue: number, yPred: number, options: Record<string, unknown>) => number,
): (yTrue: tf.Tensor, yPred: tf.Tensor, options: Record<string, unknown>) => tf.Tensor {
  return (yTrue, yPred, options) => {
    const t = yTrue.dataSync();
    const p = yPred.dataSync();
    const width = yPred.shape[yPred.rank - 1] ?? 1;
    const rows = width ? p.length / width : 0;
    const values = new Float64Array(rows);
    for (let row = 0; row < rows; row++) {
      let total = 0;
      for (let i = row * width; i < (row + 1) * width; i++) total += perElement(t[i]!, p[i]!, options);
      values[row] = total / width;
    }
    return tf.tensor(Array.from(values), yPred.shape.slice(0, -1), 'float32');
  };
}
