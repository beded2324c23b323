import * as tf from '@tensorflow/tfjs';
import { LossKitError, ShapeMismatchError } from './errors.js';
import type { LossPlugin } from './plugin.js';
import { asFloat, checkNumericTensor } from './loss-inputs.js';
import { DEFAULT_REDUCTION, reduceInScope, type Reduction } from './reduction.js';
import type { SavedLossSpec, SavedSingleLossSpec } from './spec.js';

/**
 * One term of a loss: a single loss is one term of weight 1; a `{ sum: [...] }` loss has one
 * per summand. Names: a *term* is always a summand of one output's loss (never an output).
 */
export interface LossTerm {
  /** Canonical name of the term's loss. */
  readonly name: string;
  /** Its factor in the sum (1 for a single loss). */
  readonly weight: number;
}

/** The reduced loss and, from the same evaluation, each term's reduced value before its weight. */
export interface ReducedWithTerms {
  /** As `reduced` returns it. */
  value: tf.Tensor;
  /**
   * In `terms` order. Weighted by the terms' weights they add up to `value` (element-wise for
   * reduction 'none'). For a single loss this is `[value]`, the same tensor.
   */
  terms: tf.Tensor[];
}

/**
 * A loss ready to use: built plugin(s), validated options, a reduction.
 *
 * Vocabulary, the same everywhere in losskit: `perSample` gives per-sample values (what a
 * plugin's `compute` returns), `reduced` applies the reduction and sample weights.
 */
export interface ResolvedLoss {
  /** Canonical name, or `a+b` for a sum; used as the key in training logs. */
  readonly name: string;
  readonly reduction: Reduction;
  /** Plain JSON that resolves to the same loss again. */
  readonly spec: SavedLossSpec;
  /** The summands: one for a single loss, one per entry of a `{ sum: [...] }` loss. */
  readonly terms: readonly LossTerm[];
  /** Per-sample values (batch first), before reduction and sample weights. */
  perSample(yTrue: tf.Tensor, yPred: tf.Tensor): tf.Tensor;
  /** The reduced loss (a scalar, or per-sample values for `none`), sample weights applied. */
  reduced(yTrue: tf.Tensor, yPred: tf.Tensor, sampleWeight?: tf.Tensor): tf.Tensor;
  /** `reduced` and each term's reduced value, from one evaluation of each term. */
  reducedWithTerms(yTrue: tf.Tensor, yPred: tf.Tensor, sampleWeight?: tf.Tensor): ReducedWithTerms;
  /** @deprecated The old name of `reduced` (kept for one release; `compute` means per-sample on a plugin). */
  compute(yTrue: tf.Tensor, yPred: tf.Tensor, sampleWeight?: tf.Tensor): tf.Tensor;
  /** A function for `model.compile({ loss })`, named after the loss so logs never say ''. */
  asTfjsLoss(): (yTrue: tf.Tensor, yPred: tf.Tensor) => tf.Tensor;
  /** Whether a plugin still has asynchronous setup (`prepare`) to run before first use. */
  readonly needsPrepare: boolean;
  /** Runs the plugins' asynchronous setup, if any; `registry.resolve` has already done it. */
  prepare(): Promise<void>;
  dispose(): void;
}

/**
 * `registry.resolveSync` was given a loss whose plugin has asynchronous setup: it would fail at
 * its first use, so it is refused at resolution instead.
 */
export class LossNotPreparedError extends LossKitError {}

abstract class BaseResolvedLoss implements ResolvedLoss {
  abstract readonly name: string;
  abstract readonly reduction: Reduction;
  abstract readonly spec: SavedLossSpec;
  abstract readonly terms: readonly LossTerm[];
  abstract readonly needsPrepare: boolean;
  abstract perSample(yTrue: tf.Tensor, yPred: tf.Tensor): tf.Tensor;
  abstract reducedWithTerms(yTrue: tf.Tensor, yPred: tf.Tensor, sampleWeight?: tf.Tensor): ReducedWithTerms;
  abstract prepare(): Promise<void>;
  abstract dispose(): void;

  reduced(yTrue: tf.Tensor, yPred: tf.Tensor, sampleWeight?: tf.Tensor): tf.Tensor {
    if (sampleWeight !== undefined) checkNumericTensor(this.name, 'sampleWeight', sampleWeight);
    return tf.tidy(() => reduceInScope(this.perSample(yTrue, yPred), this.reduction, sampleWeight, this.name));
  }

  compute(yTrue: tf.Tensor, yPred: tf.Tensor, sampleWeight?: tf.Tensor): tf.Tensor {
    return this.reduced(yTrue, yPred, sampleWeight);
  }

  asTfjsLoss(): (yTrue: tf.Tensor, yPred: tf.Tensor) => tf.Tensor {
    const fn = (yTrue: tf.Tensor, yPred: tf.Tensor) => this.reduced(yTrue, yPred);
    Object.defineProperty(fn, 'name', { value: this.name });
    return fn;
  }
}

export class SingleResolvedLoss extends BaseResolvedLoss {
  constructor(
    readonly name: string,
    private readonly plugin: LossPlugin,
    readonly spec: SavedSingleLossSpec,
    readonly reduction: Reduction,
  ) {
    super();
  }

