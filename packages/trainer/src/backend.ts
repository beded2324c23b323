import * as tf from '@tensorflow/tfjs';
import { BackendUnavailableError, TrainerInputError } from './errors.js';
import { stderrLogger, type Logger } from './logger.js';

export type BackendName = 'tensorflow' | 'wasm' | 'cpu';
export type BackendPreference = 'auto' | BackendName;
export const BACKEND_ENV_VAR = 'LOSSKIT_BACKEND';
const PREFERENCES: readonly BackendPreference[] = ['auto', 'tensorflow', 'wasm', 'cpu'];

export interface BackendChoice {
  backend: BackendName;
  /** Why this backend: forced by option/env, auto-detected, or a fallback. */
  reason: string;
}

export interface SelectBackendOptions {
  /** Checked against the wasm training kernels; a model wasm cannot train falls back to cpu. */
  model?: tf.LayersModel;
  logger?: Logger;
  env?: Record<string, string | undefined>;
}

/** What @losskit/wasm-training exports that we use; typed here so it stays an optional import. */
interface WasmTrainingModule {
  wasmTrainingSupport?: (model: tf.LayersModel) => { ok: boolean; unsupported: string[] };
}

// Layers whose gradients stock tfjs-backend-wasm lacks (Conv2DBackpropFilter and friends);
// only consulted when @losskit/wasm-training, which supplies those kernels, is absent.
const LAYERS_STOCK_WASM_CANNOT_TRAIN = new Set([
  'Conv1D', 'Conv2D', 'Conv2DTranspose', 'Conv3D', 'DepthwiseConv2D', 'SeparableConv2D', 'ConvLSTM2D',
]);

/**
 * Picks and activates a TF.js backend, then logs one line saying which and why.
 * Precedence: the `preferred` argument (unless 'auto'), then the LOSSKIT_BACKEND environment
 * variable, then auto-detection: tfjs-node if it imports, else wasm, else cpu.
 */
export async function selectBackend(
  preferred: BackendPreference = 'auto',
  options: SelectBackendOptions = {},
): Promise<BackendChoice> {
  const log = options.logger ?? stderrLogger;
  const env = options.env ?? process.env;
  const choice = await chooseBackend(preferred, env, options.model);
  log(`[losskit] backend: ${choice.backend} (${choice.reason})`);
  return choice;
}

async function chooseBackend(
  preferred: BackendPreference,
  env: Record<string, string | undefined>,
  model: tf.LayersModel | undefined,
): Promise<BackendChoice> {
  checkPreference(preferred, 'the backend option');
  const fromEnv = env[BACKEND_ENV_VAR]?.trim().toLowerCase() || undefined;
  if (fromEnv) checkPreference(fromEnv, `${BACKEND_ENV_VAR}=${fromEnv}`);

  const forced = preferred !== 'auto' ? { name: preferred, by: `forced by the backend option` }
    : fromEnv && fromEnv !== 'auto' ? { name: fromEnv as BackendName, by: `forced by ${BACKEND_ENV_VAR}=${fromEnv}` }
    : undefined;

  if (forced) {
    if (forced.name === 'wasm') {
      const unsupported = await wasmBlockers(model);
      if (unsupported.length) {
        await activate('cpu', undefined);
        return { backend: 'cpu', reason: `wasm ${forced.by}, but the model has layers wasm cannot train (${unsupported.join(', ')}); falling back to cpu` };
      }
    }
    const failure = await activate(forced.name, model);
    if (failure) throw new BackendUnavailableError(`Backend '${forced.name}' (${forced.by}) cannot be used: ${failure}`);
    return { backend: forced.name, reason: forced.by };
  }

  const skipped: string[] = [];
  for (const name of ['tensorflow', 'wasm'] as const) {
    const failure = await activate(name, model);
    if (!failure) return { backend: name, reason: skipped.length ? `auto; ${skipped.join('; ')}` : 'auto: best available' };
    skipped.push(`${name}: ${failure}`);
  }
  await activate('cpu', model);
  return { backend: 'cpu', reason: `auto fallback; ${skipped.join('; ')}` };
}

function checkPreference(value: string, where: string): asserts value is BackendPreference {
  if (!(PREFERENCES as readonly string[]).includes(value)) {
    throw new TrainerInputError(`Unknown backend '${value}' (${where}); use one of ${PREFERENCES.join(', ')}.`);
  }
}

/** Makes `name` the active backend; returns why it cannot be used, or undefined on success. */
async function activate(name: BackendName, model: tf.LayersModel | undefined): Promise<string | undefined> {
  if (name === 'tensorflow') {
    try {
      await import('@tensorflow/tfjs-node' as string);
    } catch {
      return '@tensorflow/tfjs-node is not installed (optional dependency; its install needs network access)';
    }
  }
  if (name === 'wasm') {
    try {
      await import('@tensorflow/tfjs-backend-wasm');
    } catch {
      return '@tensorflow/tfjs-backend-wasm is not installed';
    }
    const unsupported = await wasmBlockers(model);
    if (unsupported.length) return `the model has layers wasm cannot train (${unsupported.join(', ')})`;
  }
  try {
    if (!(await tf.setBackend(name))) return `tf.setBackend('${name}') failed to initialise`;
    await tf.ready();
  } catch (error) {
    return `initialising it failed: ${(error as Error).message}`;
  }
  return undefined;
}

/** Layers of `model` wasm cannot train; imports (and so registers) the wasm training kernels. */
async function wasmBlockers(model: tf.LayersModel | undefined): Promise<string[]> {
  const training = await importWasmTraining();
  if (!model) return [];
  if (training?.wasmTrainingSupport) return training.wasmTrainingSupport(model).unsupported;
  return [...new Set(allLayers(model).map((layer) => layer.getClassName()))].filter((name) =>
    LAYERS_STOCK_WASM_CANNOT_TRAIN.has(name),
  );
}

/** Imports the wasm training kernels (registering them), or undefined where the package is absent. */
async function importWasmTraining(): Promise<WasmTrainingModule | undefined> {
  try {
    return (await import('@losskit/wasm-training' as string)) as WasmTrainingModule;
  } catch {
    return undefined;
  }
}

function allLayers(model: tf.LayersModel): tf.layers.Layer[] {
  return model.layers.flatMap((layer) =>
    layer instanceof tf.LayersModel ? [layer, ...allLayers(layer)] : [layer],
  );
}
