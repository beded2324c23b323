import type * as tf from '@tensorflow/tfjs';
import { VersionMismatchError, type SavedLossSpec } from '@losskit/core';
import type * as z from 'zod/mini';
import { TrainerFileError } from './errors.js';
import type { SavedOptimizer } from './optimizer-state.js';
import { READ_LIMITS } from './limits.js';
import { TRAINER_PACKAGE } from './package-info.js';
import { exceedsJsonDepth } from './untrusted-json.js';
import { artifactsManifestSchema, firstIssue, FORMAT, FORMAT_VERSION, READABLE_FORMAT_VERSIONS, type ArtifactsManifest } from './schemas.js';

/**
 * The losskit manifest of a save (loss specs, options, packages, optimizer description, epoch
 * counter, seed, history), built and checked the same way wherever it is stored: in a
 * directory's losskit.json and in the model artifacts any tf.io handler carries.
 */

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

/** The manifest of `trainer` with its optimizer described by `optimizer`; refused now if it would not load back. */
export function buildManifest(trainer: SavableTrainer, extras: SaveExtras, optimizer: SavedOptimizer): ArtifactsManifest {
  const settings = trainer.constructorOptions ?? {};
  const recorded = {
    ...(settings.backend !== undefined ? { backend: settings.backend } : {}),
    ...(settings.plugins !== undefined ? { plugins: [...settings.plugins] } : {}),
  };
  const manifest = {
    format: FORMAT,
    formatVersion: FORMAT_VERSION,
    savedBy: { package: TRAINER_PACKAGE.name, version: TRAINER_PACKAGE.version },
    losses: trainer.lossSpecs,
    ...(trainer.lossWeights !== undefined ? { lossWeights: [...trainer.lossWeights] } : {}),
    ...(settings.metrics !== undefined ? { metrics: settings.metrics } : {}),
    optimizer,
    epochsCompleted: extras.epochsCompleted ?? trainer.epochsCompleted,
    ...(extras.seed !== undefined ? { seed: extras.seed } : {}),
    ...(extras.history ? { history: extras.history } : {}),
    ...(extras.run ? { run: extras.run } : {}),
    ...(Object.keys(recorded).length ? { trainer: recorded } : {}),
  };
  // What we write must be what we would accept back: a save that cannot load fails now.
  const text = JSON.stringify(manifest);
  if (exceedsJsonDepth(text)) {
    throw new TrainerFileError(`The trainer state cannot be saved: its loss or metric options nest more than ${READ_LIMITS.jsonDepth} levels deep, which Trainer.load refuses (READ_LIMITS.jsonDepth).`);
  }
  const checked = artifactsManifestSchema.safeParse(JSON.parse(text));
  if (!checked.success) throw new TrainerFileError(`The trainer state cannot be saved: ${firstIssue(checked.error)}.`);
  return checked.data;
}

/**
 * Checks an untrusted manifest (already parsed without prototype keys): its format, its version
 * (a newer one says to upgrade), then `schema`. `where` names the file or handler it came from.
 */
export function checkManifest<S extends z.ZodMiniType>(raw: unknown, where: string, schema: S): z.output<S> {
  const head = raw as { format?: unknown; formatVersion?: unknown } | null;
  if (typeof head !== 'object' || head === null || head.format !== FORMAT) {
    throw new TrainerFileError(`${where} is not a losskit trainer save (its format is not '${FORMAT}').`);
  }
  if (typeof head.formatVersion === 'number' && head.formatVersion > FORMAT_VERSION) {
    throw new VersionMismatchError(
      `${where} has format version ${head.formatVersion}, newer than the ${FORMAT_VERSION} this ` +
        `@losskit/trainer ${TRAINER_PACKAGE.version} reads. Upgrade @losskit/trainer to load it.`,
    );
  }
  if (typeof head.formatVersion !== 'number' || !READABLE_FORMAT_VERSIONS.includes(head.formatVersion)) {
    throw new TrainerFileError(
      `${where} has format version ${String(head.formatVersion)}; this @losskit/trainer reads versions ${READABLE_FORMAT_VERSIONS.join(' and ')} ` +
        `(earlier 0.x saves kept losses, weights and metrics twice). Save the trainer again with this version.`,
    );
  }
  const parsed = schema.safeParse(raw);
  if (!parsed.success) throw new TrainerFileError(`${where} is corrupt or was not written by losskit (${firstIssue(parsed.error)}).`);
  return parsed.data;
}
