import * as tf from '@tensorflow/tfjs';
import { getLossRegistry, type LossSpec, type ResolvedLoss, type SavedLossSpec } from '@losskit/core';
import type { NormalizedConfig } from './config.js';
import { seededRandom, sizeOf, uniformValues } from './random.js';

/** What every check gets: the config, the registry and helpers bound to them. */
export class CheckContext {
  readonly registry = getLossRegistry();

  constructor(readonly config: NormalizedConfig) {}

  /** Resolves through resolve, so plugins with asynchronous setup are ready. */
  resolve(spec: LossSpec): Promise<ResolvedLoss> {
    return this.registry.resolve(spec, this.config.container ? { container: this.config.container } : {});
  }

  /** Option sets the numeric checks run with: the defaults (when every option has one), then validOptions. */
  optionSets(): Record<string, unknown>[] {
    const defaults = this.registry.describe(this.config.name).defaults;
    const sets = defaults ? [{}] : [];
    return [...sets, ...this.config.validOptions.map((options) => ({ ...options }))];
  }

  /** Random y_true and y_pred of a shape, the same for the same seed and salt. */
  randomInputs(shape: readonly number[], salt = 0): { yTrue: tf.Tensor; yPred: tf.Tensor } {
    const random = seededRandom(this.config.seed + salt);
    const count = sizeOf(shape);
    return {
      yTrue: tf.tensor(uniformValues(random, count, this.config.valueRange.yTrue), [...shape], 'float32'),
      yPred: tf.tensor(uniformValues(random, count, this.config.valueRange.yPred), [...shape], 'float32'),
    };
  }

  /** The first configured input shape: the one the costlier checks use. */
  get primaryShape(): readonly number[] {
    return this.config.inputs[0] ?? [4, 3];
  }

  describeOptions(options: Record<string, unknown>): string {
    return Object.keys(options).length ? `options ${JSON.stringify(options)}` : 'default options';
  }
}

/** The options a resolved spec carries (validated, defaults filled in); {} for a spec without. */
export function specOptions(spec: SavedLossSpec): Record<string, unknown> {
  return (spec as { options?: Record<string, unknown> }).options ?? {};
}
