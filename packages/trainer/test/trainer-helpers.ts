import * as tf from '@tensorflow/tfjs';
import { expect } from 'chai';

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

/**
 * Numbers (nested arrays or records of them) that must be the same computation's result: bit
 * for bit on the tfjs backends, within 1e-6 of the values' scale on the native run
 * (LOSSKIT_TEST_BACKEND=tensorflow), where TensorFlow's kernels block a matmul differently for
 * another batch size and a suite's second backend is tfjs cpu against TensorFlow.
 */
export function expectSameNumbers(actual: unknown, expected: unknown, what = 'values'): void {
  if (process.env.LOSSKIT_TEST_BACKEND !== 'tensorflow') {
    expect(actual, what).to.deep.equal(expected);
    return;
  }
  const flat = (value: unknown, key: string, out: Map<string, unknown>): Map<string, unknown> => {
    if (value !== null && typeof value === 'object') {
      for (const [k, v] of Object.entries(value)) flat(v, `${key}/${k}`, out);
    } else out.set(key, value);
    return out;
  };
  const a = flat(actual, '', new Map());
  const e = flat(expected, '', new Map());
  expect([...a.keys()], `${what}: keys`).to.deep.equal([...e.keys()]);
  const numbers = [...e.values()].filter((v): v is number => typeof v === 'number' && Number.isFinite(v));
  const scale = Math.max(1, ...numbers.map(Math.abs));
  for (const [key, value] of e) {
    const got = a.get(key);
    if (typeof value === 'number' && Number.isFinite(value)) expect(got, `${what}${key}`).to.be.a('number').and.closeTo(value, 1e-6 * scale);
    else expect(got, `${what}${key}`).to.deep.equal(value);
  }
}

/** The error a promise rejects with; the test fails if it resolves. */
export async function rejection(promise: Promise<unknown>): Promise<Error> {
  try {
    await promise;
  } catch (error) {
    return error as Error;
  }
  throw new Error('expected a rejection');
}
