// What '#node-persistence' resolves to outside Node (a browser page or worker): the same
// functions, each failing with a message that says what works there instead. Types only are
// taken from the Node modules (erased in the output), so none of their code is bundled.
import { TrainerInputError } from '../errors.js';
import type * as node from './node-persistence.js';

const IN_A_PAGE = "In a browser, save to and load from a tf.io URL or handler: 'indexeddb://name', 'localstorage://name', 'downloads://name' (save), 'http(s)://.../model.json' (load), or an object with save/load.";

function needsFiles(what: string, target: string): TrainerInputError {
  return new TrainerInputError(`${what} ${JSON.stringify(target)}: a directory path needs Node's file system, which is not available here. ${IN_A_PAGE}`);
}

export const saveTrainer: typeof node.saveTrainer = (_trainer, dir) => Promise.reject(needsFiles('save', dir));
export const loadTrainer: typeof node.loadTrainer = (dir) => Promise.reject(needsFiles('Trainer.load', dir));
export const resumeTrainer: typeof node.resumeTrainer = (dir) =>
  Promise.reject(new TrainerInputError(`Trainer.resume(${JSON.stringify(dir)}): checkpoint directories need Node's file system, which is not available here. ${IN_A_PAGE}`));
export const openCheckpointRun: typeof node.openCheckpointRun = (_trainer, options) =>
  Promise.reject(
    new TrainerInputError(
      `fit: checkpoint: { dir: ${JSON.stringify(options?.dir)} } writes checkpoint directories, which needs Node's file system. In a browser, save the trainer from a callback instead (new SaveBest(trainer, { dir: 'indexeddb://best' })).`,
    ),
  );
export const saveModelFiles: typeof node.saveModelFiles = (dir) => Promise.reject(needsFiles('saveModelWithLoss', dir));
export const loadModelFiles: typeof node.loadModelFiles = (dir) => Promise.reject(needsFiles('loadModelWithLoss', dir));
