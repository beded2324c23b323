import * as tf from '@tensorflow/tfjs';
import { TrainerInputError } from '../errors.js';
import { checkArrays, checkTargets, sliceRows, takeRows, toTensorList, type Batch, type TensorInput } from './data.js';
import { classWeightsPerOutput, combinedWeights, sampleWeightsPerOutput, type ClassWeightOption, type SampleWeightOption } from './weights.js';

/**
 * A batch of a tf.data.Dataset: `{ xs, ys }` as TF.js's fitDataset takes, or `[xs, ys]`, each
 * with optional sample weights (`{ xs, ys, sampleWeight }`, `[xs, ys, sampleWeight]`).
 */
export type DatasetElement =
  | { xs: TensorInput; ys: TensorInput; sampleWeight?: SampleWeightOption }
  | readonly [TensorInput, TensorInput]
  | readonly [TensorInput, TensorInput, SampleWeightOption];

/** Where batches come from: in-memory tensors (sliced here) or a dataset (already batched). */
export interface BatchSource {
  /** Samples per epoch, when known. */
  readonly size: number | undefined;
  batches(epoch: number, batchSize: number, order: ((size: number) => Int32Array) | undefined): AsyncGenerator<Batch>;
  dispose(): void;
}

type TargetCheck = (outputIndex: number, y: tf.Tensor) => string | undefined;

/** In-memory tensors; owns (and disposes) only the tensors it made, never the caller's. */
export class ArraySource implements BatchSource {
  private constructor(
    private readonly xs: tf.Tensor[],
    private readonly ys: tf.Tensor[],
    private readonly weights: (tf.Tensor | undefined)[],
    readonly size: number,
    private readonly owned: tf.Tensor[],
  ) {}

  static from(
    model: tf.LayersModel,
    x: unknown,
    y: unknown,
    weights: { sampleWeight?: SampleWeightOption | undefined; classWeight?: ClassWeightOption | undefined },
    checkTarget: TargetCheck,
    where: string,
  ): ArraySource {
    // Tensors made here from plain arrays belong to the source, and are freed on any error.
    const made: tf.Tensor[] = [];
    try {
      const xs = toTensorList(x, model.inputNames, 'x', where, made);
      const ys = toTensorList(y, model.outputNames, 'y', where, made);
      const size = checkArrays(model, xs, ys, where);
      checkTargets(model, ys, checkTarget, where);
      const sample = sampleWeightsPerOutput(model, weights.sampleWeight, size);
      const classes = classWeightsPerOutput(model, weights.classWeight);
      const combined = combinedWeights(ys, sample, classes);
      return new ArraySource(xs, ys, combined, size, [...made, ...combined.filter((w): w is tf.Tensor => !!w)]);
    } catch (error) {
      tf.dispose(made);
      throw error;
    }
  }

  /** Inputs only (for predict): batches with no targets or weights. */
  static inputsOnly(model: tf.LayersModel, x: unknown, where: string): ArraySource {
    const made: tf.Tensor[] = [];
    try {
      const xs = toTensorList(x, model.inputNames, 'x', where, made);
      const size = checkArrays(model, xs, [], where);
      return new ArraySource(xs, [], [], size, made);
    } catch (error) {
      tf.dispose(made);
      throw error;
    }
  }

  /** Splits off the last `fraction` of the samples (before any shuffling, as Keras does). */
  split(fraction: number): { train: ArraySource; validation: ArraySource } {
    // Keras and TF.js: the first floor(n * (1 - split)) samples train, the rest validate.
    const trainSize = Math.floor(this.size * (1 - fraction));
    const valSize = this.size - trainSize;
    if (trainSize === 0 || valSize === 0) {
      throw new TrainerInputError(
        `validationSplit ${fraction} of ${this.size} samples leaves ${trainSize} for training and ${valSize} for validation; ` +
          `both need at least one sample. Use more data or another split.`,
      );
    }
    const part = (start: number, size: number) => {
      const cut = (t: tf.Tensor) => sliceRows(t, start, size);
      const xs = this.xs.map(cut);
      const ys = this.ys.map(cut);
      const weights = this.weights.map((w) => (w ? cut(w) : undefined));
      return new ArraySource(xs, ys, weights, size, [...xs, ...ys, ...weights.filter((w): w is tf.Tensor => !!w)]);
    };
    const result = { train: part(0, trainSize), validation: part(trainSize, valSize) };
    this.dispose();
    return result;
  }

  async *batches(_epoch: number, batchSize: number, order: ((size: number) => Int32Array) | undefined): AsyncGenerator<Batch> {
    const indices = order?.(this.size);
    for (let start = 0; start < this.size; start += batchSize) {
      const size = Math.min(batchSize, this.size - start);
      const rows = takeRows([...this.xs, ...this.ys, ...this.weights], start, size, indices);
      const nx = this.xs.length;
      const ny = this.ys.length;
      yield { xs: rows.slice(0, nx) as tf.Tensor[], ys: rows.slice(nx, nx + ny) as tf.Tensor[], weights: rows.slice(nx + ny), size };
    }
  }

