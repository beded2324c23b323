import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { lstatIfExists, readDirIfExists, removeDeadLeftovers, removeDirSafely } from './durable-fs.js';
import { TrainerFileError } from './errors.js';
import { TrainerFileSystemError } from './fs-errors.js';
import { RUN_ID_PATTERN } from './schemas.js';
import { writeSaveAtomically } from './save-target.js';
import { isLosskitSave, SAVE_FILES, TRAINER_JSON, writeTrainerFiles, type HistoryRecord, type SavableTrainer } from './trainer-files.js';

/**
 * Checkpoint directories: `<root>/<runId>/epoch-000012/`, one subdirectory per run. A run only
 * ever writes, prunes and cleans inside its own subdirectory, so runs sharing a root never touch
 * each other's checkpoints; the root's lock (run-lock.ts) keeps two live runs from using it at once.
 */

/** The `checkpoint` fit option. */
export interface CheckpointOptions {
  /** Directory holding one subdirectory per run, each with one `epoch-000012/` per checkpoint. */
  dir: string;
  /** Write a checkpoint every this many epochs (and after the last epoch). Default 1. */
  everyEpochs?: number;
  /** Keep this many newest checkpoints of this run; older ones of this run are deleted. Default 3. */
  keep?: number;
  /**
   * The run to write (a new fit) or continue (`resume: true`). Default: a new id for a new fit;
   * on resume, the only run in `dir` (with several, name the one to continue).
   */
  runId?: string;
}

export interface CheckpointInfo {
  /** Absolute path of the checkpoint directory. */
  dir: string;
  /** The run it belongs to. */
  runId: string;
  /** The epoch index its fit continues at (epochs of the run completed when it was written). */
  epoch: number;
}

const CHECKPOINT_NAME = /^epoch-(\d{6,})$/;

export function checkpointName(epoch: number): string {
  return `epoch-${String(epoch).padStart(6, '0')}`;
}

/** A new run id: sortable by start time, unique by its random tail. */
export function newRunId(): string {
  const stamp = new Date().toISOString().replace(/[-:]/g, '').replace(/\.\d+Z$/, 'Z');
  return `run-${stamp}-${randomBytes(3).toString('hex')}`;
}

export function checkRunId(runId: unknown): string {
  if (typeof runId !== 'string' || !RUN_ID_PATTERN.test(runId) || runId === '.' || runId === '..') {
    throw new TrainerFileError(
      `checkpoint.runId must be letters, digits, '.', '_' or '-' (at most 64, starting with a letter or digit); got ${JSON.stringify(runId)}.`,
    );
  }
  return runId;
}

/**
 * Complete checkpoints of every run (or of `runId`), by run then oldest first. A checkpoint
 * directory gets its final name only by an atomic rename after all its files are synced, so a
 * name match plus its manifest means complete; temp and trash directories (leading dot),
 * symbolic links and anything else are never listed.
 */
export async function listCheckpoints(root: string, runId?: string): Promise<CheckpointInfo[]> {
  const absolute = path.resolve(root);
  const runs = runId === undefined ? ((await readDirIfExists(absolute)) ?? []).filter((e) => RUN_ID_PATTERN.test(e)) : [checkRunId(runId)];
  const found: CheckpointInfo[] = [];
  for (const run of runs.sort()) {
    const runDir = path.join(absolute, run);
    if (!(await lstatIfExists(runDir))?.isDirectory()) continue;
    for (const entry of (await readDirIfExists(runDir)) ?? []) {
      const match = CHECKPOINT_NAME.exec(entry);
      if (!match) continue;
      const dir = path.join(runDir, entry);
      if (!(await lstatIfExists(dir))?.isDirectory() || !(await lstatIfExists(path.join(dir, TRAINER_JSON)))?.isFile()) continue;
      found.push({ dir, runId: run, epoch: Number(match[1]) });
    }
  }
  return found.sort((a, b) => (a.runId === b.runId ? a.epoch - b.epoch : a.runId < b.runId ? -1 : 1));
}

