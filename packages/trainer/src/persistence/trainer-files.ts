import * as tf from '@tensorflow/tfjs';
import {
  conventionalPackageName,
  getLossRegistry,
  isSumSpec,
  lossNamesIn,
  VersionMismatchError,
  type SavedLossSpec,
  type SavedSingleLossSpec,
} from '@losskit/core';
import { createRequire } from 'node:module';
import path from 'node:path';
import { exists, writeDirAtomically, writeFileDurable } from './durable-fs.js';
import { MissingLossPluginError, TrainerFileError } from './errors.js';
import { fileSystemIO, readBinaryFile, readJsonFile, MODEL_JSON } from './fs-model-io.js';
import { createOptimizer, restoreOptimizerState, serializeOptimizer, type SavedOptimizer } from './optimizer-state.js';

export const TRAINER_JSON = 'losskit.json';
export const OPTIMIZER_BIN = 'optimizer.bin';
export const FORMAT = 'losskit-trainer';
/** Bumped when a change makes older readers misread new files. */
export const FORMAT_VERSION = 1;

/** The loss option in saved form: one spec, one per output, or one per output name. */
export type SavedLossSpecs = SavedLossSpec | SavedLossSpec[] | Record<string, SavedLossSpec>;

/** The loss history by log key (`loss`, `val_loss`, per-output terms, metrics), one value per epoch. */
export type HistoryRecord = Record<string, number[]>;

/** What saving needs from a trainer; `Trainer` has all of it. */
export interface SavableTrainer {
  readonly model: tf.LayersModel;
  readonly optimizer: tf.Optimizer;
  readonly lossSpecs: SavedLossSpecs;
  readonly lossWeights?: unknown;
  readonly metricNames?: unknown;
  readonly epochsCompleted: number;
  readonly constructorOptions?: Record<string, unknown>;
}

/** Run state that is not on the trainer itself. */
export interface SaveExtras {
  /** Epochs completed; defaults to `trainer.epochsCompleted` (a checkpoint written mid-fit knows better). */
  epochsCompleted?: number;
  /** The fit seed, so a resumed run shuffles the remaining epochs the same way. */
  seed?: number | string;
  /** Per-epoch logs so far, so a resumed run can report the whole run. */
  history?: HistoryRecord;
}

/** The contents of losskit.json. */
export interface TrainerManifest {
  format: typeof FORMAT;
  formatVersion: number;
  savedBy: { package: string; version: string };
  losses: SavedLossSpecs;
  lossWeights?: unknown;
  metrics?: unknown;
  optimizer: SavedOptimizer & { file: string };
  epochsCompleted: number;
  seed?: number | string;
  history?: HistoryRecord;
  constructorOptions?: Record<string, unknown>;
  model: { file: string };
}

/** Everything a saved trainer directory restores, ready to build a Trainer from. */
export interface LoadedTrainerState {
  dir: string;
  model: tf.LayersModel;
  optimizer: tf.Optimizer;
  lossSpecs: SavedLossSpecs;
  lossWeights?: unknown;
  metricNames?: unknown;
  epochsCompleted: number;
  seed?: number | string;
  history?: HistoryRecord;
  constructorOptions: Record<string, unknown>;
}

export interface LoadTrainerOptions {
  /** Plugin packages to import before the losses are resolved (besides those discovery finds). */
  plugins?: readonly string[];
}

const trainerPackage = createRequire(import.meta.url)('../../package.json') as { name: string; version: string };

/**
 * Writes the model (model.json + weights.bin, loadable by plain `tf.loadLayersModel`), the
 * optimizer state (optimizer.bin) and losskit.json (losses by canonical name with their
 * plugin packages, weights, metrics, optimizer config, epoch counter). The directory is
 * replaced atomically: a crash leaves the previous save or the new one, never a mix.
 */
export async function saveTrainer(trainer: SavableTrainer, dir: string, extras: SaveExtras = {}): Promise<void> {
  await writeDirAtomically(path.resolve(dir), (temp) => writeTrainerFiles(trainer, temp, extras));
}

/** Writes the files into an existing directory, without atomicity (callers provide it). */
export async function writeTrainerFiles(trainer: SavableTrainer, dir: string, extras: SaveExtras = {}): Promise<void> {
  const { saved, data } = await serializeOptimizer(trainer.optimizer);
  await trainer.model.save(fileSystemIO(dir), { includeOptimizer: false });
  await writeFileDurable(path.join(dir, OPTIMIZER_BIN), new Uint8Array(data));
  const manifest: TrainerManifest = {
    format: FORMAT,
    formatVersion: FORMAT_VERSION,
    savedBy: { package: trainerPackage.name, version: trainerPackage.version },
    losses: trainer.lossSpecs,
    ...(trainer.lossWeights !== undefined ? { lossWeights: trainer.lossWeights } : {}),
    ...(trainer.metricNames !== undefined ? { metrics: trainer.metricNames } : {}),
    optimizer: { ...saved, file: OPTIMIZER_BIN },
    epochsCompleted: extras.epochsCompleted ?? trainer.epochsCompleted,
    ...(extras.seed !== undefined ? { seed: extras.seed } : {}),
    ...(extras.history ? { history: extras.history } : {}),
    ...(trainer.constructorOptions ? { constructorOptions: trainer.constructorOptions } : {}),
    model: { file: MODEL_JSON },
  };
  // Written last: a directory with a readable losskit.json has all its other files.
  await writeFileDurable(path.join(dir, TRAINER_JSON), JSON.stringify(manifest, null, 2));
}

