import type * as tf from '@tensorflow/tfjs';
import {
  binaryAccuracy,
  categoricalAccuracy,
  InvalidMetricOptionsError,
  MeanMetric,
  resolveMetricAsync,
  sparseCategoricalAccuracy,
  type MetricSpec,
  type ResolvedMetric,
} from '@losskit/core';

// TF.js's metric strings for `model.compile({ metrics })` that are not names in core: the
// accuracy family maps to the stateful metrics with Keras 3's semantics, 'cosine' to TF.js's
// cosine proximity (the negative cosine, a loss). 'precision' and 'recall' are core's metrics,
// with Keras's threshold (0.5) where TF.js counts only predictions of exactly 1; loss strings
// ('mse', 'mae', 'binaryCrossentropy', ...) are aliases in core's loss catalog.
const TFJS_NAMES: Record<string, string> = {
  binaryAccuracy: 'binary-accuracy',
  categoricalAccuracy: 'categorical-accuracy',
  sparseCategoricalAccuracy: 'sparse-categorical-accuracy',
  topKCategoricalAccuracy: 'top-k-categorical-accuracy',
  cosineSimilarity: 'cosine-similarity',
  cosine: 'cosine-proximity',
};

/**
 * A metric as `compile({ metrics })` takes it, Keras 3's way: 'accuracy' / 'acc' pick binary,
 * sparse-categorical or categorical accuracy from the shapes of y_true and y_pred
 * (`is_binary_or_sparse_categorical`); other names are registered metrics, TF.js metric strings
 * or losses (as the weighted mean of their per-sample values).
 */
export async function resolveCompileMetric(spec: MetricSpec, plugins?: readonly string[]): Promise<ResolvedMetric> {
  const name = typeof spec === 'string' ? spec : spec.name;
  if (name === 'accuracy' || name === 'acc') {
    const options = typeof spec === 'string' ? {} : spec.options ?? {};
    if (Object.keys(options).length) {
      throw new InvalidMetricOptionsError(name, Object.keys(options).map((option) => ({ option, message: 'this metric takes no options', received: options[option] })));
    }
    return autoAccuracy();
  }
  const mapped = Object.hasOwn(TFJS_NAMES, name) ? TFJS_NAMES[name]! : name;
  return resolveMetricAsync(typeof spec === 'string' ? mapped : { ...spec, name: mapped }, plugins ? { plugins } : {});
}

/** Keras's choice, made per batch from the shapes (the same for every batch of one output). */
export function accuracyKindFor(yTrue: tf.Tensor, yPred: tf.Tensor): 'binary-accuracy' | 'sparse-categorical-accuracy' | 'categorical-accuracy' {
  const trueLast = yTrue.shape[yTrue.rank - 1];
  const predLast = yPred.shape[yPred.rank - 1]!;
  if (predLast === 1) return 'binary-accuracy';
  if (yTrue.rank < yPred.rank || (trueLast === 1 && predLast > 1)) return 'sparse-categorical-accuracy';
  return 'categorical-accuracy';
}

const ACCURACY = {
  'binary-accuracy': binaryAccuracy(0.5),
  'sparse-categorical-accuracy': sparseCategoricalAccuracy,
  'categorical-accuracy': categoricalAccuracy,
};

function autoAccuracy(): ResolvedMetric {
  // The three are means of per-sample matches; one mean holds whichever applies.
  const mean = new MeanMetric('accuracy', (yTrue, yPred) => ACCURACY[accuracyKindFor(yTrue, yPred)](yTrue, yPred));
  return {
    name: 'accuracy',
    spec: { name: 'accuracy', options: {} },
    direction: 'up',
    update: (t, p, w) => mean.update(t, p, w),
    result: () => mean.result(),
    reset: () => mean.reset(),
    dispose: () => mean.dispose(),
    getState: () => mean.getState(),
    setState: (state) => mean.setState(state),
  };
}
