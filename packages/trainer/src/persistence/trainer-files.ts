import path from 'node:path';
import { trainerArtifacts } from './artifacts.js';
import { lstatIfExists, writeNewFileDurable } from './durable-fs.js';
import { TrainerFileError } from './errors.js';
import { fileSystemIO, MODEL_JSON, WEIGHTS_BIN } from './fs-model-io.js';
import { READ_LIMITS } from './limits.js';
import { checkManifest, type SavableTrainer, type SaveExtras } from './manifest.js';
import { readConfinedJson } from './safe-read.js';
import { FORMAT, FORMAT_VERSION, trainerManifestSchema, type TrainerManifest } from './schemas.js';
import { writeSaveAtomically } from './save-target.js';

export const TRAINER_JSON = 'losskit.json';
export const OPTIMIZER_BIN = 'optimizer.bin';
/** The files a save consists of: the only names a save, a replace or a clean-up ever touches (format 2 saves also had optimizer.bin). */
export const SAVE_FILES: ReadonlySet<string> = new Set([MODEL_JSON, WEIGHTS_BIN, OPTIMIZER_BIN, TRAINER_JSON]);
export { FORMAT, FORMAT_VERSION, type TrainerManifest };
export type { SavableTrainer, SaveExtras, SavedLossSpecs, HistoryRecord } from './manifest.js';

/**
 * Writes the trainer's model artifacts (model.json + weights.bin, loadable by plain
 * `tf.loadLayersModel` and by `Trainer.load` through any tf.io handler: the optimizer's slots are
 * in weights.bin as group 'optimizer', the manifest in model.json's userDefinedMetadata) and
 * losskit.json to `dir`, only over a missing or empty directory or a previous losskit save,
 * atomically (see save-target.ts).
 */
export async function saveTrainer(trainer: SavableTrainer, dir: string, extras: SaveExtras = {}): Promise<void> {
  await writeSaveAtomically(path.resolve(dir), (temp) => writeTrainerFiles(trainer, temp, extras), {
    ownFiles: SAVE_FILES,
    recognise: isLosskitSave,
  });
}

/** Writes the files into a fresh directory, without atomicity (callers provide it). */
export async function writeTrainerFiles(trainer: SavableTrainer, dir: string, extras: SaveExtras = {}): Promise<void> {
  const { artifacts, manifest } = await trainerArtifacts(trainer, extras);
  await fileSystemIO(dir).save!(artifacts);
  // Written last: a directory with a readable losskit.json has all its other files.
  await writeNewFileDurable(path.join(dir, TRAINER_JSON), JSON.stringify({ ...manifest, model: { file: MODEL_JSON } }, null, 2));
}

/** Reads losskit.json and checks it against its schema, without loading any tensor. */
export async function readTrainerManifest(dir: string): Promise<TrainerManifest> {
  const absolute = path.resolve(dir);
  const file = path.join(absolute, TRAINER_JSON);
  if (!(await lstatIfExists(file)) && (await lstatIfExists(path.join(absolute, MODEL_JSON)))) {
    throw new TrainerFileError(
      `${absolute} holds a TF.js model but no ${TRAINER_JSON}, so it was not saved by trainer.save(). ` +
        `Load the bare model with tf.loadLayersModel(fileSystemIO('${absolute}')) and build a Trainer around it.`,
    );
  }
  const raw = await readConfinedJson(absolute, TRAINER_JSON, absolute, 'losskit trainer state', READ_LIMITS.manifestBytes);
  return checkManifest(raw, file, trainerManifestSchema);
}

/** Whether `dir` holds a complete, valid losskit save (its manifest reads and checks). */
export async function isLosskitSave(dir: string): Promise<boolean> {
  try {
    await readTrainerManifest(dir);
    return true;
  } catch {
    return false;
  }
}
