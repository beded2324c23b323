import * as tf from '@tensorflow/tfjs';
import path from 'node:path';
import { cleanCheckpointLeftovers, latestCheckpoint } from './checkpoints.js';
import { TrainerFileError } from './errors.js';
import { fileSystemIO, readBinaryFile } from './fs-model-io.js';
import { restoreOptimizerState } from './optimizer-state.js';
import { OPTIMIZER_BIN, readTrainerManifest, TRAINER_JSON, type HistoryRecord, type SavableTrainer } from './trainer-files.js';

/** A trainer whose weights, optimizer and epoch counter a checkpoint can overwrite in place. */
export interface RestorableTrainer extends SavableTrainer {
  epochsCompleted: number;
}

export interface RestoredRun {
  /** The checkpoint directory restored from. */
  dir: string;
  epochsCompleted: number;
  seed?: number | string;
  history?: HistoryRecord;
}

/**
 * Continues a run in place: loads the newest complete checkpoint under `root` into `trainer`
 * (weights, optimizer slots, epoch counter), after removing temp directories that a killed
 * writer left. Returns undefined when there is no checkpoint yet (a first run).
 */
export async function restoreLatestCheckpoint(trainer: RestorableTrainer, root: string): Promise<RestoredRun | undefined> {
  await cleanCheckpointLeftovers(root);
  const latest = await latestCheckpoint(root);
  if (!latest) return undefined;
  const manifest = await readTrainerManifest(latest.dir);
  const manifestFile = path.join(latest.dir, TRAINER_JSON);
  const savedLosses = specsWithoutPackages(manifest.losses);
  const currentLosses = specsWithoutPackages(trainer.lossSpecs);
  if (savedLosses !== currentLosses) {
    throw new TrainerFileError(
      `The checkpoint ${latest.dir} was written with losses ${savedLosses}, but this trainer uses ` +
        `${currentLosses}. Resume with the same loss, or use another checkpoint directory.`,
    );
  }
  const className = trainer.optimizer.getClassName();
  if (manifest.optimizer.className !== className) {
    throw new TrainerFileError(
      `The checkpoint ${latest.dir} holds ${manifest.optimizer.className} optimizer state, but this trainer uses ` +
        `${className}. Resume with the same optimizer, or use another checkpoint directory.`,
    );
  }

  const saved = await tf.loadLayersModel(fileSystemIO(latest.dir));
  try {
    trainer.model.setWeights(saved.getWeights());
  } catch (error) {
    throw new TrainerFileError(
      `The weights in ${latest.dir} do not fit this trainer's model (${(error as Error).message}). ` +
        `Resume with the model architecture the checkpoint was written for.`,
    );
  } finally {
    saved.dispose();
  }
  const optimizerFile = path.join(latest.dir, manifest.optimizer.file ?? OPTIMIZER_BIN);
  const data = await readBinaryFile(optimizerFile, manifestFile);
  await dropOptimizerSlots(trainer.optimizer);
  await restoreOptimizerState(trainer.optimizer, manifest.optimizer, data, optimizerFile);
  trainer.epochsCompleted = manifest.epochsCompleted;
  return {
    dir: latest.dir,
    epochsCompleted: manifest.epochsCompleted,
    ...(manifest.seed !== undefined ? { seed: manifest.seed } : {}),
    ...(manifest.history ? { history: manifest.history } : {}),
  };
}

/** TF.js setWeights replaces slot variables without freeing the old ones; free them first. */
async function dropOptimizerSlots(optimizer: tf.Optimizer): Promise<void> {
  for (const { tensor } of await optimizer.getWeights()) tensor.dispose();
}

/**
 * The loss specs as JSON with their `package` fields left out: names, options, weights and
 * reductions are compared. The round trip through JSON.parse orders keys as a manifest's are.
 */
function specsWithoutPackages(losses: unknown): string {
  return JSON.stringify(JSON.parse(JSON.stringify(losses, (key, value) => (key === 'package' ? undefined : value))));
}
