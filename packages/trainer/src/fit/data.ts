import * as tf from '@tensorflow/tfjs';
import { TrainerInputError } from '../errors.js';

/**
 * Tensors as given: one tensor, an array in input/output order, or an object keyed by name.
 * A nested array of numbers (one row per sample) stands for the float32 tensor it makes.
 */
export type TensorInput = tf.Tensor | readonly tf.Tensor[] | Readonly<Record<string, tf.Tensor>> | NestedNumbers;
export type NestedNumbers = readonly number[] | readonly NestedNumbers[];

/** One batch (or a whole data set), in the model's input and output order. */
export interface Batch {
  xs: tf.Tensor[];
  ys: tf.Tensor[];
  /** Per-output sample weights (sampleWeight x classWeight), or undefined where unweighted. */
  weights: (tf.Tensor | undefined)[];
  size: number;
}

/**
 * Orders tensors by the model's input (or output) names and checks their count. Plain
 * (nested) number arrays are converted to float32 tensors, pushed to `made` for the caller to
 * dispose; flat typed arrays are refused with the tensor call that would shape them.
 */
export function toTensorList(value: unknown, names: readonly string[], what: 'x' | 'y', where: string, made: tf.Tensor[]): tf.Tensor[] {
  const role = what === 'x' ? 'input' : 'output';
  if (value === undefined || value === null) {
    throw new TrainerInputError(`${where}: ${what} is missing; pass a tensor (or one per model ${role}).`);
  }
  let list: unknown[];
  if (value instanceof tf.Tensor || ArrayBuffer.isView(value) || (names.length === 1 && isNumericData(value))) list = [value];
  else if (Array.isArray(value)) list = [...value];
  else if (typeof value === 'object') {
    const record = value as Record<string, unknown>;
    const unknown = Object.keys(record).filter((key) => !names.includes(key));
    if (unknown.length) {
      throw new TrainerInputError(`${where}: ${what} has key(s) ${unknown.join(', ')} that are not model ${role}s; the model's ${role}s are ${names.join(', ')}.`);
    }
    list = names.map((name) => {
      if (!Object.hasOwn(record, name)) throw new TrainerInputError(`${where}: ${what} has no tensor for model ${role} '${name}'.`);
      return record[name];
    });
  } else {
    throw new TrainerInputError(`${where}: ${what} must be a tensor, an array of tensors or an object keyed by ${role} name (got ${typeof value}).`);
  }
  if (list.length !== names.length) {
    throw new TrainerInputError(
      `${where}: ${what} has ${list.length} tensor(s) but the model has ${names.length} ${role}(s) (${names.join(', ')}); give one per ${role}.`,
    );
  }
  return list.map((item, i) => {
    const label = `${where}: ${what}${names.length > 1 ? ` for ${role} '${names[i]}'` : ''}`;
    const tensor = asTensor(item, label, made);
    if (tensor.isDisposed) throw new TrainerInputError(`${label} was already disposed.`);
    if (tensor.rank === 0) throw new TrainerInputError(`${label} is a scalar; the first axis must be the samples.`);
    if (tensor.dtype === 'string') {
      throw new TrainerInputError(`${label} has dtype 'string'; training needs numbers: encode the values (e.g. class labels as integers, then tf.oneHot).`);
    }
    return tensor;
  });
}

function isNumericData(value: unknown): boolean {
  return ArrayBuffer.isView(value) || (Array.isArray(value) && value.length > 0 && (typeof value[0] === 'number' || Array.isArray(value[0])));
}

/** Where a nested array stops being rectangular numbers, or undefined when it is. */
function raggedness(value: readonly unknown[], path: string): string | undefined {
  const first = value[0];
  for (let i = 0; i < value.length; i++) {
    const item = value[i];
    if (Array.isArray(first)) {
      if (!Array.isArray(item) || item.length !== first.length) return `${path}[${i}] has ${Array.isArray(item) ? item.length : 'no'} entries where ${path}[0] has ${first.length}`;
      const inner = raggedness(item, `${path}[${i}]`);
      if (inner) return inner;
    } else if (typeof item !== 'number') {
      return `${path}[${i}] is ${Array.isArray(item) ? 'an array' : typeof item}, not a number`;
    }
  }
  return undefined;
}

