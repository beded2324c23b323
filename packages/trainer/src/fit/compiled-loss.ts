import * as tf from '@tensorflow/tfjs';
import { getLossRegistry, type LossSpec, type ResolvedLoss, type SavedLossSpec } from '@losskit/core';
import { NonFiniteLossError, TrainerInputError } from '../errors.js';
import { nonNegativeNumber } from '../options/strict.js';
import { likeInput, perOutput, type PerOutput } from './outputs.js';

export type LossOption = PerOutput<LossSpec>;
/** Factor of each output's loss in the total; an output left out of a keyed object weighs 1. */
export type LossWeightsOption = readonly number[] | Readonly<Record<string, number>>;

/** The loss of one model output. */
export interface OutputLoss {
  outputIndex: number;
  outputName: string;
  /** `<output>_loss` on a multi-output model (as TF.js logs it); '' for one output (its loss is `loss`). */
  key: string;
  loss: ResolvedLoss;
  /** Its factor in the total (`lossWeights`). */
  weight: number;
  /** For a loss with several terms (a sum): `loss/<term>` or `<output>_loss/<term>`; empty otherwise. */
  termKeys: readonly string[];
}

export function isSingleLossSpec(value: unknown): value is LossSpec {
  // 'class_name': a Keras serialized loss config, which core resolves like { name, options }
  return typeof value === 'string' || (typeof value === 'object' && value !== null && !Array.isArray(value) && ('name' in value || 'sum' in value || 'class_name' in value));
}

/**
 * What `compile` makes of the `loss` and `lossWeights` options, like Keras's CompileLoss: the
 * loss of each output, their weights, the history keys of the values it computes and the
 * naming of a non-finite one. One instance per trainer set-up; `dispose` frees the plugins.
 *
 * History keys (in `keys` order): `loss` (the total, with regularization penalties), then for
 * a multi-output model `<output>_loss` per output, then each term of a sum as `loss/<term>`
 * (`<output>_loss/<term>` on a multi-output model), each before its weight in the sum.
 */
export class CompiledLoss {
  /** History keys of the logged loss values, `loss` first. */
  readonly keys: readonly string[];

  private constructor(
    readonly outputs: readonly OutputLoss[],
    /** The resolved specs (canonical names, options filled in), shaped like the `loss` option. */
    readonly specs: SavedLossSpec | SavedLossSpec[] | Record<string, SavedLossSpec>,
    private readonly multiOutput: boolean,
  ) {
    this.keys = ['loss', ...outputs.flatMap((o) => [...(multiOutput ? [o.key] : []), ...o.termKeys])];
  }

  static async compile(
    model: tf.LayersModel,
    loss: LossOption | undefined,
    lossWeights: LossWeightsOption | undefined,
    plugins: readonly string[] | undefined,
  ): Promise<CompiledLoss> {
    if (loss === undefined || loss === null) {
      throw new TrainerInputError(`The 'loss' option is required, e.g. loss: 'mse' (import '@losskit/loss-mse' first).`);
    }
    const specs = perOutput(model, loss, isSingleLossSpec, 'loss');
    const weights = lossWeightsPerOutput(model, lossWeights);
    const multi = model.outputNames.length > 1;
    const outputs: OutputLoss[] = [];
    try {
      for (const [i, spec] of specs.entries()) {
        const resolved = await getLossRegistry().resolve(spec, { plugins });
        const outputName = model.outputNames[i]!;
        const key = multi ? `${outputName}_loss` : '';
        outputs.push({ outputIndex: i, outputName, key, loss: resolved, weight: weights[i]!, termKeys: termKeys(resolved, multi ? key : 'loss') });
      }
    } catch (error) {
      for (const output of outputs) output.loss.dispose();
      throw error;
    }
    return new CompiledLoss(outputs, likeInput(model, loss, isSingleLossSpec, outputs.map((o) => o.loss.spec)), multi);
  }

  get weights(): number[] {
    return this.outputs.map((o) => o.weight);
  }

