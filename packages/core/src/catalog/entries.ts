import type * as tf from '@tensorflow/tfjs';
import * as z from '../zod-mini.js';
import { ctc } from './ctc.js';
import * as ce from './crossentropy.js';
import * as reg from './regression.js';
import * as sim from './similarity.js';

/** How a loss's y_true and y_pred shapes relate (checked before it runs). */
export type ShapeRule = 'same' | 'sparse' | 'ctc' | 'circle' | 'any';

/** One Keras 3 loss: its names, options (Keras's, in camelCase) and per-sample function. */
export interface CatalogEntry {
  /** Canonical, lowercase kebab-case. */
  name: string;
  /** Keras's function name and class name. */
  keras: string;
  className: string;
  /** Short aliases (Keras's `mse`, `MSE`, ...), TF.js's camelCase name, legacy Keras names. */
  aliases: readonly string[];
  description: string;
  /** The package that registers it: core, or the seed's `@losskit/loss-mse` for the MSE. */
  package: '@losskit/core' | '@losskit/loss-mse';
  options?: z.ZodMiniObject;
  fn?: (yTrue: tf.Tensor, yPred: tf.Tensor, options: Record<string, unknown>) => tf.Tensor;
  shapes: ShapeRule;
}

// zod/mini's functional spelling of classic zod's chains: `_default(s, v)` is `s.default(v)`,
// `.check(z.minimum(0))` is `.min(0)`, `z.describe(text)` is `.describe(text)`.
const described = <S extends z.ZodMiniType>(schema: S, text: string): S => schema.check(z.describe(text)) as S;
const int = () => z.number().check(z.int());
const fromLogits = described(z._default(z.boolean(), false), 'y_pred holds logits rather than probabilities.');
const labelSmoothing = described(z._default(z.number().check(z.minimum(0), z.maximum(1)), 0), 'Smooths the targets towards uniform; in [0, 1].');
const classAxis = described(z._default(int(), -1), 'The class axis (not the batch axis).');
const focalAlpha = described(z._default(z.number(), 0.25), 'Weight of the positive class.');
const focalGamma = described(z._default(z.number().check(z.minimum(0)), 2), 'Focusing parameter; 0 gives plain cross-entropy.');
const overlapAxis = described(
  z._default(z.nullable(z.union([int(), z.array(int()).check(z.minLength(1))])), null),
  'Axes summed over; null (Keras\'s None) sums over every axis, the batch too, giving one value per batch.',
);

