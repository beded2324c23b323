import * as tf from '@tensorflow/tfjs';
import { TrainerFileError } from './errors.js';
import { TRAINING_OPTIMIZER_CLASS } from '../optim/class-name.js';
import { lookUpOptimizerClass } from '../optim/optimizer-class.js';
import { optimizerPrivateVariables } from '../tfjs-internals.js';
import { checkOptimizerConfig, checkOptimizerExtras } from './optimizer-configs.js';

/** What losskit.json records about the optimizer; its tensors go to a binary file beside it. */
export interface SavedOptimizer {
  className: string;
  config: tf.serialization.ConfigDict;
  /** In `getWeights()` order (iterations first, then slots by variable); `name` is TF.js's own. */
  weights: { name: string; spec: tf.io.WeightsManifestEntry }[];
  /**
   * Running products Adam keeps in variables outside `getWeights()`. `setWeights` recomputes
   * them as `pow(beta, iterations + 1)`; where a backend's pow differs in the last bits from the
   * float32 product accumulated step by step, training after a load would drift from training
   * that never stopped. Saving the exact values removes that dependence.
   */
  extras: Record<string, number>;
}

/** A decoded optimizer slot, as `optimizer.setWeights` takes it. */
export interface NamedTensor {
  name: string;
  tensor: tf.Tensor;
}

const EXTRA_VARIABLES = ['accBeta1', 'accBeta2'] as const;

export async function serializeOptimizer(optimizer: tf.Optimizer): Promise<{ saved: SavedOptimizer; data: ArrayBuffer }> {
  const className = optimizer.getClassName();
  let named: Awaited<ReturnType<tf.Optimizer['getWeights']>>;
  try {
    named = await optimizer.getWeights();
  } catch (error) {
    throw new TrainerFileError(
      `The ${className} optimizer cannot export its state (${(error as Error).message}). ` +
        `Use one whose state TF.js can save (sgd, momentum, adam, rmsprop, adagrad, adadelta).`,
    );
  }
  try {
    // Unique names: decodeWeights returns a map, and the order is what setWeights relies on.
    const { data, specs } = await tf.io.encodeWeights(named.map(({ tensor }, i) => ({ name: `slot-${i}`, tensor })));
    const extras: Record<string, number> = {};
    for (const [key, variable] of optimizerPrivateVariables(optimizer, EXTRA_VARIABLES)) extras[key] = (await variable.data())[0]!;
    return {
      saved: {
        className,
        config: optimizer.getConfig(),
        weights: named.map(({ name }, i) => ({ name, spec: specs[i]! })),
        extras,
      },
      data,
    };
  } finally {
    // getWeights() hands out the live slot variables plus a fresh iterations scalar; free only the latter.
    for (const { tensor } of named) if (!(tensor instanceof tf.Variable)) tensor.dispose();
  }
}

/**
 * Checks what the file says about the optimizer (its config for the class it names, its
 * `extras`) without building anything: called before any tensor of the save is made.
 */
export function checkSavedOptimizer(saved: SavedOptimizer, file: string): void {
  checkOptimizerConfig(saved.className, saved.config, file);
  checkOptimizerExtras(saved.className, saved.config as Record<string, unknown>, saved.extras ?? {}, file);
}

