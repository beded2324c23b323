import * as tf from '@tensorflow/tfjs';
// The backend packages are loaded through the package import '#backend-modules': Node gets
// backend-modules.ts (dynamic imports), browsers backend-modules-browser.ts (the backends the
// page imported), so a cpu page bundles no wasm backend. Both are small: imported statically.
import * as modules from '#backend-modules';
import { BackendUnavailableError, TrainerInputError } from './errors.js';
import { stderrLogger, type Logger } from './logger.js';

export type BackendName = 'tensorflow' | 'wasm' | 'cpu' | 'webgl' | 'webgpu';
export type BackendPreference = 'auto' | BackendName;
export const BACKEND_ENV_VAR = 'LOSSKIT_BACKEND';
const PREFERENCES: readonly BackendPreference[] = ['auto', 'tensorflow', 'wasm', 'cpu', 'webgl', 'webgpu'];
/**
 * Browser backends that `auto` keeps when the application activated one (tf.setBackend) before
 * selecting: auto never picks them itself, so an active one was the application's choice.
 */
const KEPT_BY_AUTO: readonly BackendName[] = ['webgl', 'webgpu'];
/** In a choice's reason when wasm was passed over for the model's layers (a model-specific choice). */
const WASM_CANNOT_TRAIN = 'the model has layers wasm cannot train';

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

// Layers whose gradients stock tfjs-backend-wasm lacks (Conv2DBackpropFilter and friends);
// only consulted when @losskit/wasm-training, which supplies those kernels, is absent.
const LAYERS_STOCK_WASM_CANNOT_TRAIN = new Set([
  'Conv1D', 'Conv2D', 'Conv2DTranspose', 'Conv3D', 'DepthwiseConv2D', 'SeparableConv2D', 'ConvLSTM2D',
]);

/**
 * Picks and activates a TF.js backend, then logs one line saying which and why.
 * Precedence: the `preferred` argument (unless 'auto'), then the LOSSKIT_BACKEND environment
 * variable, then auto-detection: a webgl/webgpu backend the application already activated,
 * else tfjs-node if it imports, else wasm, else cpu.
 */
export async function selectBackend(
  preferred: BackendPreference = 'auto',
  options: SelectBackendOptions = {},
): Promise<BackendChoice> {
  const log = options.logger ?? stderrLogger;
  const env = options.env ?? processEnv();
  const choice = await chooseBackend(preferred, env, options.model);
  lastSelection = { request: effectiveRequest(preferred, env), choice, modelFallback: choice.reason.includes(WASM_CANNOT_TRAIN) };
  log(`[losskit] backend: ${choice.backend} (${choice.reason})`);
  return choice;
}

/** What the last selectBackend() call was asked for and chose; see useOrSelectBackend. */
let lastSelection: { request: BackendPreference; choice: BackendChoice; modelFallback: boolean } | undefined;

/**
 * The backend selectBackend() chose before, if it is still active and the same request would
 * choose it again for `model`; otherwise selects (and logs) anew. The Trainer calls this, so
 * the pattern "await selectBackend(), then build the model (its weights are written on the
 * final backend from the start), then new Trainer(...)" selects and logs once.
 */
export async function useOrSelectBackend(
  preferred: BackendPreference = 'auto',
  options: SelectBackendOptions = {},
): Promise<BackendChoice> {
  const env = options.env ?? processEnv();
  checkPreference(preferred, 'the backend option');
  const last = lastSelection;
  const request = effectiveRequest(preferred, env);
  const reusable =
    last !== undefined &&
    tf.getBackend() === last.choice.backend &&
    // A backend forced now that is already active, or the same request as last time -- unless
    // that ended in a cpu fallback made for another model (this one might train on wasm).
    (request === last.choice.backend || (request === last.request && !last.modelFallback)) &&
    (last.choice.backend !== 'wasm' || (await wasmBlockers(options.model)).length === 0);
  return reusable ? last.choice : selectBackend(preferred, options);
}

/** The request after the environment variable is applied: 'auto' or the backend forced. */
function effectiveRequest(preferred: BackendPreference, env: Record<string, string | undefined>): BackendPreference {
  if (preferred !== 'auto') return preferred;
  const fromEnv = env[BACKEND_ENV_VAR]?.trim().toLowerCase() || 'auto';
  checkPreference(fromEnv, `${BACKEND_ENV_VAR}=${fromEnv}`);
  return fromEnv;
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
        return { backend: 'cpu', reason: `wasm ${forced.by}, but ${WASM_CANNOT_TRAIN} (${unsupported.join(', ')}); falling back to cpu` };
      }
    }
    const failure = await activate(forced.name, model);
    if (failure) throw new BackendUnavailableError(`Backend '${forced.name}' (${forced.by}) cannot be used: ${failure}`);
    return { backend: forced.name, reason: forced.by };
  }

  const active = activeBackendName();
  if (active && (KEPT_BY_AUTO as readonly string[]).includes(active)) {
    return { backend: active as BackendName, reason: 'auto: kept the backend the application activated (tf.setBackend)' };
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
  const unavailable =
    name === 'tensorflow' ? await modules.loadTensorflow() : name === 'webgpu' ? await modules.loadWebgpu() : name === 'wasm' ? await modules.loadWasm() : undefined;
  if (unavailable) return unavailable;
  if (name === 'wasm') {
    const unsupported = await wasmBlockers(model);
    if (unsupported.length) return `${WASM_CANNOT_TRAIN} (${unsupported.join(', ')})`;
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
  const training = await modules.loadWasmTraining();
  if (!model) return [];
  if (training?.wasmTrainingSupport) return training.wasmTrainingSupport(model).unsupported;
  return [...new Set(allLayers(model).map((layer) => layer.getClassName()))].filter((name) =>
    LAYERS_STOCK_WASM_CANNOT_TRAIN.has(name),
  );
}

function allLayers(model: tf.LayersModel): tf.layers.Layer[] {
  return model.layers.flatMap((layer) =>
    layer instanceof tf.LayersModel ? [layer, ...allLayers(layer)] : [layer],
  );
}

/** Node's environment variables; none in a browser (read without naming `process` there). */
function processEnv(): Record<string, string | undefined> {
  return (globalThis as { process?: { env?: Record<string, string | undefined> } }).process?.env ?? {};
}

/** The backend tfjs has active, without initialising one (tf.getBackend() would). */
function activeBackendName(): string | undefined {
  return (tf.engine() as unknown as { backendName?: string | null }).backendName ?? undefined;
}
