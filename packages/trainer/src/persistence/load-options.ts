import { checkKeys, checkOptionsObject } from '../options/strict.js';
import type { TrainerLoadOptions } from './build-trainer.js';
import type { LoadTrainerOptions } from './loss-check.js';

/**
 * The key check of `Trainer.load` / `Trainer.resume` options, so a typo (`plugin` for `plugins`,
 * `runid`) is an error naming it instead of a load that silently ignores it. Browser-safe: the
 * tf.io loads run it too.
 */

// A Record over the interface's keys: a key added to TrainerLoadOptions but not here fails to compile.
const LOAD_KEYS: Readonly<Record<keyof TrainerLoadOptions, true>> = { plugins: true, logger: true, verbose: true, backend: true };
const RESUME_KEYS: Readonly<Record<keyof TrainerLoadOptions | 'runId', true>> = { ...LOAD_KEYS, runId: true };
const MODEL_KEYS: Readonly<Record<keyof LoadTrainerOptions, true>> = { plugins: true };
const KEYS = { 'Trainer.load': LOAD_KEYS, 'Trainer.resume': RESUME_KEYS, loadModelWithLoss: MODEL_KEYS };

export function checkLoadOptions(options: unknown, where: 'Trainer.load' | 'Trainer.resume' | 'loadModelWithLoss'): void {
  const allowed = Object.keys(KEYS[where]);
  checkKeys(checkOptionsObject(options, where, "{ plugins: ['@losskit/loss-ssim'], verbose: 0 }"), allowed, where);
}