/** Reads and checks losskit.json without loading any tensor. */
export async function readTrainerManifest(dir: string): Promise<TrainerManifest> {
  const file = path.join(dir, TRAINER_JSON);
  if (!(await exists(file)) && (await exists(path.join(dir, MODEL_JSON)))) {
    throw new TrainerFileError(
      `${dir} holds a TF.js model but no ${TRAINER_JSON}, so it was not saved by trainer.save(). ` +
        `Load the bare model with tf.loadLayersModel(fileSystemIO('${dir}')) and build a Trainer around it.`,
    );
  }
  const manifest = await readJsonFile<TrainerManifest>(file, 'losskit trainer state');
  if (manifest?.format !== FORMAT || typeof manifest.formatVersion !== 'number') {
    throw new TrainerFileError(`${file} is not a losskit trainer file (format is ${JSON.stringify(manifest?.format)}).`);
  }
  if (manifest.formatVersion > FORMAT_VERSION) {
    throw new VersionMismatchError(
      `${file} has format version ${manifest.formatVersion}, newer than the ${FORMAT_VERSION} this ` +
        `@losskit/trainer ${trainerPackage.version} reads. Upgrade @losskit/trainer to load it.`,
    );
  }
  if (manifest.losses == null || manifest.optimizer == null || !Number.isInteger(manifest.epochsCompleted)) {
    throw new TrainerFileError(`${file} lacks losses, optimizer or epochsCompleted; it is corrupt.`);
  }
  return manifest;
}

/**
 * Restores what `saveTrainer` wrote. Loss names are checked (and plugins discovered) before any
 * tensor is made, so a missing plugin fails fast with the package to install; the directory is
 * only read, never written.
 */
export async function loadTrainerState(dir: string, options: LoadTrainerOptions = {}): Promise<LoadedTrainerState> {
  const absolute = path.resolve(dir);
  const manifest = await readTrainerManifest(absolute);
  await ensureLossesResolvable(manifest.losses, absolute, options);

  const model = await tf.loadLayersModel(fileSystemIO(absolute));
  let optimizer: tf.Optimizer | undefined;
  try {
    const optimizerFile = path.join(absolute, manifest.optimizer.file ?? OPTIMIZER_BIN);
    optimizer = createOptimizer(manifest.optimizer, path.join(absolute, TRAINER_JSON));
    const data = await readBinaryFile(optimizerFile, TRAINER_JSON);
    await restoreOptimizerState(optimizer, manifest.optimizer, data, optimizerFile);
  } catch (error) {
    optimizer?.dispose();
    model.dispose();
    throw error;
  }
  return {
    dir: absolute,
    model,
    optimizer,
    lossSpecs: manifest.losses,
    lossWeights: manifest.lossWeights,
    metricNames: manifest.metrics,
    epochsCompleted: manifest.epochsCompleted,
    ...(manifest.seed !== undefined ? { seed: manifest.seed } : {}),
    ...(manifest.history ? { history: manifest.history } : {}),
    constructorOptions: manifest.constructorOptions ?? {},
  };
}

/** Every saved spec, whichever form the loss option had. */
export function savedSpecsIn(losses: SavedLossSpecs): SavedLossSpec[] {
  if (Array.isArray(losses)) return losses;
  if (isSumSpec(losses as SavedLossSpec) || typeof (losses as SavedSingleLossSpec).name === 'string') {
    return [losses as SavedLossSpec];
  }
  return Object.values(losses as Record<string, SavedLossSpec>);
}

function singleSpecsIn(spec: SavedLossSpec): SavedSingleLossSpec[] {
  return isSumSpec(spec) ? spec.sum : [spec];
}

/**
 * Makes every saved loss name resolvable: registry discovery first, then the `plugins` given,
 * then a clear error naming the package the loss was saved from. Resolving each spec once also
 * checks the saved options against the installed plugin's schema.
 */
async function ensureLossesResolvable(losses: SavedLossSpecs, dir: string, options: LoadTrainerOptions): Promise<void> {
  const registry = getLossRegistry();
  const specs = savedSpecsIn(losses);
  const names = specs.flatMap((spec) => lossNamesIn(spec));
  const loadOptions = options.plugins ? { plugins: options.plugins } : {};
  await registry.load(names, loadOptions);
  if (names.some((name) => !registry.has(name))) {
    // Without a discovery loader installed, `plugins` would be ignored; import them ourselves.
    for (const plugin of options.plugins ?? []) await import(plugin);
  }
  for (const single of specs.flatMap(singleSpecsIn)) {
    if (!registry.has(single.name)) {
      const pkg = single.package;
      throw new MissingLossPluginError(single.name, pkg?.name ?? conventionalPackageName(single.name), pkg?.version, dir);
    }
    checkPluginVersion(single, registry.describe(single.name).package, dir);
  }
  for (const spec of specs) (await registry.resolveAsync(spec, loadOptions)).dispose();
}

/** A plugin of another major version may compute a different loss under the same name. */
function checkPluginVersion(
  spec: SavedSingleLossSpec,
  installed: { name: string; version: string } | undefined,
  dir: string,
): void {
  const saved = spec.package;
  if (!saved || !installed || saved.name !== installed.name) return;
  if (major(saved.version) !== major(installed.version)) {
    throw new VersionMismatchError(
      `The trainer in ${dir} was saved with loss '${spec.name}' from ${saved.name}@${saved.version}, but ` +
        `${installed.name}@${installed.version} is installed. Install ${saved.name}@^${major(saved.version)} ` +
        `to continue this run with the same loss.`,
    );
  }
}

function major(version: string): string {
  return version.split('.')[0] ?? version;
}
