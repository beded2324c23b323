import path from 'node:path';
import type { SavedState } from './artifacts.js';
import { splitWeights } from './artifacts.js';
import { MODEL_JSON, readDeclaredFiles, readModelArtifacts, weightBytes } from './fs-model-io.js';
import { TrainerFileError } from './errors.js';
import { ensureLossesResolvable, type LoadTrainerOptions } from './loss-check.js';
import { loadedState, type LoadedTrainerState } from './restore-state.js';
import { readTrainerManifest, TRAINER_JSON } from './trainer-files.js';

export { materialize, restoreInto, type RestoreTarget, type LoadedTrainerState } from './restore-state.js';
export type { SavedState } from './artifacts.js';

/**
 * Reading a save directory (Node): the schema-checked losskit.json, losses resolvable, every file
 * confined, sized and read, no tensor made yet; restore-state.ts does the rest, as for a save any
 * tf.io handler returned.
 */
export async function readSavedState(dir: string, options: LoadTrainerOptions = {}): Promise<SavedState> {
  const absolute = path.resolve(dir);
  const manifest = await readTrainerManifest(absolute);
  const manifestFile = path.join(absolute, TRAINER_JSON);
  if (manifest.model.file !== MODEL_JSON) {
    throw new TrainerFileError(`${manifestFile} names the model file '${manifest.model.file}'; losskit saves it as ${MODEL_JSON}. The file is corrupt.`);
  }
  await ensureLossesResolvable(manifest, absolute, options, manifestFile);
  const artifacts = await readModelArtifacts(absolute);
  const modelFile = path.join(absolute, MODEL_JSON);
  const labels = { dir: absolute, model: modelFile, manifest: manifestFile };
  if (manifest.optimizer.file === undefined) {
    // Format 3: the optimizer's slots follow the model's weights in weights.bin.
    const split = splitWeights(artifacts.weightSpecs, artifacts.weightData as ArrayBuffer, manifest.optimizer, modelFile);
    return {
      labels: { ...labels, optimizer: modelFile },
      manifest,
      artifacts: { ...artifacts, weightSpecs: split.modelSpecs, weightData: split.modelData },
      optimizerData: split.optimizerData,
    };
  }
  // Format 2: the optimizer's slots in a file of their own.
  const optimizerBytes = weightBytes(manifest.optimizer.weights.map((w) => w.spec), manifestFile);
  const optimizerData = await readDeclaredFiles(absolute, [manifest.optimizer.file], optimizerBytes, manifestFile, 'optimizer state');
  return {
    labels: { ...labels, optimizer: path.join(absolute, manifest.optimizer.file) },
    manifest,
    artifacts: artifacts as SavedState['artifacts'],
    optimizerData,
  };
}

/**
 * Restores what `saveTrainer` wrote as a new model and optimizer. Loss names are checked (and
 * plugins discovered) before any tensor is made; the directory is only read, never written.
 */
export async function loadTrainerState(dir: string, options: LoadTrainerOptions = {}): Promise<LoadedTrainerState> {
  return loadedState(await readSavedState(dir, options));
}