  /**
   * The total (weighted sum over outputs, plus regularization penalties when training) and the
   * values logged after it, in `keys` order. Runs inside the caller's gradient scope.
   */
  compute(model: tf.LayersModel, ys: readonly tf.Tensor[], preds: readonly tf.Tensor[], sampleWeights: readonly (tf.Tensor | undefined)[], training: boolean): { total: tf.Scalar; logged: tf.Scalar[] } {
    const logged: tf.Scalar[] = [];
    const weighted: tf.Scalar[] = [];
    for (const output of this.outputs) {
      const i = output.outputIndex;
      const { value, terms } = output.termKeys.length
        ? output.loss.reducedWithTerms(ys[i]!, preds[i]!, sampleWeights[i])
        : { value: output.loss.reduced(ys[i]!, preds[i]!, sampleWeights[i]), terms: [] };
      const mean = batchMean(value);
      if (this.multiOutput) logged.push(mean);
      // A sum's terms are for the log only: off the gradient path, so backprop skips them.
      for (const term of terms) logged.push(batchMean(term));
      weighted.push(output.weight === 1 ? mean : (tf.mul(mean, output.weight) as tf.Scalar));
    }
    // One output with weight 1 (the common case) needs no extra kernel for the total.
    let total = weighted.length === 1 ? weighted[0]! : (tf.addN(weighted) as tf.Scalar);
    // Kernel/activity regularizers, as model.fit adds them.
    if (training) for (const penalty of model.calculateLosses()) total = tf.add(total, penalty);
    return { total, logged };
  }

  /**
   * The error for a step whose values (in `keys` order) are not all finite: it names the most
   * precise culprit, a sum's term before the output it spoils, the output before the total.
   */
  nonFinite(values: ArrayLike<number>, epoch: number, batch: number): NonFiniteLossError {
    const bad = this.keys.map((key, k) => ({ key, value: values[k]! })).filter(({ value }) => !Number.isFinite(value));
    const worst = bad.find(({ key }) => key.includes('/')) ?? bad.find(({ key }) => key !== 'loss');
    if (worst) return new NonFiniteLossError(worst.key, worst.value, epoch, batch);
    // Only the total: one output's loss (named after it) or the regularization penalties.
    const single = this.outputs.length === 1 && !this.multiOutput ? this.outputs[0]!.loss.name : undefined;
    const total = values[0]!;
    return new NonFiniteLossError(single ?? 'loss (regularization penalties)', total, epoch, batch);
  }

  /** The output's loss, for the target-shape probe (sparse labels are legal for some losses). */
  lossOf(outputIndex: number): ResolvedLoss | undefined {
    return this.outputs.find((o) => o.outputIndex === outputIndex)?.loss;
  }

  dispose(): void {
    for (const output of this.outputs) output.loss.dispose();
  }
}

export function lossWeightsPerOutput(model: tf.LayersModel, lossWeights: LossWeightsOption | undefined): number[] {
  if (lossWeights === undefined) return model.outputNames.map(() => 1);
  const isSingle = (v: unknown): v is number => typeof v === 'number' || typeof v === 'string';
  const weights = perOutput<number>(model, lossWeights as never, isSingle, 'lossWeights', { value: 1 });
  return weights.map((w, i) => nonNegativeNumber(w, `lossWeights: the weight of output '${model.outputNames[i]}'`));
}

/** The value that enters the total: reduction 'none' leaves per-sample values, averaged here. */
export function batchMean(value: tf.Tensor): tf.Scalar {
  return (value.rank === 0 ? value : tf.mean(value)) as tf.Scalar;
}

/** `<prefix>/<term>` per term of a loss with several; a name used twice gets `_2`, `_3`, ... */
function termKeys(loss: ResolvedLoss, prefix: string): string[] {
  if (loss.terms.length < 2) return [];
  const seen = new Map<string, number>();
  return loss.terms.map(({ name }) => {
    const count = (seen.get(name) ?? 0) + 1;
    seen.set(name, count);
    return `${prefix}/${name}${count > 1 ? `_${count}` : ''}`;
  });
}
