import type * as tf from '@tensorflow/tfjs';
import { getLossRegistry, type LossSpec, type ResolvedLoss, type SavedLossSpec } from '@losskit/core';
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
}

export type LossOption = PerOutput<LossSpec>;
export type LossWeightsOption = readonly number[] | Readonly<Record<string, number>>;

export function isSingleLossSpec(value: unknown): value is LossSpec {
  return typeof value === 'string' || (typeof value === 'object' && value !== null && !Array.isArray(value) && ('name' in value || 'sum' in value));
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
      terms.push({ outputIndex: i, outputName, key: multi ? `${outputName}/${resolved.name}` : resolved.name, loss: resolved, weight: weights[i]! });
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
