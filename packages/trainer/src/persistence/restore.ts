import * as tf from '@tensorflow/tfjs';
import path from 'node:path';
import { TrainerFileError } from './errors.js';
import { MODEL_JSON, readDeclaredFiles, readModelArtifacts, weightBytes } from './fs-model-io.js';
import { ensureLossesResolvable, specsWithoutPackages, type LoadTrainerOptions } from './loss-check.js';
import { applyOptimizerState, createOptimizer, decodeOptimizerState, type NamedTensor } from './optimizer-state.js';
import { readTrainerManifest, TRAINER_JSON, type HistoryRecord, type SavedLossSpecs, type TrainerManifest } from './trainer-files.js';

/**
 * The one restore path. `Trainer.load`, `Trainer.resume` and `fit({ resume })` all read a save
 * with readSavedState (schema-checked manifest, losses resolvable, every file confined, sized and
 * read, no tensor made yet) and then either build a new model and optimizer from it
 * (materialize) or put it into a trainer's own (restoreInto). Whatever fails frees every
 * tensor it decoded.
 */

/** A save read from disk and checked, before any tensor exists. */
export interface SavedState {
  dir: string;
  manifest: TrainerManifest;
  artifacts: tf.io.ModelArtifacts & { weightSpecs: tf.io.WeightsManifestEntry[]; weightData: ArrayBuffer };
  optimizerData: ArrayBuffer;
}

/** Everything a saved trainer directory restores, ready to build a Trainer from. */
export interface LoadedTrainerState {
  dir: string;
  model: tf.LayersModel;
  optimizer: tf.Optimizer;
  lossSpecs: SavedLossSpecs;
  /** Per output, in output order. */
  lossWeights?: number[];
  /** The `metrics` option the trainer was built with. */
  metrics?: TrainerManifest['metrics'];
  epochsCompleted: number;
  seed?: number | string;
  history?: HistoryRecord;
  run?: { id: string; nextEpoch: number };
  /** Recorded settings: `backend`, and `plugins` (for messages only; never imported). */
  trainer: NonNullable<TrainerManifest['trainer']>;
}

export async function readSavedState(dir: string, options: LoadTrainerOptions = {}): Promise<SavedState> {
  const absolute = path.resolve(dir);
  const manifest = await readTrainerManifest(absolute);
  const manifestFile = path.join(absolute, TRAINER_JSON);
  if (manifest.model.file !== MODEL_JSON) {
    throw new TrainerFileError(`${manifestFile} names the model file '${manifest.model.file}'; losskit saves it as ${MODEL_JSON}. The file is corrupt.`);
  }
  await ensureLossesResolvable(manifest, absolute, options);
  const artifacts = (await readModelArtifacts(absolute)) as SavedState['artifacts'];
  const optimizerBytes = weightBytes(manifest.optimizer.weights.map((w) => w.spec), manifestFile);
  const optimizerData = await readDeclaredFiles(absolute, [manifest.optimizer.file], optimizerBytes, manifestFile, 'optimizer state');
  return { dir: absolute, manifest, artifacts, optimizerData };
}

/** Builds a new model and optimizer from a save. */
export async function materialize(state: SavedState): Promise<{ model: tf.LayersModel; optimizer: tf.Optimizer }> {
  const model = await buildModel(state);
  let optimizer: tf.Optimizer | undefined;
  try {
    const optimizerFile = path.join(state.dir, state.manifest.optimizer.file);
    const values = decodeOptimizerState(state.manifest.optimizer, state.optimizerData, optimizerFile);
    optimizer = createOptimizerOrFree(state, values);
    await applyOptimizerState(optimizer, state.manifest.optimizer, values);
    return { model, optimizer };
  } catch (error) {
    optimizer?.dispose();
    model.dispose();
    throw error;
  }
}