  // A getter, not a field: resolution is hot (a trainer resolves per output, tools resolve in
  // loops) and most callers never ask for the terms of a single loss.
  get terms(): readonly LossTerm[] {
    return [{ name: this.name, weight: 1 }];
  }

  private prepared = false;

  get needsPrepare(): boolean {
    if (this.prepared || typeof this.plugin.prepare !== 'function') return false;
    return !(this.plugin.isPrepared?.() ?? false);
  }

  reducedWithTerms(yTrue: tf.Tensor, yPred: tf.Tensor, sampleWeight?: tf.Tensor): ReducedWithTerms {
    const value = this.reduced(yTrue, yPred, sampleWeight);
    return { value, terms: [value] };
  }

  perSample(yTrue: tf.Tensor, yPred: tf.Tensor): tf.Tensor {
    checkNumericTensor(this.name, 'yTrue', yTrue);
    checkNumericTensor(this.name, 'yPred', yPred);
    this.checkInputs(yTrue, yPred);
    // y_pred only: a plugin may keep reading y_true after compute returns (a Keras mask is
    // rebuilt from it when the reduction asks), so it must stay the caller's tensor.
    const values = tf.tidy(() => this.plugin.compute(yTrue, asFloat(yPred)));
    const batch = yPred.shape[0];
    if (values.rank === 0 ? !this.plugin.batchScalar : values.shape[0] !== batch) {
      const shape = values.shape;
      values.dispose();
      throw new ShapeMismatchError(
        `Loss plugin '${this.name}' returned values of shape [${shape}] for a batch of ${batch}; ` +
          `a plugin's compute() must return per-sample values with the batch on the first axis ` +
          `(e.g. reduce over the other axes with axis=-1, not over the batch).`,
      );
    }
    return values;
  }

  async prepare(): Promise<void> {
    await this.plugin.prepare?.();
    this.prepared = true;
  }

  dispose(): void {
    this.plugin.dispose?.();
  }

  private checkInputs(yTrue: tf.Tensor, yPred: tf.Tensor): void {
    if (this.plugin.validateShapes) {
      this.plugin.validateShapes(yTrue.shape, yPred.shape);
      return;
    }
    if (!sameShape(yTrue.shape, yPred.shape)) {
      throw new ShapeMismatchError(
        `Loss '${this.name}': y_true has shape [${yTrue.shape}] but y_pred has shape [${yPred.shape}]. ` +
          `They must match: check that the model's last layer has as many units as the targets have ` +
          `values, and that labels are encoded the way the loss expects.`,
      );
    }
  }
}

export class SumResolvedLoss extends BaseResolvedLoss {
  readonly name: string;
  readonly spec: SavedLossSpec;

  constructor(
    private readonly members: readonly SingleResolvedLoss[],
    readonly reduction: Reduction = DEFAULT_REDUCTION,
  ) {
    super();
    this.name = members.map((term) => term.name).join('+');
    this.spec = { sum: members.map((term) => term.spec), reduction };
  }

  perSample(yTrue: tf.Tensor, yPred: tf.Tensor): tf.Tensor {
    return tf.tidy(() => this.weightedSum(this.members.map((term) => term.perSample(yTrue, yPred))));
  }

  get terms(): readonly LossTerm[] {
    return this.members.map((term) => ({ name: term.name, weight: termWeight(term) }));
  }

  get needsPrepare(): boolean {
    return this.members.some((term) => term.needsPrepare);
  }

  /** The terms are the costly part of a sum, and a training step that logs them needs both. */
  reducedWithTerms(yTrue: tf.Tensor, yPred: tf.Tensor, sampleWeight?: tf.Tensor): ReducedWithTerms {
    if (sampleWeight !== undefined) checkNumericTensor(this.name, 'sampleWeight', sampleWeight);
    return tf.tidy(() => {
      const perTerm = this.members.map((term) => term.perSample(yTrue, yPred));
      return {
        value: reduceInScope(this.weightedSum(perTerm), this.reduction, sampleWeight, this.name),
        terms: this.members.map((term, i) => reduceInScope(perTerm[i]!, this.reduction, sampleWeight, term.name)),
      };
    });
  }

  private weightedSum(perTerm: readonly tf.Tensor[]): tf.Tensor {
    const weighted = perTerm.map((values, i) => tf.mul(values, termWeight(this.members[i]!)));
    const mismatch = weighted.find((values) => !sameShape(values.shape, weighted[0]!.shape));
    if (mismatch) {
      throw new ShapeMismatchError(
        `Sum loss '${this.name}': its terms return per-sample values of different shapes ` +
          `(${weighted.map((values, i) => `${this.members[i]!.name}: [${values.shape}]`).join(', ')}); ` +
          `only losses with the same per-sample shape can be summed.`,
      );
    }
    return tf.addN(weighted);
  }

  async prepare(): Promise<void> {
    for (const term of this.members) await term.prepare();
  }

  dispose(): void {
    for (const term of this.members) term.dispose();
  }
}

function termWeight(term: SingleResolvedLoss): number {
  return term.spec.weight ?? 1;
}

function sameShape(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((dim, i) => dim === b[i]);
}
