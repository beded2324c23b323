import * as tf from '@tensorflow/tfjs';

/** Dense(hidden, relu) -> Dense(units, softmax) on `inputs`, initial weights fixed by `seed`. */
export function seedModel(seed = 1, inputs = 32, hidden = 64, units = 10, activation: 'softmax' | 'linear' = 'softmax'): tf.Sequential {
  const init = (k: number) => tf.initializers.glorotUniform({ seed: seed * 10 + k });
  const model = tf.sequential();
  model.add(tf.layers.dense({ units: hidden, activation: 'relu', inputShape: [inputs], kernelInitializer: init(1) }));
  model.add(tf.layers.dense({ units, activation, kernelInitializer: init(2) }));
  return model;
}

export function uniform(shape: number[], seed: number): tf.Tensor {
  return tf.randomUniform(shape, 0, 1, 'float32', seed);
}

export async function weightsOf(model: tf.LayersModel): Promise<Float32Array[]> {
  return Promise.all(model.getWeights().map(async (w) => (await w.data()) as Float32Array));
}

export function copyWeights(from: tf.LayersModel, to: tf.LayersModel): void {
  to.setWeights(from.getWeights());
}

/** Per-sample MSE over the last axis, computed in plain JS from arrays. */
export function mseRows(yTrue: number[][], yPred: number[][]): number[] {
  return yTrue.map((row, i) => row.reduce((sum, t, j) => sum + (t - yPred[i]![j]!) ** 2, 0) / row.length);
}

export function maeRows(yTrue: number[][], yPred: number[][]): number[] {
  return yTrue.map((row, i) => row.reduce((sum, t, j) => sum + Math.abs(t - yPred[i]![j]!), 0) / row.length);
}

export const silent = { verbose: false as const };