export const KERAS_CATALOG: readonly CatalogEntry[] = [
  { name: 'mse', keras: 'mean_squared_error', className: 'MeanSquaredError', aliases: ['MSE', 'mean-squared-error', 'meanSquaredError', 'custom-mse'], description: 'Mean of squared differences over the last axis.', package: '@losskit/loss-mse', shapes: 'same' },
  { name: 'mean-absolute-error', keras: 'mean_absolute_error', className: 'MeanAbsoluteError', aliases: ['mae', 'MAE', 'meanAbsoluteError', 'l1'], description: 'Mean of absolute differences over the last axis.', package: '@losskit/core', fn: reg.meanAbsoluteError, shapes: 'same' },
  { name: 'mean-absolute-percentage-error', keras: 'mean_absolute_percentage_error', className: 'MeanAbsolutePercentageError', aliases: ['mape', 'MAPE', 'meanAbsolutePercentageError'], description: '100 * mean |(y_true - y_pred) / max(|y_true|, eps)| over the last axis.', package: '@losskit/core', fn: reg.meanAbsolutePercentageError, shapes: 'same' },
  { name: 'mean-squared-logarithmic-error', keras: 'mean_squared_logarithmic_error', className: 'MeanSquaredLogarithmicError', aliases: ['msle', 'MSLE', 'meanSquaredLogarithmicError'], description: 'Mean squared difference of log(max(y, eps) + 1) over the last axis.', package: '@losskit/core', fn: reg.meanSquaredLogarithmicError, shapes: 'same' },
  { name: 'cosine-similarity', keras: 'cosine_similarity', className: 'CosineSimilarity', aliases: ['cosineSimilarity', 'cosineProximity', 'cosine-proximity'], description: 'Negative cosine similarity of y_true and y_pred along axis.', package: '@losskit/core', options: z.object({ axis: classAxis }), fn: reg.cosineSimilarity, shapes: 'same' },
  { name: 'huber', keras: 'huber', className: 'Huber', aliases: [], description: '0.5 e^2 where |e| <= delta, delta |e| - 0.5 delta^2 beyond; mean over the last axis.', package: '@losskit/core', options: z.object({ delta: described(z._default(z.number().check(z.positive()), 1), 'Where the loss turns from quadratic to linear; > 0.') }), fn: reg.huber, shapes: 'same' },
  { name: 'log-cosh', keras: 'log_cosh', className: 'LogCosh', aliases: ['logcosh', 'logCosh'], description: 'Mean of log(cosh(y_pred - y_true)) over the last axis.', package: '@losskit/core', fn: reg.logCosh, shapes: 'same' },
  { name: 'hinge', keras: 'hinge', className: 'Hinge', aliases: [], description: 'Mean of max(0, 1 - y_true * y_pred); labels in {-1, 1}, or {0, 1} (converted, as Keras 3 does).', package: '@losskit/core', fn: reg.hinge, shapes: 'same' },
  { name: 'squared-hinge', keras: 'squared_hinge', className: 'SquaredHinge', aliases: ['squaredHinge'], description: 'Mean of max(0, 1 - y_true * y_pred)^2; {0, 1} labels converted to {-1, 1}.', package: '@losskit/core', fn: reg.squaredHinge, shapes: 'same' },
  { name: 'categorical-hinge', keras: 'categorical_hinge', className: 'CategoricalHinge', aliases: ['categoricalHinge'], description: 'max(0, 1 + max negative score - positive score).', package: '@losskit/core', fn: reg.categoricalHinge, shapes: 'same' },
  { name: 'kl-divergence', keras: 'kl_divergence', className: 'KLDivergence', aliases: ['kld', 'KLD', 'kullback_leibler_divergence', 'kullbackLeiblerDivergence', 'klDivergence'], description: 'sum(y_true * log(y_true / y_pred)), both clipped to [eps, 1].', package: '@losskit/core', fn: reg.klDivergence, shapes: 'same' },
  { name: 'poisson', keras: 'poisson', className: 'Poisson', aliases: [], description: 'Mean of y_pred - y_true * log(y_pred + eps).', package: '@losskit/core', fn: reg.poisson, shapes: 'same' },
  { name: 'binary-crossentropy', keras: 'binary_crossentropy', className: 'BinaryCrossentropy', aliases: ['bce', 'BCE', 'binaryCrossentropy'], description: 'Binary cross-entropy of targets in [0, 1], mean over axis.', package: '@losskit/core', options: z.object({ fromLogits, labelSmoothing, axis: classAxis }), fn: ce.binaryCrossentropy, shapes: 'same' },
  { name: 'binary-focal-crossentropy', keras: 'binary_focal_crossentropy', className: 'BinaryFocalCrossentropy', aliases: ['binaryFocalCrossentropy'], description: 'Binary cross-entropy scaled by (1 - p_t)^gamma, optionally class-balanced by alpha.', package: '@losskit/core', options: z.object({ applyClassBalancing: described(z._default(z.boolean(), false), 'Weight positives by alpha and negatives by 1 - alpha.'), alpha: focalAlpha, gamma: focalGamma, fromLogits, labelSmoothing, axis: classAxis }), fn: ce.binaryFocalCrossentropy, shapes: 'same' },
  { name: 'categorical-crossentropy', keras: 'categorical_crossentropy', className: 'CategoricalCrossentropy', aliases: ['categoricalCrossentropy'], description: 'Cross-entropy of one-hot (or soft) targets and predicted probabilities or logits.', package: '@losskit/core', options: z.object({ fromLogits, labelSmoothing, axis: classAxis }), fn: ce.categoricalCrossentropy, shapes: 'same' },
  { name: 'categorical-focal-crossentropy', keras: 'categorical_focal_crossentropy', className: 'CategoricalFocalCrossentropy', aliases: ['categoricalFocalCrossentropy'], description: 'Categorical cross-entropy scaled by alpha * (1 - p)^gamma.', package: '@losskit/core', options: z.object({ alpha: focalAlpha, gamma: focalGamma, fromLogits, labelSmoothing, axis: classAxis }), fn: ce.categoricalFocalCrossentropy, shapes: 'same' },
  { name: 'sparse-categorical-crossentropy', keras: 'sparse_categorical_crossentropy', className: 'SparseCategoricalCrossentropy', aliases: ['sparseCategoricalCrossentropy'], description: 'Cross-entropy of integer class labels and predicted probabilities or logits.', package: '@losskit/core', options: z.object({ fromLogits, ignoreClass: described(z._default(z.nullable(int()), null), 'A label whose samples count for nothing (masked, as in Keras).'), axis: described(z._default(z.literal(-1), -1), 'The class axis; only the last axis (-1) is supported.') }), fn: ce.sparseCategoricalCrossentropy, shapes: 'sparse' },
  { name: 'ctc', keras: 'ctc', className: 'CTC', aliases: [], description: 'Connectionist temporal classification of label sequences (0 = padding and blank) and logits [batch, time, classes].', package: '@losskit/core', fn: ctc, shapes: 'ctc' },
  { name: 'dice', keras: 'dice', className: 'Dice', aliases: [], description: '1 - 2 sum(y_true y_pred) / (sum(y_true) + sum(y_pred) + eps) over axis.', package: '@losskit/core', options: z.object({ axis: overlapAxis }), fn: sim.dice, shapes: 'same' },
  { name: 'tversky', keras: 'tversky', className: 'Tversky', aliases: [], description: '1 - TP / (TP + alpha FP + beta FN + eps) over axis.', package: '@losskit/core', options: z.object({ alpha: described(z._default(z.number(), 0.5), 'Weight of false positives.'), beta: described(z._default(z.number(), 0.5), 'Weight of false negatives.'), axis: overlapAxis }), fn: sim.tversky, shapes: 'same' },
  { name: 'circle', keras: 'circle', className: 'Circle', aliases: [], description: 'Circle loss over the pairs of the batch: integer labels [batch] and L2-normalised embeddings [batch, dim].', package: '@losskit/core', options: z.object({ gamma: described(z._default(z.number().check(z.positive()), 80), 'Scale of the similarities.'), margin: described(z._default(z.number(), 0.4), 'Relaxation margin.'), removeDiagonal: described(z._default(z.boolean(), true), 'Leave out each sample paired with itself.') }), fn: sim.circle, shapes: 'circle' },
  { name: 'categorical-generalized-cross-entropy', keras: 'categorical_generalized_cross_entropy', className: 'CategoricalGeneralizedCrossEntropy', aliases: ['categoricalGeneralizedCrossEntropy'], description: '(1 - p_true^q) / q for integer labels: robust to noisy labels.', package: '@losskit/core', options: z.object({ q: described(z._default(z.number().check(z.gt(0), z.maximum(1)), 0.5), 'Between cross-entropy (q -> 0) and MAE (q = 1).') }), fn: ce.categoricalGeneralizedCrossEntropy, shapes: 'sparse' },
];

/** Every name of an entry: canonical first, then Keras's function and class names, then aliases. */
export function namesOf(entry: CatalogEntry): string[] {
  return [...new Set([entry.name, entry.keras, entry.className, ...entry.aliases])];
}
