import * as tf from '@tensorflow/tfjs';
import type { SavedState } from './artifacts.js';
import { TrainerFileError } from './errors.js';
import { lossNamesIn, specsWithoutPackages } from './loss-check.js';
import type { HistoryRecord, SavedLossSpecs } from './manifest.js';
import { applyOptimizerState, checkSavedOptimizer, createOptimizer, decodeOptimizerState, type NamedTensor } from './optimizer-state.js';
import { checkOptimizerSlots } from './optimizer-slots.js';
import type { ArtifactsManifest } from './schemas.js';

/**
 * The one restore path, wherever a save was read from (a directory, or the artifacts of any tf.io
 * handler): build a new model and optimizer from a checked SavedState (materialize) or put it into
 * a trainer's own (restoreInto). Whatever fails frees every tensor it decoded.
 */

/** Everything a save restores, ready to build a Trainer from. */
export interface LoadedTrainerState {
  /** The directory, URL or handler it was loaded from (for messages). */
  dir: string;
  /** The file (or location) holding the manifest: losses, lossWeights and metrics are its fields. */
  manifestFile: string;
  model: tf.LayersModel;
  optimizer: tf.Optimizer;
  lossSpecs: SavedLossSpecs;
  /** Per output, in output order. */
  lossWeights?: number[];
  /** The `metrics` option the trainer was built with. */
  metrics?: ArtifactsManifest['metrics'];
  epochsCompleted: number;
  seed?: number | string;
  history?: HistoryRecord;
  run?: { id: string; nextEpoch: number };
  /** Recorded settings: `backend`, and `plugins` (for messages only; never imported). */
  trainer: NonNullable<ArtifactsManifest['trainer']>;
}

/** Builds a new model and optimizer from a save. */
export async function materialize(state: SavedState): Promise<{ model: tf.LayersModel; optimizer: tf.Optimizer }> {
  const saved = state.manifest.optimizer;
  checkSavedOptimizer(saved, state.labels.manifest);
  const model = await buildModel(state);
  let values: NamedTensor[] = [];
  let optimizer: tf.Optimizer | undefined;
  try {
    values = decodeOptimizerState(saved, state.optimizerData, state.labels.optimizer);
    await checkOptimizerSlots(saved, values, model.trainableWeights, state.labels.optimizer);
    optimizer = createOptimizer(saved, state.labels.manifest);
    await applyOptimizerState(optimizer, saved, values, state.labels.optimizer);
    return { model, optimizer };
  } catch (error) {
    tf.dispose(values.map((v) => v.tensor));
    optimizer?.dispose();
    model.dispose();
    throw error;
  }
}

/** What restoreInto overwrites in place. */
export interface RestoreTarget {
  readonly model: tf.LayersModel;
  readonly optimizer: tf.Optimizer;
  readonly lossSpecs: unknown;
  epochsCompleted: number;
}

/**
 * Puts a save (a checkpoint) into a trainer's own model and optimizer. Everything is checked and
 * decoded first; nothing on the trainer changes when the save does not fit it.
 */
export async function restoreInto(target: RestoreTarget, state: SavedState): Promise<void> {
  const { manifest } = state;
  const dir = state.labels.dir;
  const savedLosses = specsWithoutPackages(manifest.losses);
  const currentLosses = specsWithoutPackages(target.lossSpecs);
  if (savedLosses !== currentLosses) {
    // Names only: the saved specs' options and weights are the file's contents.
    throw new TrainerFileError(
      `${state.labels.manifest}: the checkpoint's losses (${lossNamesIn(manifest.losses as SavedLossSpecs)}) differ from this trainer's ` +
        `(${lossNamesIn(target.lossSpecs as SavedLossSpecs)}) in their names, options, weights or reductions. ` +
        `Resume with the losses the run was started with, or use another checkpoint directory.`,
    );
  }
  const className = target.optimizer.getClassName();
  if (manifest.optimizer.className !== className) {
    throw new TrainerFileError(
      `The checkpoint ${dir} holds ${manifest.optimizer.className} optimizer state, but this trainer uses ` +
        `${className}. Resume with the same optimizer, or use another checkpoint directory.`,
    );
  }
  checkSavedOptimizer(manifest.optimizer, state.labels.manifest);
  // Everything is decoded and checked against the trainer's model and optimizer before the
  // first value is written: a failure leaves the trainer exactly as it was.
  const weights = decodeModelWeights(state);
  let optimizerValues: NamedTensor[] = [];
  try {
    checkWeightsFit(target.model, weights, state.labels.model);
    optimizerValues = decodeOptimizerState(manifest.optimizer, state.optimizerData, state.labels.optimizer);
    await checkOptimizerSlots(manifest.optimizer, optimizerValues, target.model.trainableWeights, state.labels.optimizer);
    // The optimizer first: an optimizer class the application registered itself has slots no
    // check above knows, and its setWeights may still refuse them; the model's weights were
    // checked to fit, so setting them next cannot leave the two halves apart.
    await applyOptimizerState(target.optimizer, manifest.optimizer, optimizerValues, state.labels.optimizer);
    try {
      target.model.setWeights(weights);
    } catch (error) {
      throw Object.assign(new TrainerFileError(`The weights in ${dir} do not fit this trainer's model (${(error as Error)?.name}); the files are corrupt.`), { cause: error });
    }
  } finally {
    tf.dispose(optimizerValues.map((v) => v.tensor));
    tf.dispose(weights);
  }
  target.epochsCompleted = manifest.epochsCompleted;
}