function asTensor(item: unknown, label: string, made: tf.Tensor[]): tf.Tensor {
  if (item instanceof tf.Tensor) return item;
  if (ArrayBuffer.isView(item)) {
    const length = (item as unknown as ArrayLike<number>).length;
    throw new TrainerInputError(
      `${label} is a ${item.constructor.name} of ${length} values, which has no shape; make a tensor with one row per sample, ` +
        `e.g. tf.tensor2d(data, [samples, ${'features'}]) with samples * features = ${length}.`,
    );
  }
  if (Array.isArray(item)) {
    // tf.tensor checks only the first row of each level: check every row, then convert.
    const problem = raggedness(item, 'x');
    if (problem) throw new TrainerInputError(`${label} is not a rectangular array of numbers (${problem}); pass a tensor, e.g. tf.tensor2d(rows).`);
    const tensor = tf.tensor(item as number[], undefined, 'float32');
    made.push(tensor);
    return tensor;
  }
  throw new TrainerInputError(`${label} is not a tensor (got ${item === null ? 'null' : typeof item}); pass a tf.Tensor or a nested array of numbers.`);
}

/** Checks that every tensor has the same number of samples and that x fits the model's inputs. */
export function checkArrays(model: tf.LayersModel, xs: tf.Tensor[], ys: tf.Tensor[], where: string): number {
  const xCount = xs[0]!.shape[0]!;
  const mismatchX = xs.find((t) => t.shape[0] !== xCount);
  if (mismatchX) throw new TrainerInputError(`${where}: the x tensors have different sample counts (${xs.map((t) => t.shape[0]).join(', ')}); every input needs one row per sample.`);
  const badY = ys.findIndex((t) => t.shape[0] !== xCount);
  if (badY >= 0) {
    throw new TrainerInputError(
      `${where}: x has ${xCount} samples but y${ys.length > 1 ? ` (output '${model.outputNames[badY]}')` : ''} has ${ys[badY]!.shape[0]}; ` +
        `x and y need the same number of samples (first axis).`,
    );
  }
  if (xCount === 0) throw new TrainerInputError(`${where}: the data is empty (0 samples); pass at least one sample.`);
  xs.forEach((x, i) => {
    const expected = model.inputs[i]!.shape;
    if (!fits(x.shape, expected)) {
      throw new TrainerInputError(
        `${where}: x for input '${model.inputNames[i]}' has shape [${x.shape}] but the model expects [${expected.map((d) => d ?? 'batch')}]; reshape the data or the model's input layer.`,
      );
    }
  });
  return xCount;
}

/** y must match the output's shape, unless the output's loss accepts another (e.g. sparse labels); `lossAccepts` returns what to add to the error. */
export function checkTargets(model: tf.LayersModel, ys: tf.Tensor[], lossAccepts: (i: number, y: tf.Tensor) => string | undefined, where: string): void {
  ys.forEach((y, i) => {
    const expected = model.outputs[i]!.shape;
    if (fits(y.shape, expected)) return;
    const lossSays = lossAccepts(i, y);
    if (lossSays === undefined) return;
    throw new TrainerInputError(
      `${where}: y for output '${model.outputNames[i]}' has shape [${y.shape}] but the model outputs [${expected.map((d) => d ?? 'batch')}]` +
        `; make the targets match the last layer (e.g. one-hot encode class labels, or change the last layer's units).${lossSays}`,
    );
  });
}

function fits(actual: readonly number[], expected: readonly (number | null)[]): boolean {
  return actual.length === expected.length && expected.every((dim, axis) => axis === 0 || dim === null || dim === actual[axis]);
}

/** Rows [start, start+size) of every tensor, or the rows in `indices`. */
export function takeRows(tensors: readonly (tf.Tensor | undefined)[], start: number, size: number, order: Int32Array | undefined): (tf.Tensor | undefined)[] {
  // One sample-weight tensor often serves every output: take its rows once and share them
  // (disposing a tensor twice is harmless in TF.js).
  const taken = new Map<tf.Tensor, tf.Tensor>();
  const take = (rows: (t: tf.Tensor) => tf.Tensor) => (t: tf.Tensor | undefined) => {
    if (!t) return undefined;
    let result = taken.get(t);
    if (!result) taken.set(t, (result = rows(t)));
    return result;
  };
  if (!order) return tensors.map(take((t) => sliceRows(t, start, size)));
  return tf.tidy(() => {
    const indices = tf.tensor1d(order.subarray(start, start + size), 'int32');
    return tensors.map(take((t) => tf.gather(t, indices))) as tf.Tensor[];
  });
}

export function sliceRows(t: tf.Tensor, start: number, size: number): tf.Tensor {
  const begin = t.shape.map((_, axis) => (axis === 0 ? start : 0));
  const sizes = t.shape.map((dim, axis) => (axis === 0 ? size : dim));
  return tf.slice(t, begin, sizes);
}

export function disposeBatch(batch: Batch): void {
  tf.dispose([...batch.xs, ...batch.ys, ...batch.weights.filter((w): w is tf.Tensor => w !== undefined)]);
}
