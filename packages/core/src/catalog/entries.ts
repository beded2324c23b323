import type * as tf from '@tensorflow/tfjs';
import * as z from 'zod';
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
  options?: z.ZodObject;
  fn?: (yTrue: tf.Tensor, yPred: tf.Tensor, options: Record<string, unknown>) => tf.Tensor;
  shapes: ShapeRule;
}

const fromLogits = z.boolean().default(false).describe('y_pred holds logits rather than probabilities.');
const labelSmoothing = z.number().min(0).max(1).default(0).describe('Smooths the targets towards uniform; in [0, 1].');
const classAxis = z.number().int().default(-1).describe('The class axis (not the batch axis).');
const focalAlpha = z.number().default(0.25).describe('Weight of the positive class.');
const focalGamma = z.number().min(0).default(2).describe('Focusing parameter; 0 gives plain cross-entropy.');
const overlapAxis = z
  .union([z.number().int(), z.array(z.number().int()).min(1)])
  .nullable()
  .default(null)
  .describe('Axes summed over; null (Keras\'s None) sums over every axis, the batch too, giving one value per batch.');

export const KERAS_CATALOG: readonly CatalogEntry[] = [
  { name: 'mse', keras: 'mean_squared_error', className: 'MeanSquaredError', aliases: ['MSE', 'mean-squared-error', 'meanSquaredError', 'custom-mse'], description: 'Mean of squared differences over the last axis.', package: '@losskit/loss-mse', shapes: 'same' },
  { name: 'mean-absolute-error', keras: 'mean_absolute_error', className: 'MeanAbsoluteError', aliases: ['mae', 'MAE', 'meanAbsoluteError', 'l1'], description: 'Mean of absolute differences over the last axis.', package: '@losskit/core', fn: reg.meanAbsoluteError, shapes: 'same' },
  { name: 'mean-absolute-percentage-error', keras: 'mean_absolute_percentage_error', className: 'MeanAbsolutePercentageError', aliases: ['mape', 'MAPE', 'meanAbsolutePercentageError'], description: '100 * mean |(y_true - y_pred) / max(|y_true|, eps)| over the last axis.', package: '@losskit/core', fn: reg.meanAbsolutePercentageError, shapes: 'same' },
  { name: 'mean-squared-logarithmic-error', keras: 'mean_squared_logarithmic_error', className: 'MeanSquaredLogarithmicError', aliases: ['msle', 'MSLE', 'meanSquaredLogarithmicError'], description: 'Mean squared difference of log(max(y, eps) + 1) over the last axis.', package: '@losskit/core', fn: reg.meanSquaredLogarithmicError, shapes: 'same' },
  { name: 'cosine-similarity', keras: 'cosine_similarity', className: 'CosineSimilarity', aliases: ['cosineSimilarity', 'cosineProximity', 'cosine-proximity'], description: 'Negative cosine similarity of y_true and y_pred along axis.', package: '@losskit/core', options: z.object({ axis: classAxis }), fn: reg.cosineSimilarity, shapes: 'same' },
  { name: 'huber', keras: 'huber', className: 'Huber', aliases: [], description: '0.5 e^2 where |e| <= delta, delta |e| - 0.5 delta^2 beyond; mean over the last axis.', package: '@losskit/core', options: z.object({ delta: z.number().positive().default(1).describe('Where the loss turns from quadratic to linear; > 0.') }), fn: reg.huber, shapes: 'same' },
  { name: 'log-cosh', keras: 'log_cosh', className: 'LogCosh', aliases: ['logcosh', 'logCosh'], description: 'Mean of log(cosh(y_pred - y_true)) over the last axis.', package: '@losskit/core', fn: reg.logCosh, shapes: 'same' },
  { name: 'hinge', keras: 'hinge', className: 'Hinge', aliases: [], description: 'Mean of max(0, 1 - y_true * y_pred); labels in {-1, 1}, or {0, 1} (converted, as Keras 3 does).', package: '@losskit/core', fn: reg.hinge, shapes: 'same' },
  { name: 'squared-hinge', keras: 'squared_hinge', className: 'SquaredHinge', aliases: ['squaredHinge'], description: 'Mean of max(0, 1 - y_true * y_pred)^2; {0, 1} labels converted to {-1, 1}.', package: '@losskit/core', fn: reg.squaredHinge, shapes: 'same' },
  { name: 'categorical-hinge', keras: 'categorical_hinge', className: 'CategoricalHinge', aliases: ['categoricalHinge'], description: 'max(0, 1 + max negative score - positive score).', package: '@losskit/core', fn: reg.categoricalHinge, shapes: 'same' },
  { name: 'kl-divergence', keras: 'kl_divergence', className: 'KLDivergence', aliases: ['kld', 'KLD', 'kullback_leibler_divergence', 'kullbackLeiblerDivergence', 'klDivergence'], description: 'sum(y_true * log(y_true / y_pred)), both clipped to [eps, 1].', package: '@losskit/core', fn: reg.klDivergence, shapes: 'same' },
  { name: 'poisson', keras: 'poisson', className: 'Poisson', aliases: [], description: 'Mean of y_pred - y_true * log(y_pred + eps).', package: '@losskit/core', fn: reg.poisson, shapes: 'same' },
  { name: 'binary-crossentropy', keras: 'binary_crossentropy', className: 'BinaryCrossentropy', aliases: ['bce', 'BCE', 'binaryCrossentropy'], description: 'Binary cross-entropy of targets in [0, 1], mean over axis.', package: '@losskit/core', options: z.object({ fromLogits, labelSmoothing, axis: classAxis }), fn: ce.binaryCrossentropy, shapes: 'same' },
  { name: 'binary-focal-crossentropy', keras: 'binary_focal_crossentropy', className: 'BinaryFocalCrossentropy', aliases: ['binaryFocalCrossentropy'], description: 'Binary cross-entropy scaled by (1 - p_t)^gamma, optionally class-balanced by alpha.', package: '@losskit/core', options: z.object({ applyClassBalancing: z.boolean().default(false).describe('Weight positives by alpha and negatives by 1 - alpha.'), alpha: focalAlpha, gamma: focalGamma, fromLogits, labelSmoothing, axis: classAxis }), fn: ce.binaryFocalCrossentropy, shapes: 'same' },
  { name: 'categorical-crossentropy', keras: 'categorical_crossentropy', className: 'CategoricalCrossentropy', aliases: ['categoricalCrossentropy'], description: 'Cross-entropy of one-hot (or soft) targets and predicted probabilities or logits.', package: '@losskit/core', options: z.object({ fromLogits, labelSmoothing, axis: classAxis }), fn: ce.categoricalCrossentropy, shapes: 'same' },
  { name: 'categorical-focal-crossentropy', keras: 'categorical_focal_crossentropy', className: 'CategoricalFocalCrossentropy', aliases: ['categoricalFocalCrossentropy'], description: 'Categorical cross-entropy scaled by alpha * (1 - p)^gamma.', package: '@losskit/core', options: z.object({ alpha: focalAlpha, gamma: focalGamma, fromLogits, labelSmoothing, axis: classAxis }), fn: ce.categoricalFocalCrossentropy, shapes: 'same' },
  { name: 'sparse-categorical-crossentropy', keras: 'sparse_categorical_crossentropy', className: 'SparseCategoricalCrossentropy', aliases: ['sparseCategoricalCrossentropy'], description: 'Cross-entropy of integer class labels and predicted probabilities or logits.', package: '@losskit/core', options: z.object({ fromLogits, ignoreClass: z.number().int().nullable().default(null).describe('A label whose samples count for nothing (masked, as in Keras).'), axis: z.literal(-1).default(-1).describe('The class axis; only the last axis (-1) is supported.') }), fn: ce.sparseCategoricalCrossentropy, shapes: 'sparse' },
  { name: 'ctc', keras: 'ctc', className: 'CTC', aliases: [], description: 'Connectionist temporal classification of label sequences (0 = padding and blank) and logits [batch, time, classes].', package: '@losskit/core', fn: ctc, shapes: 'ctc' },
  { name: 'dice', keras: 'dice', className: 'Dice', aliases: [], description: '1 - 2 sum(y_true y_pred) / (sum(y_true) + sum(y_pred) + eps) over axis.', package: '@losskit/core', options: z.object({ axis: overlapAxis }), fn: sim.dice, shapes: 'same' },
  { name: 'tversky', keras: 'tversky', className: 'Tversky', aliases: [], description: '1 - TP / (TP + alpha FP + beta FN + eps) over axis.', package: '@losskit/core', options: z.object({ alpha: z.number().default(0.5).describe('Weight of false positives.'), beta: z.number().default(0.5).describe('Weight of false negatives.'), axis: overlapAxis }), fn: sim.tversky, shapes: 'same' },
  { name: 'circle', keras: 'circle', className: 'Circle', aliases: [], description: 'Circle loss over the pairs of the batch: integer labels [batch] and L2-normalised embeddings [batch, dim].', package: '@losskit/core', options: z.object({ gamma: z.number().positive().default(80).describe('Scale of the similarities.'), margin: z.number().default(0.4).describe('Relaxation margin.'), removeDiagonal: z.boolean().default(true).describe('Leave out each sample paired with itself.') }), fn: sim.circle, shapes: 'circle' },
  { name: 'categorical-generalized-cross-entropy', keras: 'categorical_generalized_cross_entropy', className: 'CategoricalGeneralizedCrossEntropy', aliases: ['categoricalGeneralizedCrossEntropy'], description: '(1 - p_true^q) / q for integer labels: robust to noisy labels.', package: '@losskit/core', options: z.object({ q: z.number().gt(0).max(1).default(0.5).describe('Between cross-entropy (q -> 0) and MAE (q = 1).') }), fn: ce.categoricalGeneralizedCrossEntropy, shapes: 'sparse' },
];

/** Every name of an entry: canonical first, then Keras's function and class names, then aliases. */
export function namesOf(entry: CatalogEntry): string[] {
  return [...new Set([entry.name, entry.keras, entry.className, ...entry.aliases])];
}
