import * as tf from '@tensorflow/tfjs';
import { ShapeMismatchError } from './errors.js';
import type { LossPlugin } from './plugin.js';
import { DEFAULT_REDUCTION, reduceLoss, type Reduction } from './reduction.js';
import type { SavedLossSpec, SavedSingleLossSpec } from './spec.js';

/** A loss ready to use: built plugin(s), validated options, a reduction. */
export interface ResolvedLoss {
  /** Canonical name, or `a+b` for a sum; used as the key in training logs. */
  readonly name: string;
  readonly reduction: Reduction;
  /** Plain JSON that resolves to the same loss again. */
  readonly spec: SavedLossSpec;
  /** Per-sample values (batch first), before reduction and sample weights. */
  perSample(yTrue: tf.Tensor, yPred: tf.Tensor): tf.Tensor;
  /** The reduced loss (a scalar, or per-sample values for `none`), sample weights applied. */
  compute(yTrue: tf.Tensor, yPred: tf.Tensor, sampleWeight?: tf.Tensor): tf.Tensor;
  /** A function for `model.compile({ loss })`, named after the loss so logs never say ''. */
  asTfjsLoss(): (yTrue: tf.Tensor, yPred: tf.Tensor) => tf.Tensor;
  /** Runs the plugins' asynchronous setup, if any; resolveAsync has already done it. */
  prepare(): Promise<void>;
  dispose(): void;
}

abstract class BaseResolvedLoss implements ResolvedLoss {
  abstract readonly name: string;
  abstract readonly reduction: Reduction;
  abstract readonly spec: SavedLossSpec;
  abstract perSample(yTrue: tf.Tensor, yPred: tf.Tensor): tf.Tensor;
  abstract prepare(): Promise<void>;
  abstract dispose(): void;

  compute(yTrue: tf.Tensor, yPred: tf.Tensor, sampleWeight?: tf.Tensor): tf.Tensor {
    return tf.tidy(() => reduceLoss(this.perSample(yTrue, yPred), this.reduction, sampleWeight, this.name));
  }

  asTfjsLoss(): (yTrue: tf.Tensor, yPred: tf.Tensor) => tf.Tensor {
    const fn = (yTrue: tf.Tensor, yPred: tf.Tensor) => this.compute(yTrue, yPred);
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

  perSample(yTrue: tf.Tensor, yPred: tf.Tensor): tf.Tensor {
    this.checkInputs(yTrue, yPred);
    const values = tf.tidy(() => this.plugin.compute(yTrue, yPred));
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
    private readonly terms: readonly SingleResolvedLoss[],
    readonly reduction: Reduction = DEFAULT_REDUCTION,
  ) {
    super();
    this.name = terms.map((term) => term.name).join('+');
    this.spec = { sum: terms.map((term) => term.spec), reduction };
  }

  perSample(yTrue: tf.Tensor, yPred: tf.Tensor): tf.Tensor {
    return tf.tidy(() => this.weightedSum(this.terms.map((term) => term.perSample(yTrue, yPred))));
  }

  /**
   * Each term's value before its weight, reduced with the sum's reduction and sample weights,
   * for logging; keys are the terms' names. Weighted by the terms' weights they add up to
   * `compute` (element-wise for 'none').
   */
  termValues(yTrue: tf.Tensor, yPred: tf.Tensor, sampleWeight?: tf.Tensor): Map<string, tf.Tensor> {
    return new Map(
      this.terms.map((term) => [
        term.name,
        tf.tidy(() => reduceLoss(term.perSample(yTrue, yPred), this.reduction, sampleWeight, term.name)),
      ]),
    );
  }

  /**
   * `compute` and `termValues` together, from one evaluation of each term: the terms are the
   * costly part of a sum, and a training step that logs them needs both.
   */
  computeWithTermValues(
    yTrue: tf.Tensor,
    yPred: tf.Tensor,
    sampleWeight?: tf.Tensor,
  ): { value: tf.Tensor; termValues: Map<string, tf.Tensor> } {
    const { value, terms } = tf.tidy(() => {
      const perTerm = this.terms.map((term) => term.perSample(yTrue, yPred));
      return {
        value: reduceLoss(this.weightedSum(perTerm), this.reduction, sampleWeight, this.name),
        terms: this.terms.map((term, i) => reduceLoss(perTerm[i]!, this.reduction, sampleWeight, term.name)),
      };
    });
    return { value, termValues: new Map(this.terms.map((term, i) => [term.name, terms[i]!])) };
  }

  private weightedSum(perTerm: readonly tf.Tensor[]): tf.Tensor {
    const parts = perTerm.map((values, i) => tf.mul(values, termWeight(this.terms[i]!)));
    const mismatch = parts.find((part) => !sameShape(part.shape, parts[0]!.shape));
    if (mismatch) {
      throw new ShapeMismatchError(
        `Sum loss '${this.name}': its terms return per-sample values of different shapes ` +
          `(${parts.map((part, i) => `${this.terms[i]!.name}: [${part.shape}]`).join(', ')}); ` +
          `only losses with the same per-sample shape can be summed.`,
      );
    }
    return tf.addN(parts);
  }

  async prepare(): Promise<void> {
    for (const term of this.terms) await term.prepare();
  }

  dispose(): void {
    for (const term of this.terms) term.dispose();
  }
}

function termWeight(term: SingleResolvedLoss): number {
  return term.spec.weight ?? 1;
}

function sameShape(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((dim, i) => dim === b[i]);
}
