import type * as tf from '@tensorflow/tfjs';
import fs from 'node:fs/promises';
import path from 'node:path';
import { exists, readDirIfExists, removeDirSafely, removeLeftovers, writeDirAtomically } from './durable-fs.js';
import { TrainerFileError } from './errors.js';
import {
  loadTrainerState,
  TRAINER_JSON,
  writeTrainerFiles,
  type HistoryRecord,
  type LoadedTrainerState,
  type LoadTrainerOptions,
  type SavableTrainer,
} from './trainer-files.js';

/** The `checkpoint` fit option. */
export interface CheckpointOptions {
  /** Directory holding one `epoch-000012/` subdirectory per checkpoint. */
  dir: string;
  /** Write a checkpoint every this many epochs (and after the last epoch). Default 1. */
  everyEpochs?: number;
  /** Keep this many newest checkpoints; older ones are deleted. Default 3. */
  keep?: number;
}

export interface CheckpointInfo {
  /** Absolute path of the checkpoint directory. */
  dir: string;
  /** Epochs completed when it was written. */
  epoch: number;
}

const CHECKPOINT_NAME = /^epoch-(\d{6,})$/;

export function checkpointName(epoch: number): string {
  return `epoch-${String(epoch).padStart(6, '0')}`;
}

/**
 * Complete checkpoints, oldest first. A checkpoint directory only ever gets its final name by
 * an atomic rename after all its files are synced, so a name match plus its manifest means
 * complete; temp and trash directories (leading dot) are never listed.
 */
export async function listCheckpoints(root: string): Promise<CheckpointInfo[]> {
  const absolute = path.resolve(root);
  const entries = await readDirIfExists(absolute);
  if (!entries) return [];
  const found: CheckpointInfo[] = [];
  for (const entry of entries) {
    const match = CHECKPOINT_NAME.exec(entry);
    if (!match) continue;
    const dir = path.join(absolute, entry);
    if (await exists(path.join(dir, TRAINER_JSON))) found.push({ dir, epoch: Number(match[1]) });
  }
  return found.sort((a, b) => a.epoch - b.epoch);
}

export async function latestCheckpoint(root: string): Promise<CheckpointInfo | undefined> {
  return (await listCheckpoints(root)).at(-1);
}

/** Writes `root/epoch-NNNNNN/` atomically, then deletes all but the newest `keep`. */
export async function writeCheckpoint(
  trainer: SavableTrainer,
  root: string,
  state: { epochsCompleted: number; seed?: number | string; history?: HistoryRecord; keep?: number },
): Promise<CheckpointInfo> {
  const dir = path.join(path.resolve(root), checkpointName(state.epochsCompleted));
  const extras = {
    epochsCompleted: state.epochsCompleted,
    ...(state.seed !== undefined ? { seed: state.seed } : {}),
    ...(state.history ? { history: state.history } : {}),
  };
  await writeDirAtomically(dir, (temp) => writeTrainerFiles(trainer, temp, extras));
  await pruneCheckpoints(root, state.keep ?? 3);
  return { dir, epoch: state.epochsCompleted };
}

/** Deletes the oldest checkpoints beyond `keep`, each renamed away before removal. */
export async function pruneCheckpoints(root: string, keep: number): Promise<void> {
  const all = await listCheckpoints(root);
  for (const old of all.slice(0, Math.max(0, all.length - Math.max(1, keep)))) await removeDirSafely(old.dir);
}

/** Removes what a killed writer left behind (temp and trash directories); returns their names. */
export async function cleanCheckpointLeftovers(root: string): Promise<string[]> {
  return removeLeftovers(path.resolve(root));
}

/**
 * Loads the newest complete checkpoint in `root` after clearing leftovers of interrupted writes.
 * Throws TrainerFileError when there is none.
 */
export async function loadLatestCheckpoint(root: string, options: LoadTrainerOptions = {}): Promise<LoadedTrainerState> {
  await cleanCheckpointLeftovers(root);
  const latest = await latestCheckpoint(root);
  if (!latest) {
    throw new TrainerFileError(
      `No complete checkpoint in ${path.resolve(root)}: expected subdirectories named epoch-000001 and so on, ` +
        `written by fit({ checkpoint: { dir } }). Start the run without resume, or point to the right directory.`,
    );
  }
  return loadTrainerState(latest.dir, options);
}

export interface CheckpointCallbackOptions extends CheckpointOptions {
  seed?: number | string;
  /** History of the epochs before this fit (from the checkpoint resumed), so checkpoints hold the whole run. */
  history?: HistoryRecord;
}

/**
 * A tfjs-style callback writing checkpoints at epoch ends. TF.js awaits `onEpochEnd`, so the
 * weights and optimizer state saved are exactly those after the epoch's last batch.
 */
export function createCheckpointCallback(
  trainer: SavableTrainer,
  options: CheckpointCallbackOptions,
): { onEpochEnd(epoch: number, logs?: tf.Logs): Promise<void>; onTrainEnd(logs?: tf.Logs): Promise<void> } {
  const everyEpochs = options.everyEpochs ?? 1;
  const keep = options.keep ?? 3;
  if (!Number.isInteger(everyEpochs) || everyEpochs < 1) {
    throw new TrainerFileError(`checkpoint.everyEpochs must be a positive integer (got ${String(options.everyEpochs)}).`);
  }
  if (!Number.isInteger(keep) || keep < 1) {
    throw new TrainerFileError(`checkpoint.keep must be a positive integer (got ${String(options.keep)}).`);
  }
  const history: HistoryRecord = structuredClone(options.history ?? {});
  let lastCompleted: number | undefined;
  let lastWritten: number | undefined;
  const write = async (epochsCompleted: number) => {
    await writeCheckpoint(trainer, options.dir, {
      epochsCompleted,
      ...(options.seed !== undefined ? { seed: options.seed } : {}),
      history,
      keep,
    });
    lastWritten = epochsCompleted;
  };
  return {
    async onEpochEnd(epoch, logs = {}) {
      // TF.js numbers epochs from 0 and keeps counting from initialEpoch on resume.
      const completed = epoch + 1;
      for (const [key, value] of Object.entries(logs)) {
        const series = (history[key] ??= []);
        series[completed - 1] = await logValue(value);
      }
      lastCompleted = completed;
      if (completed % everyEpochs === 0) await write(completed);
    },
    async onTrainEnd() {
      // The last epoch of a run is worth keeping even when it falls between two checkpoints.
      if (lastCompleted !== undefined && lastWritten !== lastCompleted) await write(lastCompleted);
    },
  };
}

/** TF.js logs hold numbers, but a custom loop may hand over scalars. */
async function logValue(value: unknown): Promise<number> {
  if (typeof value === 'number') return value;
  return (await (value as tf.Tensor).data())[0]!;
}
