import * as tf from '@tensorflow/tfjs';
import { LossKitError } from './errors.js';

/** y_true, y_pred or sample weights that are not numeric tensors. */
export class LossInputError extends LossKitError {}

const WHAT = { yTrue: 'y_true', yPred: 'y_pred', sampleWeight: 'sampleWeight' } as const;

/**
 * Refuses what no loss can take before any TF.js op sees it, which would otherwise fail with
 * "b is not iterable" or "'log' must be float32": a missing value, a plain array, a string or
 * complex tensor. Names the loss and the argument.
 */
export function checkNumericTensor(loss: string, argument: keyof typeof WHAT, value: unknown): void {
  const what = WHAT[argument];
  if (!(value instanceof tf.Tensor)) {
    const got = value === null ? 'null' : Array.isArray(value) ? 'an array' : typeof value;
    throw new LossInputError(`Loss '${loss}': ${what} must be a tf.Tensor, got ${got}. Wrap plain values with tf.tensor(values).`);
  }
  if (value.dtype === 'string' || value.dtype === 'complex64') {
    const fix = argument === 'sampleWeight' ? 'Give one number per sample.' : 'Encode labels as numbers first (class indices, or tf.oneHot of them).';
    throw new LossInputError(`Loss '${loss}': ${what} is a ${value.dtype} tensor; losses take numbers. ${fix}`);
  }
}

/**
 * Keras converts y_pred to its float dtype before a loss sees it; plugins get the same: an int32
 * or bool y_pred as float32, so a plugin's log, rsqrt or pooling never meets an integer tensor.
 * Call inside a tidy.
 */
export function asFloat(tensor: tf.Tensor): tf.Tensor {
  return tensor.dtype === 'float32' ? tensor : tf.cast(tensor, 'float32');
}
