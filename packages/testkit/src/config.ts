import type * as tf from '@tensorflow/tfjs';
import type { DependencyContainer } from '@losskit/core';
import { checkConfigKeys, checkIds, checkRange, valueRanges, type ValueRangeConfig } from './config-check.js';
import { TestkitUsageError } from './errors.js';

/** The checks the kit runs, in order. */
export const CHECK_IDS = [
  'registration',
  'options',
  'shapes',
  'finite',
  'gradient',
  'reductions',
  'determinism',
  'memory',
  'serialization',
] as const;
export type CheckId = (typeof CHECK_IDS)[number];

/**
 * Inputs where a loss must stay finite (values and gradient): each tensor filled with one
 * value, or 'random' (drawn from valueRange, as the other checks draw them), or for y_pred
 * 'same' (identical to y_true).
 */
export interface EdgeCase {
  label: string;
  yTrue: number | 'random';
  yPred: number | 'random' | 'same';
}

export interface Tolerance {
  /** Relative tolerance. */
  rtol?: number;
  /** Absolute tolerance. */
  atol?: number;
}

export interface GradientTolerance extends Tolerance {
  /** Central-difference step, relative to max(1, |y_pred|). */
  step?: number;
  /**
   * Compare at most this many elements of y_pred, evenly spaced (default: all). For losses
   * that need large inputs (MS-SSIM's five scales need 161x161 images), where differencing
   * every element would take minutes.
   */
  maxElements?: number;
}

/**
 * What to check about one registered loss. Everything but `name` has a default; import the
 * plugin (so that it registers) before running the checks.
 */
export interface LossPluginTestConfig {
  /** The canonical name the plugin registers. */
  name: string;
  /** Expected aliases (exact set); when omitted, whatever aliases are declared must resolve. */
  aliases?: readonly string[];
  /** Expected options an empty spec resolves to. */
  defaults?: Record<string, unknown>;
  /** Options the schema must accept; each is also run through the numeric checks. */
  validOptions?: readonly Record<string, unknown>[];
  /** Options the schema must reject with InvalidOptionsError. */
  invalidOptions?: readonly Record<string, unknown>[];
  /** Shapes of y_true and y_pred, batch first. Default: [[4, 3], [2, 5], [3, 2, 4]]. */
  inputs?: readonly (readonly number[])[];
  /**
   * Ranges random inputs are drawn from: `[low, high]` for both, or `{ yTrue?, yPred? }`.
   * Default: inputRange, else [-1, 1], for both.
   */
  valueRange?: ValueRangeConfig;
  /**
   * The range a loss's inputs must lie in (images in [0, maxVal], probabilities in [0, 1]).
   * When set, random inputs are drawn from it and the default edge cases are taken inside it
   * (edgeCasesForRange): the default ones (1e4 and -1e4) lie outside such a range.
   */
  inputRange?: readonly [number, number];
  /** Default: zeros, equal large values, large values apart; with inputRange, edgeCasesForRange(inputRange). */
  edgeCases?: readonly EdgeCase[];
  /** Expected per-sample shape for an input shape. Default: the input shape without its last axis. */
  perSampleShape?: (inputShape: readonly number[]) => number[];
  /** An independent implementation of the per-sample values, compared on random and edge inputs. */
  reference?: (yTrue: tf.Tensor, yPred: tf.Tensor, options: Record<string, unknown>) => tf.Tensor;
  /** Where the plugin's dependencies come from (passed to resolve). */
  container?: DependencyContainer;
  /** Shapes of y_true and y_pred the loss must refuse. Default: [[2, 3], [2, 4]]. */
  mismatchedShapes?: readonly [readonly number[], readonly number[]];
  /** Tolerance of values against the reference and of reductions against the per-sample values. */
  tolerance?: Tolerance;
  gradient?: GradientTolerance;
  /** Seed of the random inputs, so a failure can be reproduced. */
  seed?: number;
  /** Checks not to run, e.g. ['gradient'] for a loss that is not differentiable in y_pred. */
  skip?: readonly CheckId[];
}

