import * as tf from '@tensorflow/tfjs';
import { TrainerInputError } from '../errors.js';
import { perOutput } from './outputs.js';

/** Class index -> weight. Classes not listed weigh 1. */
export type ClassWeightMap = Readonly<Record<number, number>>;
export type SampleWeightOption = tf.Tensor | readonly tf.Tensor[] | Readonly<Record<string, tf.Tensor>>;
export type ClassWeightOption = ClassWeightMap | readonly ClassWeightMap[] | Readonly<Record<string, ClassWeightMap>>;

const isTensor = (v: unknown): v is tf.Tensor => v instanceof tf.Tensor;
const isClassMap = (v: unknown): v is ClassWeightMap =>
  typeof v === 'object' && v !== null && !Array.isArray(v) && Object.keys(v).every((k) => /^\d+$/.test(k));

/** Per output; an output left out of a keyed object (or given undefined) is unweighted. */
export function sampleWeightsPerOutput(model: tf.LayersModel, option: SampleWeightOption | undefined, samples: number): (tf.Tensor | undefined)[] {
  if (option === undefined) return model.outputNames.map(() => undefined);
  const list = perOutput<tf.Tensor | undefined>(model, option, isTensor, 'sampleWeight', { value: undefined });
  const checked = new Set<tf.Tensor>();
  list.forEach((w, i) => {
    if (w === undefined) return;
    if (!isTensor(w)) throw new TrainerInputError(`sampleWeight for output '${model.outputNames[i]}' is not a tensor; pass a tensor with one weight per sample, e.g. tf.tensor1d(weights).`);
    if (w.rank === 0 || w.shape[0] !== samples) {
      throw new TrainerInputError(
        `sampleWeight for output '${model.outputNames[i]}' has shape [${w.shape}] but there are ${samples} samples; ` +
          `pass one weight per sample (shape [${samples}]).`,
      );
    }
    if (!checked.has(w)) {
      checked.add(w);
      // Read once per data set: a negative or NaN weight would silently train the wrong way.
      const [min, finite] = tf.tidy(() => [tf.min(w), tf.all(tf.isFinite(w))]).map((t) => {
        const v = t.dataSync()[0]!;
        t.dispose();
        return v;
      });
      if (!finite || min! < 0) {
        throw new TrainerInputError(
          `sampleWeight for output '${model.outputNames[i]}' has ${!finite ? 'a non-finite value' : `a negative value (${min})`}; weights must be finite and >= 0.`,
        );
      }
    }
  });
  return list;
}

export function classWeightsPerOutput(model: tf.LayersModel, option: ClassWeightOption | undefined): (ClassWeightMap | undefined)[] {
  if (option === undefined) return model.outputNames.map(() => undefined);
  const list = perOutput<ClassWeightMap | undefined>(model, option, isClassMap, 'classWeight', { value: undefined });
  list.forEach((map, i) => {
    if (map === undefined) return;
    const output = model.outputNames[i]!;
    if (!isClassMap(map)) throw new TrainerInputError(`classWeight for output '${output}' must map class indices (0, 1, ...) to weights, e.g. { 0: 1, 1: 5 }.`);
    const classes = classCount(model, i);
    for (const [cls, w] of Object.entries(map)) {
      if (typeof w !== 'number' || !Number.isFinite(w) || w < 0) {
        throw new TrainerInputError(`classWeight for output '${output}': class ${cls} has weight ${String(w)}; use a finite number >= 0.`);
      }
      if (classes !== undefined && Number(cls) >= classes) {
        throw new TrainerInputError(
          `classWeight for output '${output}': class ${cls} does not exist; the output has ${classes} classes (0 to ${classes - 1}).`,
        );
      }
    }
  });
  return list;
}

/** Classes of an output: its units, or 2 for a single sigmoid unit; undefined when unknown. */
function classCount(model: tf.LayersModel, outputIndex: number): number | undefined {
  const shape = model.outputs[outputIndex]!.shape;
  const units = shape[shape.length - 1];
  if (typeof units !== 'number') return undefined;
  return units === 1 ? 2 : units;
}

/**
 * Per-sample weights from class weights: one-hot targets (last axis > 1) pick the class by
 * argmax, integer targets ([batch] or [batch, 1]) are the class. Read once per data set.
 */
export function classWeightsFor(y: tf.Tensor, map: ClassWeightMap): tf.Tensor {
  const oneHot = y.rank > 1 && y.shape[y.rank - 1]! > 1;
  const labelShape = y.rank > 1 ? y.shape.slice(0, -1) : y.shape;
  const labels = tf.tidy(() => (oneHot ? tf.argMax(y, -1) : tf.reshape(y, labelShape)));
  const classes = labels.dataSync();
  labels.dispose();
  const weights = new Float32Array(classes.length);
  for (let i = 0; i < classes.length; i++) weights[i] = map[Math.round(classes[i]!)] ?? 1;
  return tf.tensor(weights, labelShape, 'float32');
}

/** sampleWeight x classWeight for each output, as new tensors the caller disposes. */
export function combinedWeights(ys: readonly tf.Tensor[], sample: readonly (tf.Tensor | undefined)[], cls: readonly (ClassWeightMap | undefined)[]): (tf.Tensor | undefined)[] {
  // Outputs given the same sample weights (one tensor for all) share one float32 copy.
  const casts = new Map<tf.Tensor, tf.Tensor>();
  return ys.map((y, i) => {
    const sw = sample[i];
    const map = cls[i];
    if (!map) {
      if (!sw) return undefined;
      if (!casts.has(sw)) casts.set(sw, tf.cast(sw, 'float32'));
      return casts.get(sw);
    }
    const fromClasses = classWeightsFor(y, map);
    if (!sw) return fromClasses;
    return tf.tidy(() => {
      let aligned = tf.cast(sw, 'float32');
      if (aligned.rank === 2 && aligned.shape[1] === 1) aligned = tf.squeeze(aligned, [1]);
      while (aligned.rank < fromClasses.rank) aligned = tf.expandDims(aligned, -1);
      const product = tf.mul(aligned, fromClasses);
      fromClasses.dispose();
      return product;
    });
  });
}