/** Builds the optimizer class named in the file from its checked config (no state yet); only tf.Optimizer subclasses. */
export function createOptimizer(saved: SavedOptimizer, file: string): tf.Optimizer {
  const entry = lookUpOptimizerClass(saved.className);
  if (entry === 'unknown') {
    // A browser bundle keeps TrainingOptimizer (and its registration) only where the page uses it.
    const how =
      saved.className === TRAINING_OPTIMIZER_CLASS
        ? "It was trained with losskit's TrainingOptimizer: `import { TrainingOptimizer } from '@losskit/trainer'` and call `tf.serialization.registerClass(TrainingOptimizer)` before loading."
        : 'Register it with tf.serialization.registerClass before loading.';
    throw new TrainerFileError(`${file} names the optimizer class '${saved.className}', which TF.js does not know. ${how}`);
  }
  // The serialization map also holds layers, initializers and constraints: a file must not make
  // losskit build one of those where an optimizer belongs.
  if (entry === 'not-an-optimizer') {
    throw new TrainerFileError(`${file} names '${saved.className}' as its optimizer, but that TF.js class is not an optimizer; the file is corrupt.`);
  }
  checkOptimizerConfig(saved.className, saved.config, file);
  let built: tf.serialization.Serializable;
  try {
    built = entry.fromConfig(entry.cls, saved.config);
  } catch (error) {
    // Only an application-registered class gets here with a config losskit did not check; its
    // message may quote the file, so it travels as the cause.
    throw Object.assign(
      new TrainerFileError(`${file}: optimizer.config does not build a ${saved.className} optimizer (${(error as Error)?.name}); the file is corrupt or from another version of that class.`),
      { cause: error },
    );
  }
  return built as tf.Optimizer;
}

/**
 * Decodes saved slots without touching any optimizer: a corrupt file fails here, before any
 * state is replaced, and leaves no tensor behind (the decode runs in a tidy).
 */
export function decodeOptimizerState(saved: SavedOptimizer, data: ArrayBuffer, file: string): NamedTensor[] {
  let decoded: tf.NamedTensorMap;
  try {
    decoded = tf.tidy(() => tf.io.decodeWeights(data, saved.weights.map(({ spec }) => spec)));
  } catch (error) {
    throw new TrainerFileError(`The optimizer state in ${file} cannot be decoded (${(error as Error).name}); the file is corrupt.`);
  }
  const values = saved.weights.map(({ name, spec }) => ({ name, tensor: decoded[spec.name] }));
  if (values.some((value) => value.tensor === undefined) || Object.keys(decoded).length !== values.length) {
    tf.dispose(Object.values(decoded));
    throw new TrainerFileError(`The optimizer state in ${file} names its slots inconsistently; the file is corrupt.`);
  }
  return values as NamedTensor[];
}

/**
 * Puts decoded slots into `optimizer`, replacing (and freeing) the slots it had. TF.js
 * optimizers create their slot variables lazily on the first applyGradients, keyed by position
 * in the gradient list; setWeights creates them from the saved values in that same order, so
 * the next step finds them and does not zero them. Check the values first (checkOptimizerSlots):
 * TF.js's setWeights does not. `values` are always freed.
 */
export async function applyOptimizerState(optimizer: tf.Optimizer, saved: SavedOptimizer, values: NamedTensor[], file: string): Promise<void> {
  // The slots it has now, freed only once the new ones are in: a setWeights that throws leaves them in use.
  let previous: NamedTensor[] = [];
  try {
    previous = await optimizer.getWeights();
    try {
      await optimizer.setWeights(values);
    } catch (error) {
      throw Object.assign(new TrainerFileError(`${file}: the optimizer state does not fit this ${optimizer.getClassName()} optimizer (${(error as Error)?.name}); the file is corrupt.`), { cause: error });
    }
    // TF.js setWeights replaces slot variables without freeing the old ones.
    for (const { tensor } of previous) tensor.dispose();
    previous = [];
    const variables = optimizerPrivateVariables(optimizer, EXTRA_VARIABLES);
    for (const [key, value] of Object.entries(saved.extras ?? {})) {
      const variable = variables.get(key);
      if (variable) tf.tidy(() => variable.assign(tf.scalar(value)));
    }
  } finally {
    // getWeights() hands out the live slot variables plus fresh scalars (the iteration count): free the latter if the old slots stay.
    for (const { tensor } of previous) if (!(tensor instanceof tf.Variable)) tensor.dispose();
    // setWeights wraps each value in a new variable sharing its data; drop our handles.
    for (const { tensor } of values) tensor.dispose();
  }
}
