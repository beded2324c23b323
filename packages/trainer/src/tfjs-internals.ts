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

interface WasmBackendInternals {
  dataIdMap?: { get(dataId: object): { memoryOffset: number; dtype: string } | undefined };
  wasm?: { HEAPU8: Uint8Array };
}

/**
 * A float32 tensor's values, `[start, end)` of them, as a view of the wasm backend's heap:
 * valid until the next kernel runs (the heap may grow and move), so copy out of it at once.
 * Undefined off wasm. `dataSync` would first copy them into a fresh array, an allocation and a
 * second pass over the memory: the `workers` option moves every weight and gradient each step.
 */
export function wasmHeapView(tensor: tf.Tensor, start = 0, end = tensor.size): Float32Array | undefined {
  if (tensor.dtype !== 'float32' || tf.getBackend() !== 'wasm') return undefined;
  checkVersion("reading the wasm backend's memory");
  const backend = tf.backend() as unknown as WasmBackendInternals;
  const entry = backend.dataIdMap?.get(tensor.dataId);
  const heap = backend.wasm?.HEAPU8;
  if (!entry || !heap || entry.dtype !== 'float32' || entry.memoryOffset % 4 !== 0) return undefined;
  return new Float32Array(heap.buffer, heap.byteOffset + entry.memoryOffset + start * 4, end - start);
}

/** Copies a float32 tensor's values into `target` at `offset` (from the wasm heap in place where it can). */
export function copyValuesInto(tensor: tf.Tensor, target: Float32Array, offset: number): void {
  target.set(wasmHeapView(tensor) ?? (tensor.dataSync() as Float32Array), offset);
}
