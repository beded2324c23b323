import path from 'node:path';
import { TrainerInputError } from '../errors.js';
import { pickLogger } from '../logger.js';
import { buildRestoredTrainer, type LoadableTrainer, type RestoredTrainerOptions, type TrainerLoadOptions } from './build-trainer.js';
import { describeRuns, latestCheckpoint, listCheckpoints } from './checkpoints.js';
import { TrainerFileError } from './errors.js';
import { recoverInterruptedSave } from './recover-save.js';
import { loadTrainerState } from './restore.js';
import { acquireRunLock } from './run-lock.js';
import { METADATA_KEY } from './artifacts.js';
import { lstatIfExists } from './durable-fs.js';
import { checkLoadOptions } from './load-options.js';
import { fileSystemIO, MODEL_JSON } from './fs-model-io.js';
import { loadTrainerFrom } from './io-persistence.js';
import { READ_LIMITS } from './limits.js';
import { readConfinedJson } from './safe-read.js';
import { readTrainerManifest, TRAINER_JSON } from './trainer-files.js';
import { checkCheckpointPlace } from './checkpoint-run.js';

export type { TrainerLoadOptions, RestoredTrainerOptions, LoadableTrainer } from './build-trainer.js';

/**
 * Restores a trainer written by `save` or a checkpoint directory. A save killed between its two
 * renames is put back first (the one write a load may do). Only the application's `plugins`
 * are imported; the list recorded in the save is not.
 */
export async function loadTrainer<T extends LoadableTrainer>(
  dir: string,
  options: TrainerLoadOptions,
  build: (options: RestoredTrainerOptions) => T,
): Promise<T> {
  const recovered = await recoverInterruptedSave(dir);
  if (recovered) {
    const which = recovered.which === 'new' ? 'the new save' : 'the previous save';
    pickLogger(options.logger, options.verbose)(
      `[losskit] ${dir} was missing after an interrupted save; restored ${which} from ${path.basename(recovered.from)}` +
        (recovered.removed.length ? ` and removed ${recovered.removed.join(', ')}` : ''),
    );
  }
  // Artifacts saved through tf.io and unpacked into a directory (model.json with the manifest in
  // its metadata, no losskit.json) load as they would through any handler, read confined.
  if (await isArtifactsDirectory(dir)) return loadTrainerFrom(fileSystemIO(dir), options, build, path.join(path.resolve(dir), MODEL_JSON));
  const state = await loadTrainerState(dir, options.plugins ? { plugins: options.plugins } : {}).catch(async (error: unknown) => {
    throw (await isCheckpointRoot(dir, error)) ? new TrainerFileError(`${path.resolve(dir)} is a checkpoint directory, not a save: load it with Trainer.resume('${dir}').`) : error;
  });
  return buildRestoredTrainer(state, options, build);
}

/**
 * Loads the newest complete checkpoint of a run in `root` (the only run, or `runId`) under the
 * directory's lock, so a live run writing there is reported instead of read half-way.
 */
export async function resumeTrainer<T extends LoadableTrainer>(
  root: string,
  options: TrainerLoadOptions & { runId?: string },
  build: (options: RestoredTrainerOptions) => T,
): Promise<T> {
  checkLoadOptions(options, 'Trainer.resume');
  const { runId, ...loadOptions } = options;
  const latest = await latestCheckpoint(root, runId);
  if (!latest) {
    const runs = runId === undefined ? '' : ` of run '${runId}'. ${await describeRuns(root)}`;
    throw new TrainerInputError(`Trainer.resume: no complete checkpoint in ${root}${runs}; start the run with fit({ checkpoint: { dir } }) first.`);
  }
  const lock = await acquireRunLock(path.resolve(root), latest.runId, 'Trainer.resume');
  try {
    checkCheckpointPlace(latest, (await readTrainerManifest(latest.dir)).run);
    return await loadTrainer(latest.dir, loadOptions, build);
  } finally {
    await lock.release();
  }
}

/** A missing losskit.json in a directory of run subdirectories: the user meant Trainer.resume. */
async function isCheckpointRoot(dir: string, error: unknown): Promise<boolean> {
  if (!(error instanceof TrainerFileError) || !/losskit\.json .*does not exist/.test(error.message)) return false;
  return (await listCheckpoints(dir).catch(() => [])).length > 0;
}

/** A directory holding model artifacts with a losskit manifest in model.json but no losskit.json. */
async function isArtifactsDirectory(dir: string): Promise<boolean> {
  const absolute = path.resolve(dir);
  if (await lstatIfExists(path.join(absolute, TRAINER_JSON))) return false;
  if (!(await lstatIfExists(path.join(absolute, MODEL_JSON)))?.isFile()) return false;
  const json = await readConfinedJson(absolute, MODEL_JSON, absolute, 'model topology', READ_LIMITS.modelJsonBytes).catch(() => undefined);
  return (json as { userDefinedMetadata?: Record<string, unknown> } | undefined)?.userDefinedMetadata?.[METADATA_KEY] !== undefined;
}
