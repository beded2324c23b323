import * as tf from '@tensorflow/tfjs';
import { ShapeMismatchError } from '@losskit/core';
import { TrainerInputError } from '../errors.js';
import type { CompiledLoss } from './compiled-loss.js';
import type { FitSettings } from './settings.js';
import { ArraySource, DatasetSource, type BatchSource } from './sources.js';
import type { SampleWeightOption } from './weights.js';

/** What fit or evaluate was given: in-memory x and y, or a dataset of batches. */
export type FitData = { x: unknown; y: unknown } | { dataset: tf.data.Dataset<tf.TensorContainer> };

export function isDataset(value: unknown): value is tf.data.Dataset<tf.TensorContainer> {
  return typeof value === 'object' && value !== null && !(value instanceof tf.Tensor) && typeof (value as { iterator?: unknown }).iterator === 'function';
}

/**
 * Sorts fit/evaluate's positional arguments: `(x, y, options)` or `(dataset, options)`. A
 * dataset carries its targets and its batching, so `(dataset, y, ...)` and a batchSize with a
 * dataset are refused rather than ignored.
 */
export function splitArguments(where: 'fit' | 'evaluate', x: unknown, second: unknown, third: unknown): { data: FitData; options: unknown } {
  if (isDataset(x)) {
    if (third !== undefined || second instanceof tf.Tensor || Array.isArray(second) || isDataset(second)) {
      throw new TrainerInputError(
        `${where}(dataset, y, ...): a dataset carries its targets in its elements ({ xs, ys } or [xs, ys]); call ${where}(dataset, options).`,
      );
    }
    // The dataset's own .batch(n) sets the batches; a batchSize here would be silently ignored.
    if (typeof second === 'object' && second !== null && Object.hasOwn(second, 'batchSize')) {
      throw new TrainerInputError(
        `${where}(dataset, { batchSize }): a dataset is batched by the dataset itself, so batchSize does nothing here; drop it and call dataset.batch(n) before ${where}.`,
      );
    }
    return { data: { dataset: x }, options: second };
  }
  return { data: { x, y: second }, options: third };
}

/**
 * Whether output i's loss accepts targets y whose shape differs from the output's (sparse
 * labels): undefined when it does, else what to add to the shape error ('' when nothing).
 */
export function targetCheck(model: tf.LayersModel, loss: CompiledLoss): (outputIndex: number, y: tf.Tensor) => string | undefined {
  return (outputIndex, y) => {
    const outputShape = model.outputs[outputIndex]!.shape.slice(1);
    if (outputShape.some((dim) => dim === null)) return ' (The output has unknown dimensions, so the loss could not be tried on these targets.)';
    const resolved = loss.lossOf(outputIndex);
    if (!resolved) return undefined;
    try {
      tf.tidy(() => {
        const sample = tf.slice(y, y.shape.map(() => 0), y.shape.map((dim, axis) => (axis === 0 ? 1 : dim)));
        resolved.perSample(sample, tf.zeros([1, ...(outputShape as number[])]));
      });
      return undefined;
    } catch (error) {
      // The probe is one sample: a plain shape mismatch from the loss names [1, ...] shapes, which
      // the caller's message already gives for the real batch. Anything else (label encoding) is kept.
      if (error instanceof ShapeMismatchError && / but y_pred has shape /.test(error.message)) return '';
      return ` The loss, tried on the first sample, reported: ${(error as Error).message}`;
    }
  };
}

/**
 * The training and validation sources of a fit. Every source made is pushed to `owned` as soon
 * as it exists, so the caller frees them all, also when a later step throws.
 */
export function fitSources(model: tf.LayersModel, loss: CompiledLoss, data: FitData, settings: FitSettings, owned: BatchSource[]): { train: BatchSource; validation?: BatchSource } {
  const check = targetCheck(model, loss);
  let train: BatchSource;
  let validation: BatchSource | undefined;
  if ('dataset' in data) {
    train = new DatasetSource(model, data.dataset, settings.classWeight, check);
    owned.push(train);
  } else {
    const all = ArraySource.from(model, data.x, data.y, settings, check, 'fit');
    owned.push(all);
    train = all;
    if (settings.validationSplit) {
      const split = all.split(settings.validationSplit);
      owned.push(split.train, split.validation);
      train = split.train;
      validation = split.validation;
    }
  }
  const given = settings.validationData;
  if (given !== undefined) {
    if (isDataset(given)) validation = new DatasetSource(model, given, undefined, check, 'fit: validationData');
    else {
      if (!Array.isArray(given) || given.length < 2 || given.length > 3) {
        throw new TrainerInputError('fit: validationData must be [x, y], [x, y, sampleWeight] or a tf.data.Dataset.');
      }
      const [vx, vy, vw] = given as readonly [unknown, unknown, SampleWeightOption?];
      validation = ArraySource.from(model, vx, vy, { sampleWeight: vw }, check, 'fit: validationData');
    }
    owned.push(validation);
  }
  return validation ? { train, validation } : { train };
}

/** The source evaluate reads: in-memory x and y with optional sample weights, or a dataset. */
export function evaluationSource(model: tf.LayersModel, loss: CompiledLoss, data: FitData, sampleWeight: SampleWeightOption | undefined): BatchSource {
  const check = targetCheck(model, loss);
  if ('dataset' in data) return new DatasetSource(model, data.dataset, undefined, check, 'evaluate');
  return ArraySource.from(model, data.x, data.y, { sampleWeight }, check, 'evaluate');
}