export type NormalizedConfig = Required<
  Omit<LossPluginTestConfig, 'aliases' | 'defaults' | 'reference' | 'container' | 'valueRange' | 'tolerance' | 'gradient' | 'inputRange'>
> &
  Pick<LossPluginTestConfig, 'aliases' | 'defaults' | 'reference' | 'container'> & {
    valueRange: { yTrue: readonly [number, number]; yPred: readonly [number, number] };
    tolerance: Required<Tolerance>;
    gradient: Required<GradientTolerance>;
  };

export const DEFAULT_EDGE_CASES: readonly EdgeCase[] = [
  { label: 'zeros', yTrue: 0, yPred: 0 },
  { label: 'equal large values', yTrue: 1e4, yPred: 1e4 },
  { label: 'large values apart', yTrue: -1e4, yPred: 1e4 },
  { label: 'zero target, large prediction', yTrue: 0, yPred: 1e4 },
];

/**
 * Edge cases inside [low, high]: both ends, the ends against each other, a constant middle,
 * identical random inputs, random against each end. For losses such as SSIM whose inputs
 * must lie in a data range: constant, all-zero, identical and extreme images.
 */
export function edgeCasesForRange([low, high]: readonly [number, number]): EdgeCase[] {
  const middle = (low + high) / 2;
  return [
    { label: 'both at the low end', yTrue: low, yPred: low },
    { label: 'both at the high end', yTrue: high, yPred: high },
    { label: 'low end against high end', yTrue: low, yPred: high },
    { label: 'high end against low end', yTrue: high, yPred: low },
    { label: 'constant middle against other constant', yTrue: middle, yPred: (middle + high) / 2 },
    { label: 'identical random inputs', yTrue: 'random', yPred: 'same' },
    { label: 'random against the low end', yTrue: 'random', yPred: low },
    { label: 'low end against random', yTrue: low, yPred: 'random' },
  ];
}

/**
 * Refuses a config the kit cannot follow (no name, unknown keys or check ids, malformed
 * ranges). Reads only plain data: `container` may be a getter that builds a network lazily,
 * and describeLossPlugin calls this when mocha loads the file, before any backend is ready.
 */
export function validateConfig(config: LossPluginTestConfig): void {
  if (!config || typeof config.name !== 'string' || !config.name) {
    throw new TestkitUsageError('@losskit/testkit: the config needs the name of the loss to check, e.g. { name: "huber" }.');
  }
  checkConfigKeys(config);
  checkIds(config.skip, CHECK_IDS, 'config.skip');
  valueRanges(config.valueRange, config.inputRange === undefined ? [-1, 1] : checkRange(config.inputRange, 'inputRange'));
}

export function normalizeConfig(config: LossPluginTestConfig): NormalizedConfig {
  validateConfig(config);
  const inputRange = config.inputRange;
  return {
    name: config.name,
    aliases: config.aliases,
    defaults: config.defaults,
    validOptions: config.validOptions ?? [],
    invalidOptions: config.invalidOptions ?? [],
    inputs: config.inputs ?? [[4, 3], [2, 5], [3, 2, 4]],
    valueRange: valueRanges(config.valueRange, inputRange ?? [-1, 1]),
    edgeCases: config.edgeCases ?? (inputRange ? edgeCasesForRange(inputRange) : DEFAULT_EDGE_CASES),
    perSampleShape: config.perSampleShape ?? ((shape) => shape.slice(0, -1)),
    reference: config.reference,
    container: config.container,
    mismatchedShapes: config.mismatchedShapes ?? [[2, 3], [2, 4]],
    tolerance: { rtol: config.tolerance?.rtol ?? 1e-5, atol: config.tolerance?.atol ?? 1e-6 },
    // float32: a step of 1e-2 keeps the rounding error of a difference of losses (~1e-7 |L| / h)
    // well below the tolerance, while the truncation error of a central difference is O(h^2).
    gradient: {
      step: config.gradient?.step ?? 1e-2,
      rtol: config.gradient?.rtol ?? 1e-2,
      atol: config.gradient?.atol ?? 1e-4,
      maxElements: config.gradient?.maxElements ?? Infinity,
    },
    seed: config.seed ?? 20240607,
    skip: config.skip ?? [],
  };
}