  dispose(): void {
    tf.dispose(this.owned);
  }
}

/** A tf.data.Dataset of already-batched `{ xs, ys, sampleWeight? }` elements. */
export class DatasetSource implements BatchSource {
  readonly size = undefined;
  constructor(
    private readonly model: tf.LayersModel,
    private readonly dataset: tf.data.Dataset<tf.TensorContainer>,
    private readonly classWeight: ClassWeightOption | undefined,
    private readonly checkTarget: TargetCheck,
    private readonly where = 'fit',
  ) {}

  async *batches(): AsyncGenerator<Batch> {
    const iterator = await this.dataset.iterator();
    for (let index = 0; ; index++) {
      const { value, done } = await iterator.next();
      if (done) return;
      yield this.toBatch(value, index);
    }
  }

  private toBatch(element: unknown, index: number): Batch {
    const where = `${this.where}: dataset batch ${index}`;
    const made: tf.Tensor[] = [];
    try {
      const { xs: x, ys: y, sampleWeight } = elementParts(element, where);
      const xs = toTensorList(x, this.model.inputNames, 'x', where, made);
      if (index === 0) checkBatched(this.model, xs, where);
      const ys = toTensorList(y, this.model.outputNames, 'y', where, made);
      const size = checkArrays(this.model, xs, ys, where);
      if (index === 0) checkTargets(this.model, ys, this.checkTarget, where);
      const sample = sampleWeightsPerOutput(this.model, sampleWeight, size);
      const weights = combinedWeights(ys, sample, classWeightsPerOutput(this.model, this.classWeight));
      // The element's own weight tensors are replaced by the combined copies; free them now.
      tf.dispose(sample.filter((w): w is tf.Tensor => !!w && !weights.includes(w)));
      return { xs, ys, weights, size };
    } catch (error) {
      // The element's tensors are ours once the iterator handed them over (a batch's are freed
      // after its step): a refused element must not leak them.
      tf.dispose([...made, element as tf.TensorContainer]);
      throw error;
    }
  }

  dispose(): void {}
}

/** `{ xs, ys, sampleWeight? }` or `[xs, ys, sampleWeight?]`, as tfjs's fitDataset accepts both. */
function elementParts(element: unknown, where: string): { xs: unknown; ys: unknown; sampleWeight: SampleWeightOption | undefined } {
  if (Array.isArray(element) && (element.length === 2 || element.length === 3)) {
    return { xs: element[0], ys: element[1], sampleWeight: element[2] as SampleWeightOption | undefined };
  }
  if (typeof element === 'object' && element !== null && !Array.isArray(element) && !(element instanceof tf.Tensor) && 'xs' in element && 'ys' in element) {
    const { xs, ys, sampleWeight, ...rest } = element as { xs: unknown; ys: unknown; sampleWeight?: SampleWeightOption };
    const extra = Object.keys(rest);
    if (extra.length) throw new TrainerInputError(`${where} has key(s) ${extra.join(', ')} besides xs, ys and sampleWeight; map the dataset to { xs, ys } or [xs, ys].`);
    return { xs, ys, sampleWeight };
  }
  if (element instanceof tf.Tensor) {
    throw new TrainerInputError(
      `${where} is one tensor of shape [${element.shape}], not { xs, ys } or [xs, ys]: batching a tf.data.zip([xs, ys]) gives one tensor, not the pair; ` +
        `zip an object instead, tf.data.zip({ xs, ys }).batch(32), or batch each dataset before zipping the array.`,
    );
  }
  throw new TrainerInputError(
    `${where} is neither { xs, ys } nor [xs, ys]; map the dataset to one of them (e.g. tf.data.zip({ xs, ys }).batch(32)), as TF.js fitDataset expects.`,
  );
}

/**
 * A dataset made with tf.data.zip but no .batch(n) yields one sample per element: x then has
 * exactly the model input's shape without the batch axis, and the sample-count check that
 * follows would compare feature sizes. Say what happened instead.
 */
function checkBatched(model: tf.LayersModel, xs: readonly tf.Tensor[], where: string): void {
  const oneSample = xs.every((x, i) => {
    const perSample = model.inputs[i]!.shape.slice(1);
    return x.rank === perSample.length && perSample.every((dim, axis) => dim === null || dim === x.shape[axis]);
  });
  if (!oneSample) return;
  const expected = model.inputs[0]!.shape.map((d) => d ?? 'batch');
  throw new TrainerInputError(
    `${where} looks unbatched: its x has shape [${xs[0]!.shape}], one sample of the model's input [${expected}]; ` +
      `batch the dataset before fitting, e.g. tf.data.zip({ xs, ys }).batch(32).`,
  );
}
