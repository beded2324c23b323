import type * as tf from '@tensorflow/tfjs';
import { VersionMismatchError, type SavedLossSpec } from '@losskit/core';
import { createRequire } from 'node:module';
import path from 'node:path';
import { lstatIfExists, writeNewFileDurable } from './durable-fs.js';
import { TrainerFileError } from './errors.js';
import { fileSystemIO, MODEL_JSON, WEIGHTS_BIN } from './fs-model-io.js';
import { serializeOptimizer } from './optimizer-state.js';
import { readConfinedJson, READ_LIMITS } from './safe-read.js';
import { firstIssue, FORMAT, FORMAT_VERSION, trainerManifestSchema, type TrainerManifest } from './schemas.js';
import { writeSaveAtomically } from './save-target.js';

export const TRAINER_JSON = 'losskit.json';
export const OPTIMIZER_BIN = 'optimizer.bin';
/** The files a save consists of: the only names a save, a replace or a clean-up ever touches. */
export const SAVE_FILES: ReadonlySet<string> = new Set([MODEL_JSON, WEIGHTS_BIN, OPTIMIZER_BIN, TRAINER_JSON]);
export { FORMAT, FORMAT_VERSION, type TrainerManifest };

/** The loss option in saved form: one spec, one per output, or one per output name. */
export type SavedLossSpecs = SavedLossSpec | SavedLossSpec[] | Record<string, SavedLossSpec>;

/** The loss history by log key (`loss`, `val_loss`, per-output terms, metrics), one value per epoch. */
export type HistoryRecord = Record<string, (number | null)[]>;

/** What saving needs from a trainer; `Trainer` has all of it. */
export interface SavableTrainer {
  readonly model: tf.LayersModel;
  readonly optimizer: tf.Optimizer;
  readonly lossSpecs: SavedLossSpecs;
  /** Per output, in output order. */
  readonly lossWeights?: readonly number[];
  readonly epochsCompleted: number;
  /** The `metrics`, `backend` and `plugins` the trainer was built with (each stored once). */
  readonly constructorOptions?: { readonly metrics?: unknown; readonly backend?: string; readonly plugins?: readonly string[] };
}

/** Run state that is not on the trainer itself. */
export interface SaveExtras {
  /** Epochs completed; defaults to `trainer.epochsCompleted`. */
  epochsCompleted?: number;
  /** The fit seed, so a resumed run shuffles the remaining epochs the same way. */
  seed?: number | string;
  /** Per-epoch logs so far, so a resumed run can report the whole run. */
  history?: HistoryRecord;
  /** Checkpoints only: the run and the epoch index its fit continues at. */
  run?: { id: string; nextEpoch: number };
}

const trainerPackage = createRequire(import.meta.url)('../../package.json') as { name: string; version: string };

/**
 * Writes the model (model.json + weights.bin, loadable by plain `tf.loadLayersModel`), the
 * optimizer state (optimizer.bin) and losskit.json to `dir`, only over a missing or empty
 * directory or a previous losskit save, atomically (see save-target.ts).
 */
export async function saveTrainer(trainer: SavableTrainer, dir: string, extras: SaveExtras = {}): Promise<void> {
  await writeSaveAtomically(path.resolve(dir), (temp) => writeTrainerFiles(trainer, temp, extras), {
    ownFiles: SAVE_FILES,
    recognise: isLosskitSave,
  });
}

/** Writes the files into a fresh directory, without atomicity (callers provide it). */
export async function writeTrainerFiles(trainer: SavableTrainer, dir: string, extras: SaveExtras = {}): Promise<void> {
  const { saved, data } = await serializeOptimizer(trainer.optimizer);
  await trainer.model.save(fileSystemIO(dir), { includeOptimizer: false });
  await writeNewFileDurable(path.join(dir, OPTIMIZER_BIN), new Uint8Array(data));
  const settings = trainer.constructorOptions ?? {};
  const recorded = {
    ...(settings.backend !== undefined ? { backend: settings.backend } : {}),
    ...(settings.plugins !== undefined ? { plugins: [...settings.plugins] } : {}),
  };
  const manifest = {
    format: FORMAT,
    formatVersion: FORMAT_VERSION,
    savedBy: { package: trainerPackage.name, version: trainerPackage.version },
    losses: trainer.lossSpecs,
    ...(trainer.lossWeights !== undefined ? { lossWeights: [...trainer.lossWeights] } : {}),
    ...(settings.metrics !== undefined ? { metrics: settings.metrics } : {}),
    optimizer: { ...saved, file: OPTIMIZER_BIN },
    epochsCompleted: extras.epochsCompleted ?? trainer.epochsCompleted,
    ...(extras.seed !== undefined ? { seed: extras.seed } : {}),
    ...(extras.history ? { history: extras.history } : {}),
    ...(extras.run ? { run: extras.run } : {}),
    ...(Object.keys(recorded).length ? { trainer: recorded } : {}),
    model: { file: MODEL_JSON },
  };
  // What we write must be what we would accept back: a save that cannot load fails now.
  const checked = trainerManifestSchema.safeParse(JSON.parse(JSON.stringify(manifest)));
  if (!checked.success) throw new TrainerFileError(`The trainer state cannot be saved: ${firstIssue(checked.error)}.`);
  // Written last: a directory with a readable losskit.json has all its other files.
  await writeNewFileDurable(path.join(dir, TRAINER_JSON), JSON.stringify(manifest, null, 2));
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
  const head = raw as { format?: unknown; formatVersion?: unknown } | null;
  if (typeof head !== 'object' || head === null || head.format !== FORMAT) {
    throw new TrainerFileError(`${file} is not a losskit trainer file (its format is not '${FORMAT}').`);
  }
  if (typeof head.formatVersion === 'number' && head.formatVersion > FORMAT_VERSION) {
    throw new VersionMismatchError(
      `${file} has format version ${head.formatVersion}, newer than the ${FORMAT_VERSION} this ` +
        `@losskit/trainer ${trainerPackage.version} reads. Upgrade @losskit/trainer to load it.`,
    );
  }
  if (head.formatVersion !== FORMAT_VERSION) {
    throw new TrainerFileError(
      `${file} has format version ${String(head.formatVersion)}; this @losskit/trainer reads version ${FORMAT_VERSION} ` +
        `(earlier 0.x saves kept losses, weights and metrics twice). Save the trainer again with this version.`,
    );
  }
  const parsed = trainerManifestSchema.safeParse(raw);
  if (!parsed.success) throw new TrainerFileError(`${file} is corrupt or was not written by losskit (${firstIssue(parsed.error)}).`);
  return parsed.data;
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