/** The runs in `root` with their newest checkpoint each. */
export async function listRuns(root: string): Promise<{ runId: string; newest: CheckpointInfo }[]> {
  const newest = new Map<string, CheckpointInfo>();
  for (const info of await listCheckpoints(root)) newest.set(info.runId, info);
  return [...newest.entries()].map(([runId, info]) => ({ runId, newest: info }));
}

/**
 * The checkpoint to continue: the newest of `runId`, or of the only run in `root`; undefined
 * when there is none. Several runs without a `runId` is an error listing them.
 */
export async function latestCheckpoint(root: string, runId?: string): Promise<CheckpointInfo | undefined> {
  if (runId !== undefined) return (await listCheckpoints(root, runId)).at(-1);
  const runs = await listRuns(root);
  if (runs.length > 1) {
    throw new TrainerFileError(
      `${path.resolve(root)} holds checkpoints of ${runs.length} runs; say which to continue with checkpoint: { dir, runId } ` +
        `(or Trainer.resume(dir, { runId })). ${await describeRuns(root)}`,
    );
  }
  return runs[0]?.newest;
}

/** The runs in `root`, for messages. */
export async function describeRuns(root: string): Promise<string> {
  const runs = await listRuns(root);
  if (!runs.length) return 'It holds no complete checkpoint.';
  return `Runs there: ${runs.map((r) => `'${r.runId}' (newest: ${path.basename(r.newest.dir)})`).join(', ')}.`;
}

/** Writes `root/<runId>/epoch-NNNNNN/` atomically, then deletes all but this run's newest `keep`. */
export async function writeCheckpoint(
  trainer: SavableTrainer,
  root: string,
  state: { runId: string; nextEpoch: number; epochsCompleted: number; seed?: number | string; history?: HistoryRecord; keep: number },
): Promise<CheckpointInfo> {
  const runDir = path.join(path.resolve(root), checkRunId(state.runId));
  const dir = path.join(runDir, checkpointName(state.nextEpoch));
  const existing = await lstatIfExists(runDir);
  if (existing && !existing.isDirectory()) {
    // A symbolic link (or a file) where the run's directory belongs: never written through.
    throw new TrainerFileError(`${runDir} is not a directory losskit made for run '${state.runId}' (it is a link or a file); checkpoints are not written through it.`);
  }
  const extras = {
    epochsCompleted: state.epochsCompleted,
    run: { id: state.runId, nextEpoch: state.nextEpoch },
    ...(state.seed !== undefined ? { seed: state.seed } : {}),
    ...(state.history ? { history: state.history } : {}),
  };
  try {
    await writeSaveAtomically(dir, (temp) => writeTrainerFiles(trainer, temp, extras), { ownFiles: SAVE_FILES, recognise: isLosskitSave });
  } catch (error) {
    if (!(error instanceof TrainerFileSystemError)) throw error;
    throw error.withOutcome(`Checkpoint ${path.basename(dir)} was not written; the earlier checkpoints of run '${state.runId}' in ${runDir} are intact.`);
  }
  await pruneCheckpoints(root, state.runId, state.keep);
  return { dir, runId: state.runId, epoch: state.nextEpoch };
}

/** Deletes the oldest checkpoints of `runId` beyond `keep`, each renamed away before removal; other runs are never touched. */
export async function pruneCheckpoints(root: string, runId: string, keep: number): Promise<void> {
  const own = await listCheckpoints(root, runId);
  for (const old of own.slice(0, Math.max(0, own.length - Math.max(1, keep)))) await removeDirSafely(old.dir, SAVE_FILES);
}

/** Removes what killed writers of `runId` (or of any run) left behind; returns their names. */
export async function cleanCheckpointLeftovers(root: string, runId?: string): Promise<string[]> {
  const absolute = path.resolve(root);
  const runs = runId === undefined ? ((await readDirIfExists(absolute)) ?? []).filter((e) => RUN_ID_PATTERN.test(e)) : [runId];
  const removed: string[] = [];
  for (const run of runs) {
    const runDir = path.join(absolute, run);
    if (!(await lstatIfExists(runDir))?.isDirectory()) continue;
    removed.push(...(await removeDeadLeftovers(runDir, CHECKPOINT_NAME, SAVE_FILES)).map((name) => path.join(run, name)));
  }
  return removed;
}
