import * as tf from '@tensorflow/tfjs';
import { UnknownOptimizerError } from './errors.js';
import { didYouMean } from './options/strict.js';

// The same defaults `model.compile({ optimizer: 'adam' })` uses (tfjs-layers optimizers.ts),
// so a trainer and a compiled model given the same name train identically.
// A Map, so names such as 'constructor' are ordinary unknown names.
const FACTORIES = new Map<string, () => tf.Optimizer>(Object.entries({
  sgd: () => tf.train.sgd(0.01),
  adam: () => tf.train.adam(0.001, 0.9, 0.999, tf.backend().epsilon()),
  adamax: () => tf.train.adamax(0.002, 0.9, 0.999, tf.backend().epsilon(), 0),
  adagrad: () => tf.train.adagrad(0.01),
  adadelta: () => tf.train.adadelta(1, 0.95, tf.backend().epsilon()),
  rmsprop: () => tf.train.rmsprop(0.001, 0.9, 0, tf.backend().epsilon()),
}));

export type OptimizerName = 'sgd' | 'adam' | 'adamax' | 'adagrad' | 'adadelta' | 'rmsprop';
export const OPTIMIZER_NAMES = [...FACTORIES.keys()] as OptimizerName[];

/** An optimizer instance as given, or a new one for a name (case-insensitive, as TF.js accepts). */
export function resolveOptimizer(optimizer: string | tf.Optimizer): tf.Optimizer {
  if (optimizer instanceof tf.Optimizer) return optimizer;
  if (typeof optimizer === 'string') {
    const factory = FACTORIES.get(optimizer.toLowerCase());
    if (factory) return factory();
  }
  const suggestion = typeof optimizer === 'string' ? didYouMean(optimizer.toLowerCase(), OPTIMIZER_NAMES) : '';
  throw new UnknownOptimizerError(
    `Unknown optimizer ${JSON.stringify(optimizer)}${suggestion}. Use one of ${OPTIMIZER_NAMES.join(', ')}, ` +
      `or pass an instance such as tf.train.adam(0.01).`,
  );
}

/** A JSON description of the optimizer, for saving the trainer's configuration. */
export function describeOptimizer(optimizer: tf.Optimizer): { className: string; config: tf.serialization.ConfigDict } {
  return { className: optimizer.getClassName(), config: optimizer.getConfig() };
}
