import * as tf from '@tensorflow/tfjs';
import { TrainerInputError } from '../errors.js';
import { checkArrays, checkTargets, sliceRows, takeRows, toTensorList, type Batch, type TensorInput } from './data.js';
import { classWeightsPerOutput, combinedWeights, sampleWeightsPerOutput, type ClassWeightOption, type SampleWeightOption } from './weights.js';

/** A batch of a tf.data.Dataset: `{ xs, ys }` as TF.js's fitDataset takes, plus optional weights. */
export interface DatasetElement {
  xs: TensorInput;
  ys: TensorInput;
  sampleWeight?: SampleWeightOption;
}

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
    x: TensorInput,
    y: TensorInput,
    weights: { sampleWeight?: SampleWeightOption; classWeight?: ClassWeightOption },
    checkTarget: TargetCheck,
    where: string,
  ): ArraySource {
    const xs = toTensorList(x, model.inputNames, 'x');
    const ys = toTensorList(y, model.outputNames, 'y');
    const size = checkArrays(model, xs, ys, where);
    checkTargets(model, ys, checkTarget, where);
    const sample = sampleWeightsPerOutput(model, weights.sampleWeight, size);
    const classes = classWeightsPerOutput(model, weights.classWeight);
    const combined = combinedWeights(ys, sample, classes);
    return new ArraySource(xs, ys, combined, size, combined.filter((w): w is tf.Tensor => !!w));
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
  ) {}

  async *batches(): AsyncGenerator<Batch> {
    const iterator = await this.dataset.iterator();
    for (let index = 0; ; index++) {
      const { value, done } = await iterator.next();
      if (done) return;
      yield this.toBatch(value as unknown as DatasetElement, index);
    }
  }

  private toBatch(element: DatasetElement, index: number): Batch {
    const where = `fit: dataset batch ${index}`;
    if (typeof element !== 'object' || element === null || !('xs' in element) || !('ys' in element)) {
      throw new TrainerInputError(`${where} is not { xs, ys }; map the dataset to objects with xs and ys (as TF.js fitDataset expects).`);
    }
    const xs = toTensorList(element.xs, this.model.inputNames, 'x');
    const ys = toTensorList(element.ys, this.model.outputNames, 'y');
    const size = checkArrays(this.model, xs, ys, where);
    if (index === 0) checkTargets(this.model, ys, this.checkTarget, where);
    const sample = sampleWeightsPerOutput(this.model, element.sampleWeight, size);
    const weights = combinedWeights(ys, sample, classWeightsPerOutput(this.model, this.classWeight));
    // The element's own weight tensors are replaced by the combined copies; free them now.
    tf.dispose(sample.filter((w): w is tf.Tensor => !!w && !weights.includes(w)));
    return { xs, ys, weights, size };
  }

  dispose(): void {}
}
