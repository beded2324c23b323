import * as tf from '@tensorflow/tfjs';
import { VersionMismatchError } from '@losskit/core';

/**
 * The one place the trainer reaches into TF.js private state. Each access is checked against
 * the TF.js versions it was written for, so an upgrade that changes the internals fails here,
 * by name, instead of somewhere inside a training step.
 */
const TESTED_MAJOR = 4;

function checkVersion(what: string): void {
  const version = tf.version_core ?? tf.version?.['tfjs-core'];
  const major = Number(String(version).split('.')[0]);
  if (major !== TESTED_MAJOR) {
    throw new VersionMismatchError(`@losskit/trainer: ${what} relies on TF.js ${TESTED_MAJOR}.x internals, but tfjs-core ${version} is loaded; use TF.js ${TESTED_MAJOR}.x.`);
  }
}

interface EngineState {
  gradientDepth: number;
  activeTape: { saved?: tf.Tensor[] }[] | null;
}

/**
 * TF.js keeps a clone of every tensor a kernel saves for backprop and frees them only when
 * the gradient pass completes; when the forward pass throws (a loss that fails), those clones
 * stay on the engine's tape forever. Free them, once no gradient computation is running.
 */
export function releaseGradientTape(): void {
  checkVersion('releasing the gradient tape after a failed step');
  const state = tf.engine().state as unknown as EngineState;
  if (typeof state.gradientDepth !== 'number') return;
  if (state.gradientDepth !== 0 || !state.activeTape) return;
  for (const node of state.activeTape) if (node.saved) tf.dispose(node.saved);
  state.activeTape = [];
}

/**
 * Adam and Adamax keep their bias-correction powers (`accBeta1`, `accBeta2`) in private
 * variables that `getWeights` leaves out; a restored optimizer needs them to continue exactly.
 * The named variables the optimizer has, by name.
 */
export function optimizerPrivateVariables(optimizer: tf.Optimizer, names: readonly string[]): Map<string, tf.Variable> {
  checkVersion("saving an optimizer's bias-correction state");
  const found = new Map<string, tf.Variable>();
  for (const name of names) {
    const variable = (optimizer as unknown as Record<string, unknown>)[name];
    if (variable instanceof tf.Variable) found.set(name, variable);
  }
  return found;
}

/**
 * `model.compile({ optimizer })` with an instance leaves the optimizer to the caller, so
 * `model.dispose()` keeps its slot variables; one losskit built for a loaded model belongs to
 * it, as an optimizer compiled by name does.
 */
export function giveOptimizerToModel(model: tf.LayersModel): void {
  checkVersion('giving a loaded model its optimizer');
  const internals = model as unknown as { isOptimizerOwned?: boolean };
  if (typeof internals.isOptimizerOwned === 'boolean') internals.isOptimizerOwned = true;
}