/** The model's weights in saved order (the order of `model.weights`, which tfjs saves in). */
function decodeModelWeights(state: ModelParts): tf.Tensor[] {
  let decoded: tf.NamedTensorMap;
  try {
    decoded = tf.tidy(() => tf.io.decodeWeights(state.artifacts.weightData, state.artifacts.weightSpecs));
  } catch (error) {
    throw new TrainerFileError(`The weights in ${state.labels.dir} cannot be decoded (${(error as Error).name}); the files are corrupt.`);
  }
  const values = state.artifacts.weightSpecs.map((spec) => decoded[spec.name]);
  if (values.some((v) => v === undefined) || Object.keys(decoded).length !== values.length) {
    tf.dispose(Object.values(decoded));
    throw new TrainerFileError(`${state.labels.model} names its weights inconsistently (a name twice); the file is corrupt.`);
  }
  return values as tf.Tensor[];
}

/** What building a model needs of a save: its (model-only) artifacts and how to name them. */
export type ModelParts = Pick<SavedState, 'artifacts' | 'labels'>;

/**
 * The topology deserialized by tfjs (registered layer classes only), then the saved weights loaded
 * into it; on failure nothing is left behind (unlike tf.loadLayersModel, whose decoded weights
 * stay allocated when they do not fit).
 */
export async function buildModel(state: ModelParts): Promise<tf.LayersModel> {
  const modelFile = state.labels.model;
  let model: tf.LayersModel;
  try {
    model = await tf.models.modelFromJSON({ modelTopology: state.artifacts.modelTopology } as never);
  } catch (error) {
    // TF.js's message quotes the topology (the unknown class name, the layer config): kept as the cause only.
    throw Object.assign(
      new TrainerFileError(
        `${modelFile}: modelTopology cannot be built by TF.js (${(error as Error)?.name}): it names a layer class that is not registered ` +
          '(register custom layers with tf.serialization.registerClass before loading) or a layer config is corrupt.',
      ),
      { cause: error },
    );
  }
  if (!(model instanceof tf.LayersModel)) {
    throw new TrainerFileError(`${modelFile} does not describe a layers model; the file is corrupt.`);
  }
  try {
    const weights = decodeModelWeights(state);
    try {
      const named = Object.fromEntries(state.artifacts.weightSpecs.map((spec, i) => [spec.name, weights[i]!]));
      model.loadWeights(named, true);
    } finally {
      tf.dispose(weights);
    }
  } catch (error) {
    model.dispose();
    if (error instanceof TrainerFileError) throw error;
    throw Object.assign(
      new TrainerFileError(`${modelFile}: the weights in weightsManifest do not fit the model its modelTopology describes (${(error as Error)?.name}); the files are corrupt.`),
      { cause: error },
    );
  }
  return model;
}

/**
 * The saved weights against the model's, in model.weights order: count, shape and dtype. TF.js's
 * setWeights checks each layer as it goes (a dtype mismatch throws after earlier layers were
 * replaced), so all of it is checked here first.
 */
function checkWeightsFit(model: tf.LayersModel, weights: readonly tf.Tensor[], modelFile: string): void {
  const own = model.weights;
  if (own.length !== weights.length) {
    throw new TrainerFileError(
      `${modelFile} holds weights for another model (this trainer's model has ${own.length} weight tensors). Resume with the model architecture the checkpoint was written for.`,
    );
  }
  own.forEach((variable, i) => {
    const value = weights[i]!;
    if (!sameShape(variable.shape, value.shape) || value.dtype !== variable.dtype) {
      throw new TrainerFileError(
        `${modelFile}: weightsManifest weight ${i} does not fit '${variable.originalName}' of this trainer's model, a ${variable.dtype} tensor of shape ` +
          `[${variable.shape.join(', ')}]. Resume with the model architecture the checkpoint was written for, or restore the checkpoint.`,
      );
    }
  });
}

function sameShape(a: readonly (number | null)[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((dim, i) => dim === b[i]);
}

/** A new model and optimizer from a checked save, with the manifest's other fields. */
export async function loadedState(state: SavedState): Promise<LoadedTrainerState> {
  const { model, optimizer } = await materialize(state);
  const { manifest } = state;
  return {
    dir: state.labels.dir,
    manifestFile: state.labels.manifest,
    model,
    optimizer,
    lossSpecs: manifest.losses as SavedLossSpecs,
    ...(manifest.lossWeights !== undefined ? { lossWeights: manifest.lossWeights } : {}),
    ...(manifest.metrics !== undefined ? { metrics: manifest.metrics } : {}),
    epochsCompleted: manifest.epochsCompleted,
    ...(manifest.seed !== undefined ? { seed: manifest.seed } : {}),
    ...(manifest.history ? { history: manifest.history } : {}),
    ...(manifest.run ? { run: manifest.run } : {}),
    trainer: manifest.trainer ?? {},
  };
}
