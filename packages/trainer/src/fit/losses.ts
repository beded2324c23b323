import * as tf from '@tensorflow/tfjs';
import { getLossRegistry, isSumSpec, type LossSpec, type ResolvedLoss, type SavedLossSpec, type SumResolvedLoss } from '@losskit/core';
import { TrainerInputError } from '../errors.js';
import { likeInput, perOutput, type PerOutput } from './outputs.js';

/** The loss applied to one model output. */
export interface OutputLoss {
  outputIndex: number;
  outputName: string;
  /** History key: the loss's canonical name, or `<outputName>/<lossName>` for multi-output models. */
  key: string;
  loss: ResolvedLoss;
  /** Its factor in the total loss (`lossWeights`). */
  weight: number;
  /** For a `{ sum: [...] }` loss: a history key per term (`mse`, `out_a/mse`); empty otherwise. */
  partKeys: readonly string[];
  /**
   * Replaces `loss.compute` when there are parts: the loss and each term's value in `partKeys`
   * order (see `sumParts`), from one evaluation of each term.
   */
  computeWithParts?: (yTrue: tf.Tensor, yPred: tf.Tensor, sampleWeight: tf.Tensor | undefined) => { value: tf.Tensor; parts: tf.Scalar[] };
}

export type LossOption = PerOutput<LossSpec>;
export type LossWeightsOption = readonly number[] | Readonly<Record<string, number>>;

export function isSingleLossSpec(value: unknown): value is LossSpec {
  // 'class_name': a Keras serialized loss config, which core resolves like { name, options }
  return typeof value === 'string' || (typeof value === 'object' && value !== null && !Array.isArray(value) && ('name' in value || 'sum' in value || 'class_name' in value));
}

export async function resolveOutputLosses(
  model: tf.LayersModel,
  loss: LossOption,
  lossWeights: LossWeightsOption | undefined,
  plugins: readonly string[] | undefined,
): Promise<{ terms: OutputLoss[]; specs: SavedLossSpec | SavedLossSpec[] | Record<string, SavedLossSpec> }> {
  if (loss === undefined || loss === null) {
    throw new TrainerInputError(`The 'loss' option is required, e.g. loss: 'mse' (import '@losskit/loss-mse' first).`);
  }
  const specs = perOutput(model, loss, isSingleLossSpec, 'loss');
  const weights = resolveLossWeights(model, lossWeights);
  const registry = getLossRegistry();
  const multi = model.outputNames.length > 1;
  const terms: OutputLoss[] = [];
  try {
    for (const [i, spec] of specs.entries()) {
      const resolved = await registry.resolveAsync(spec, { plugins });
      const outputName = model.outputNames[i]!;
      const prefix = multi ? `${outputName}/` : '';
      terms.push({ outputIndex: i, outputName, key: `${prefix}${resolved.name}`, loss: resolved, weight: weights[i]!, ...sumParts(resolved, prefix) });
    }
  } catch (error) {
    for (const term of terms) term.loss.dispose();
    throw error;
  }
  return { terms, specs: likeInput(model, loss, isSingleLossSpec, terms.map((t) => t.loss.spec)) };
}

export function resolveLossWeights(model: tf.LayersModel, lossWeights: LossWeightsOption | undefined): number[] {
  if (lossWeights === undefined) return model.outputNames.map(() => 1);
  const weights = perOutput<number>(model, lossWeights as never, (v): v is number => false, 'lossWeights');
  weights.forEach((w, i) => {
    if (typeof w !== 'number' || !Number.isFinite(w)) {
      throw new TrainerInputError(`lossWeights: the weight of output '${model.outputNames[i]}' is ${String(w)}; give a finite number.`);
    }
  });
  return weights;
}

/** The value that enters the total: reduction 'none' leaves per-sample values, averaged here. */
export function batchMean(value: tf.Tensor): tf.Scalar {
  return (value.rank === 0 ? value : tf.mean(value)) as tf.Scalar;
}

/**
 * A sum `a+b` is logged under its own key and, besides, each term under its canonical name, as
 * core's `SumResolvedLoss.termValues` computes it: the term's loss reduced like the sum (its
 * reduction and sample weights), before the term's weight in the sum, so the weighted terms add
 * up to the sum's value. With reduction 'none' each is averaged over the batch, as the sum is.
 *
 * Not split: a one-term sum (its key already is the term's name) and a sum naming a loss twice
 * (termValues keys its values by name, so two terms of one name cannot be told apart).
 */
function sumParts(resolved: ResolvedLoss, prefix: string): Pick<OutputLoss, 'partKeys' | 'computeWithParts'> {
  const sum = resolved as Partial<SumResolvedLoss>;
  if (!isSumSpec(resolved.spec) || typeof sum.computeWithTermValues !== 'function') return { partKeys: [] };
  const names = resolved.spec.sum.map((term) => term.name);
  if (names.length < 2 || new Set(names).size !== names.length) return { partKeys: [] };
  const computeWithTermValues = sum.computeWithTermValues.bind(resolved);
  return {
    partKeys: names.map((name) => `${prefix}${name}`),
    computeWithParts: (yTrue, yPred, sampleWeight) => {
      const { value, termValues } = computeWithTermValues(yTrue, yPred, sampleWeight);
      return { value, parts: names.map((name) => batchMean(termValues.get(name)!)) };
    },
  };
}
