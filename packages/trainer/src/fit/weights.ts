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

export function sampleWeightsPerOutput(model: tf.LayersModel, option: SampleWeightOption | undefined, samples: number): (tf.Tensor | undefined)[] {
  if (option === undefined) return model.outputNames.map(() => undefined);
  const list = perOutput<tf.Tensor>(model, option, isTensor, 'sampleWeight');
  list.forEach((w, i) => {
    if (!isTensor(w)) throw new TrainerInputError(`sampleWeight for output '${model.outputNames[i]}' is not a tensor; pass a tensor with one weight per sample.`);
    if (w.rank === 0 || w.shape[0] !== samples) {
      throw new TrainerInputError(
        `sampleWeight for output '${model.outputNames[i]}' has shape [${w.shape}] but there are ${samples} samples; ` +
          `pass one weight per sample (shape [${samples}]).`,
      );
    }
  });
  return list;
}

export function classWeightsPerOutput(model: tf.LayersModel, option: ClassWeightOption | undefined): (ClassWeightMap | undefined)[] {
  if (option === undefined) return model.outputNames.map(() => undefined);
  const list = perOutput<ClassWeightMap>(model, option, isClassMap, 'classWeight');
  list.forEach((map, i) => {
    if (!isClassMap(map)) throw new TrainerInputError(`classWeight for output '${model.outputNames[i]}' must map class indices (0, 1, ...) to weights, e.g. { 0: 1, 1: 5 }.`);
    for (const [cls, w] of Object.entries(map)) {
      if (typeof w !== 'number' || !Number.isFinite(w) || w < 0) {
        throw new TrainerInputError(`classWeight for output '${model.outputNames[i]}': class ${cls} has weight ${String(w)}; use a finite number >= 0.`);
      }
    }
  });
  return list;
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
