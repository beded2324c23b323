import type * as tf from '@tensorflow/tfjs';
import path from 'node:path';
import { TrainerInputError } from '../errors.js';
import type { Logger } from '../logger.js';
import { describe } from '../options/strict.js';
import { checkRunId, cleanCheckpointLeftovers, latestCheckpoint, newRunId, writeCheckpoint, type CheckpointInfo, type CheckpointOptions } from './checkpoints.js';
import { TrainerFileError } from './errors.js';
import { restoreInto, readSavedState, type RestoreTarget } from './restore.js';
import { acquireRunLock, type HeldLock } from './run-lock.js';
import { TRAINER_JSON, type HistoryRecord, type SavableTrainer } from './trainer-files.js';

/**
 * One fit's use of a checkpoint directory, from the start of the fit to its end (also when it
 * throws): the run's lock, its id, the state it resumed from, and the callback that writes its
 * checkpoints. Nothing of it outlives the fit, so a later fit never inherits an earlier resume's
 * history or run.
 */
export interface CheckpointRun {
  readonly runId: string;
  /** Where a resumed fit continues (undefined: from the start); `complete` when no epoch is left. */
  readonly resumed?: { nextEpoch: number; seed?: number | string; complete: boolean };
  /** The tfjs-style callback writing this run's checkpoints at epoch ends. */
  callback(seed: number | string): { onEpochEnd(epoch: number, logs?: tf.Logs): Promise<void>; onTrainEnd(logs?: tf.Logs): Promise<void> };
  /** Releases the directory's lock. */
  close(): Promise<void>;
}

/** What a checkpoint run saves from and restores into. */
export type RunTrainer = SavableTrainer & RestoreTarget;

/** Validates the option, takes the directory's lock and, with `resume`, restores the run's newest checkpoint into `trainer`. */
export async function openCheckpointRun(
  trainer: RunTrainer,
  options: CheckpointOptions,
  fit: { resume: boolean; epochs: number; logger: Logger },
): Promise<CheckpointRun> {
  const { everyEpochs, keep } = checkCheckpointOptions(options);
  const root = path.resolve(options.dir);
  const asked = options.runId === undefined ? undefined : checkRunId(options.runId);
  // Which run: read before the lock only to label it; everything is read again under the lock.
  const provisional = asked ?? (fit.resume ? (await latestCheckpoint(root))?.runId : undefined) ?? newRunId();
  const lock = await acquireRunLock(root, provisional, fit.resume ? 'fit with resume' : 'fit');
  try {
    await cleanCheckpointLeftovers(root, provisional);
    let history: HistoryRecord = {};
    let resumed: CheckpointRun['resumed'];
    if (fit.resume) {
      const latest = await latestCheckpoint(root, provisional);
      if (latest) {
        const state = await readSavedState(latest.dir);
        // Checked before restoring, so a refused checkpoint leaves the trainer's weights as they were.
        const nextEpoch = checkCheckpointPlace(latest, state.manifest.run);
        await restoreInto(trainer, state);
        history = structuredClone(state.manifest.history ?? {});
        resumed = { nextEpoch, complete: nextEpoch >= fit.epochs, ...(state.manifest.seed !== undefined ? { seed: state.manifest.seed } : {}) };
        fit.logger(`[losskit] resuming run '${provisional}' from ${latest.dir} (${trainer.epochsCompleted} epochs completed)`);
      }
    }
    return {
      runId: provisional,
      ...(resumed ? { resumed } : {}),
      callback: (seed) => checkpointCallback(trainer, root, { runId: provisional, everyEpochs, keep, seed, history }),
      close: () => lock.release(),
    };
  } catch (error) {
    await lock.release();
    throw error;
  }
}


/**
 * A checkpoint's manifest names its run and epoch, and so does its place (`<run>/epoch-000002`).
 * One that disagrees was copied from another run or edited; resuming it would continue at an
 * epoch the run never reached (nextEpoch 1000: a fit that trains nothing and says nothing).
 * Returns the epoch index the run continues at.
 */
export function checkCheckpointPlace(checkpoint: CheckpointInfo, run: { id: string; nextEpoch: number } | undefined): number {
  // Only checkpoints carry the block; without it the directory's name is all there is.
  if (run === undefined || (run.id === checkpoint.runId && run.nextEpoch === checkpoint.epoch)) return checkpoint.epoch;
  const runDir = path.dirname(checkpoint.dir);
  throw new TrainerFileError(
    `${path.join(checkpoint.dir, TRAINER_JSON)} records run '${run.id}' at epoch ${run.nextEpoch}, but it is checkpoint ` +
      `${path.basename(checkpoint.dir)} of run '${checkpoint.runId}': it does not belong to this run and epoch (copied from ` +
      `another run, or edited). Move ${checkpoint.dir} out of ${runDir} to resume from the checkpoint before it, or start ` +
      `a new run (fit without resume, or with another checkpoint.runId). Nothing was changed.`,
  );
}

/** The counts, before the lock or any file; the keys and the directory were checked with the fit's options (fit/settings.ts). */
function checkCheckpointOptions(options: CheckpointOptions): { everyEpochs: number; keep: number } {
  const everyEpochs = options.everyEpochs ?? 1;
  const keep = options.keep ?? 3;
  if (!Number.isInteger(everyEpochs) || everyEpochs < 1) {
    throw new TrainerInputError(`fit: checkpoint.everyEpochs must be a positive integer (got ${givenNumber(options.everyEpochs)}).`);
  }
  if (!Number.isInteger(keep) || keep < 1) throw new TrainerInputError(`fit: checkpoint.keep must be a positive integer (got ${givenNumber(options.keep)}).`);
  return { everyEpochs, keep };
}

/** What was given, saying so when a number came as a string ('2' reads as 2 in a message). */
const givenNumber = (value: unknown) => (typeof value === 'string' ? `${describe(value)}, a string: write the number without quotes` : describe(value));

/**
 * Writes checkpoints at epoch ends. TF.js-style loops await `onEpochEnd`, so the weights and
 * optimizer state saved are exactly those after the epoch's last batch.
 */
function checkpointCallback(
  trainer: RunTrainer,
  root: string,
  run: { runId: string; everyEpochs: number; keep: number; seed: number | string; history: HistoryRecord },
): ReturnType<CheckpointRun['callback']> {
  const history = run.history;
  let lastCompleted: number | undefined;
  let lastWritten: number | undefined;
  const write = async (nextEpoch: number) => {
    const { runId, seed, keep } = run;
    await writeCheckpoint(trainer, root, { runId, nextEpoch, epochsCompleted: trainer.epochsCompleted, seed, history, keep });
    lastWritten = nextEpoch;
  };
  return {
    async onEpochEnd(epoch, logs = {}) {
      // One entry per epoch run, appended: the resumed history, then this fit's epochs.
      for (const [key, value] of Object.entries(logs)) (history[key] ??= []).push(await logValue(value));
      lastCompleted = epoch + 1;
      if (lastCompleted % run.everyEpochs === 0) await write(lastCompleted);
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
