import * as tf from '@tensorflow/tfjs';
import type { BackendPreference } from './backend.js';
import { TrainerInputError } from './errors.js';
import type { Logger } from './logger.js';
import type { OptimizerName } from './optimizer.js';
import { checkKeys, isPlainObject } from './options/strict.js';
import type { LossOption, LossWeightsOption } from './fit/compiled-loss.js';
import type { MetricsOption } from './fit/compiled-metrics.js';
import type { VerboseOption } from './fit/settings.js';

export interface TrainerOptions {
  model: tf.LayersModel;
  /** A name ('adam', 'sgd', 'rmsprop', 'adagrad', 'adadelta', 'adamax'; TF.js defaults) or an instance. */
  optimizer: OptimizerName | (string & {}) | tf.Optimizer;
  /** One spec for every output, an array in output order, or an object keyed by output name. */
  loss: LossOption;
  /** Factor of each output's loss in the total (array in output order or keyed by name; outputs left out weigh 1). */
  lossWeights?: LossWeightsOption;
  /** TF.js metric strings ('accuracy', 'mae', ...) or losskit loss names; per output as for `loss` (outputs left out get none). */
  metrics?: MetricsOption;
  /** Default 'auto' (tfjs-node, else wasm, else cpu); LOSSKIT_BACKEND overrides 'auto'. */
  backend?: BackendPreference;
  /** Plugin packages to import before resolving loss names. */
  plugins?: readonly string[];
  /** Receives the trainer's notices and progress lines; default stderr. */
  logger?: Logger;
  /** 0 silent, 1 (default) progress bar on a terminal or lines elsewhere, 2 one line per epoch; a fit's own `verbose` wins. */
  verbose?: VerboseOption;
}

const TRAINER_KEYS = ['model', 'optimizer', 'loss', 'lossWeights', 'metrics', 'backend', 'plugins', 'logger', 'verbose'] as const;
const TRAINER_MOVED = {
  learningRate: 'set the learning rate on the optimizer, e.g. optimizer: tf.train.adam(0.01)',
  lr: 'set the learning rate on the optimizer, e.g. optimizer: tf.train.adam(0.01)',
  epochs: 'epochs is a fit option: trainer.fit(x, y, { epochs: 10 })',
  batchSize: 'batchSize is a fit option: trainer.fit(x, y, { batchSize: 32 })',
  progress: 'use verbose: 0 (silent), 1 (bar or lines) or 2 (one line per epoch)',
};

/** The checks `new Trainer(options)` makes before using any of them: strict keys, named fixes. */
export function checkTrainerOptions(options: TrainerOptions): void {
  if (!isPlainObject(options) || !(options.model instanceof tf.LayersModel)) {
    throw new TrainerInputError(`new Trainer({ model, optimizer, loss }): model must be a tf.LayersModel (e.g. from tf.sequential() or tf.loadLayersModel()).`);
  }
  checkKeys(options, TRAINER_KEYS, 'new Trainer', TRAINER_MOVED);
  if (options.logger !== undefined && typeof options.logger !== 'function') {
    throw new TrainerInputError('new Trainer: logger must be a function (line: string) => void.');
  }
  if (options.plugins !== undefined && !(Array.isArray(options.plugins) && options.plugins.every((p) => typeof p === 'string'))) {
    throw new TrainerInputError("new Trainer: plugins must be a list of package names, e.g. plugins: ['@acme/losskit-loss-focal'].");
  }
}