function createOptimizerOrFree(state: SavedState, values: NamedTensor[]): tf.Optimizer {
  try {
    return createOptimizer(state.manifest.optimizer, path.join(state.dir, TRAINER_JSON));
  } catch (error) {
    tf.dispose(values.map((v) => v.tensor));
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
  const { dir, manifest } = state;
  const savedLosses = specsWithoutPackages(manifest.losses);
  const currentLosses = specsWithoutPackages(target.lossSpecs);
  if (savedLosses !== currentLosses) {
    throw new TrainerFileError(
      `The checkpoint ${dir} was written with losses ${savedLosses}, but this trainer uses ${currentLosses}. ` +
        `Resume with the same loss, or use another checkpoint directory.`,
    );
  }
  const className = target.optimizer.getClassName();
  if (manifest.optimizer.className !== className) {
    throw new TrainerFileError(
      `The checkpoint ${dir} holds ${manifest.optimizer.className} optimizer state, but this trainer uses ` +
        `${className}. Resume with the same optimizer, or use another checkpoint directory.`,
    );
  }
  const weights = decodeModelWeights(state);
  try {
    const own = target.model.weights;
    const fits = own.length === weights.length && own.every((w, i) => sameShape(w.shape, weights[i]!.shape));
    if (!fits) {
      throw new TrainerFileError(
        `The weights in ${dir} do not fit this trainer's model (${weights.length} saved weight tensors for ${own.length}, ` +
          `or other shapes). Resume with the model architecture the checkpoint was written for.`,
      );
    }
    const optimizerValues = decodeOptimizerState(manifest.optimizer, state.optimizerData, path.join(dir, manifest.optimizer.file));
    try {
      target.model.setWeights(weights);
    } catch (error) {
      tf.dispose(optimizerValues.map((v) => v.tensor));
      throw error;
    }
    await applyOptimizerState(target.optimizer, manifest.optimizer, optimizerValues);
  } finally {
    tf.dispose(weights);
  }
  target.epochsCompleted = manifest.epochsCompleted;
}

/** The model's weights in saved order (the order of `model.weights`, which tfjs saves in). */
function decodeModelWeights(state: SavedState): tf.Tensor[] {
  let decoded: tf.NamedTensorMap;
  try {
    decoded = tf.tidy(() => tf.io.decodeWeights(state.artifacts.weightData, state.artifacts.weightSpecs));
  } catch (error) {
    throw new TrainerFileError(`The weights in ${state.dir} cannot be decoded (${(error as Error).name}); the files are corrupt.`);
  }
  const values = state.artifacts.weightSpecs.map((spec) => decoded[spec.name]);
  if (values.some((v) => v === undefined) || Object.keys(decoded).length !== values.length) {
    tf.dispose(Object.values(decoded));
    throw new TrainerFileError(`${path.join(state.dir, MODEL_JSON)} names its weights inconsistently (a name twice); the file is corrupt.`);
  }
  return values as tf.Tensor[];
}

/** The topology deserialized by tfjs (registered layer classes only), then the saved weights loaded into it. */
async function buildModel(state: SavedState): Promise<tf.LayersModel> {
  const modelFile = path.join(state.dir, MODEL_JSON);
  let model: tf.LayersModel;
  try {
    model = await tf.models.modelFromJSON({ modelTopology: state.artifacts.modelTopology } as never);
  } catch (error) {
    throw new TrainerFileError(`${modelFile} holds a model topology TF.js cannot build (${(error as Error).message}); the file is corrupt.`);
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
    throw new TrainerFileError(`The weights in ${state.dir} do not fit the model in ${modelFile} (${(error as Error).message}); the files are corrupt.`);
  }
  return model;
}

function sameShape(a: readonly (number | null)[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((dim, i) => dim === b[i]);
}

/**
 * Restores what `saveTrainer` wrote as a new model and optimizer. Loss names are checked (and
 * plugins discovered) before any tensor is made; the directory is only read, never written.
 */
export async function loadTrainerState(dir: string, options: LoadTrainerOptions = {}): Promise<LoadedTrainerState> {
  const state = await readSavedState(dir, options);
  const { model, optimizer } = await materialize(state);
  const { manifest } = state;
  return {
    dir: state.dir,
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
