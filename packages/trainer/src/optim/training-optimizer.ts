import * as tf from '@tensorflow/tfjs';
import { resolveOptimizer, type OptimizerName } from '../optimizer.js';
import { createSchedule, type LearningRateOption, type LearningRateSchedule, type ScheduleSpec } from '../schedules/spec.js';
import { clipByGlobalNorm, clipByNorm, clipByValue } from './clipping.js';
import { OptimizerOptionsError } from './errors.js';
import { readLearningRate, writeLearningRate } from './learning-rate-access.js';
import { checkGradientOptions, type GradientOptions } from './options.js';
import { TRAINING_OPTIMIZER_CLASS } from './class-name.js';
import { lookUpOptimizerClass } from './optimizer-class.js';

export interface TrainingOptimizerOptions extends GradientOptions {
  /** The optimizer that applies the updates: a name (TF.js defaults) or an instance. */
  optimizer: OptimizerName | (string & {}) | tf.Optimizer;
  /** A number, a schedule spec `{ name, options }`, or `(step) => lr`; default: the optimizer's own rate. */
  learningRate?: LearningRateOption;
}

type NamedTensor = { name: string; tensor: tf.Tensor };

const STEP = 'losskit/step';
const LEARNING_RATE = 'losskit/learning-rate';
const ACCUMULATORS = 'losskit/accumulators';
const PLATEAU = 'losskit/plateau';
const ACCUMULATOR = 'losskit/accumulator/';

/**
 * Any TF.js optimizer with Keras 3's learning-rate schedules, gradient clipping and gradient
 * accumulation, applied in Keras's order: accumulate (average of k batches), clip, update at the
 * learning rate of the current step. Being a tf.Optimizer, it goes wherever one does (the
 * trainer's `optimizer`, `model.compile`), and its state (step, accumulators, the inner
 * optimizer's slots) is saved and restored with the trainer's checkpoints.
 *
 * The step counts every batch (`applyGradients` call), as Keras's `optimizer.iterations` does
 * internally, and schedules are read at it: with accumulation over k batches, the update after
 * batch i uses lr(i). Batches at the end of a run that do not fill a group stay accumulated (in
 * the saved state too) and are applied with the next group, as in Keras; they are not applied
 * at the end of an epoch or of a fit.
 */
export class TrainingOptimizer extends tf.Optimizer {
  // A plain identifier: saved manifests accept class names matching /^[A-Za-z][A-Za-z0-9_]*$/.
  static className = TRAINING_OPTIMIZER_CLASS;
  readonly inner: tf.Optimizer;
  readonly gradientOptions: Readonly<GradientOptions>;
  private schedule: LearningRateSchedule;
  private step = 0;
  /** By position in the gradient list, as Keras keeps them by variable index: a loaded model's variables have new names. */
  private accumulators: tf.Variable[] = [];
  /**
   * ReduceLROnPlateau's counters when it drives this optimizer: kept here so that they are
   * saved and restored with the optimizer state (checkpoints, resume) and a resumed run reduces
   * the rate at the same epochs as one that never stopped.
   */
  plateauState: { best: number | null; wait: number; cooldownCounter: number } | undefined;

  constructor(options: TrainingOptimizerOptions) {
    super();
    if (typeof options !== 'object' || options === null || options.optimizer === undefined) {
      throw new OptimizerOptionsError("trainingOptimizer needs { optimizer }, e.g. new TrainingOptimizer({ optimizer: 'adam', globalClipnorm: 1 }).");
    }
    const { optimizer, learningRate, ...gradient } = options;
    this.gradientOptions = checkGradientOptions(gradient);
    this.inner = resolveOptimizer(optimizer);
    try {
      // tf.Optimizer answers instanceof by duck typing (Symbol.hasInstance), so compare class names.
      if (this.inner.getClassName() === TrainingOptimizer.className) throw new OptimizerOptionsError('trainingOptimizer: the inner optimizer is a TrainingOptimizer already; give its options to one.');
      this.schedule = createSchedule(learningRate ?? readLearningRate(this.inner));
    } catch (error) {
      // An optimizer built here from a name holds tensors (Adam's step counters) nobody else can
      // free; an instance the caller passed stays theirs.
      if (typeof optimizer === 'string') this.inner.dispose();
      throw error;
    }
  }

  /** Batches seen (Keras's internal `_iterations`); the schedule is evaluated at it. */
  override get iterations(): number {
    return this.step;
  }

  /**
   * Sets the batch count back to an earlier value, for the trainer's NaN guard on webgl/webgpu
   * (fit/lagged-steps.ts), which undoes updates it applied before reading their losses. The
   * accumulators are variables, which that guard restores itself.
   * @internal
   */
  rewindTo(step: number): void {
    if (!Number.isInteger(step) || step < 0 || step > this.step) throw new OptimizerOptionsError(`TrainingOptimizer.rewindTo(${step}): expected a whole number from 0 to the current step ${this.step}.`);
    this.step = step;
  }

  /** The learning rate the next update uses. */
  get learningRate(): number {
    return this.schedule(this.step);
  }

  /**
   * Sets a constant learning rate (ReduceLROnPlateau, LearningRateScheduler). Refused when a
   * schedule is in charge, as Keras refuses it: two owners of the rate would fight.
   */
  set learningRate(lr: number) {
    if (typeof this.schedule.spec !== 'number') {
      throw new OptimizerOptionsError(
        'This optimizer follows a learning-rate schedule, so its learning rate cannot be set (Keras refuses it too); ' +
          'use a constant learningRate with ReduceLROnPlateau or LearningRateScheduler.',
      );
    }
    this.schedule = createSchedule(lr, 'learningRate');
  }

  /**
   * Adam's and Adamax's bias-correction powers live in private variables outside getWeights;
   * the trainer's persistence saves them by these names, so they are forwarded from the inner
   * optimizer: without them a restored Adam recomputes them with pow and drifts in the last bits.
   */
  get accBeta1(): unknown {
    return (this.inner as unknown as Record<string, unknown>).accBeta1;
  }
  get accBeta2(): unknown {
    return (this.inner as unknown as Record<string, unknown>).accBeta2;
  }

  /** The schedule spec (or constant) saved with the trainer; undefined for a user function. */
  get learningRateSpec(): ScheduleSpec | number | undefined {
    return this.schedule.spec;
  }

  override applyGradients(variableGradients: tf.NamedTensorMap | NamedTensor[]): void {
    const named = Array.isArray(variableGradients) ? variableGradients.map(({ name, tensor }) => [name, tensor] as const) : Object.entries(variableGradients);
    const k = this.gradientOptions.gradientAccumulationSteps;
    tf.tidy(() => {
      let grads = named.map(([, g]) => g);
      if (k !== undefined) {
        const accs = named.map(([, g], i) => this.accumulator(i, g));
        if ((this.step + 1) % k !== 0) {
          accs.forEach((acc, i) => acc.assign(tf.add(acc, grads[i]!)));
          return;
        }
        grads = grads.map((g, i) => tf.div(tf.add(g, accs[i]!), k));
        for (const acc of accs) acc.assign(tf.zerosLike(acc));
      }
      grads = this.clip(grads);
      const lr = this.schedule(this.step);
      if (readLearningRate(this.inner) !== lr) writeLearningRate(this.inner, lr);
      this.inner.applyGradients(Object.fromEntries(named.map(([name], i) => [name, grads[i]!])));
    });
    this.step++;
  }

  private clip(grads: tf.Tensor[]): tf.Tensor[] {
    const { clipnorm, globalClipnorm, clipvalue } = this.gradientOptions;
    if (clipnorm !== undefined) return clipByNorm(grads, clipnorm);
    if (globalClipnorm !== undefined) return clipByGlobalNorm(grads, globalClipnorm);
    if (clipvalue !== undefined) return clipByValue(grads, clipvalue);
    return grads;
  }

  private accumulator(index: number, like: tf.Tensor): tf.Variable {
    let acc = this.accumulators[index];
    if (!acc) {
      acc = tf.variable(tf.zerosLike(like), false);
      this.accumulators[index] = acc;
    } else if (!sameShape(acc.shape, like.shape)) {
      throw new OptimizerOptionsError(
        `TrainingOptimizer: gradient ${index} has shape [${like.shape}] but its accumulator has [${acc.shape}]; one optimizer accumulates for one model's variables, in one order.`,
      );
    }
    return acc;
  }

  override dispose(): void {
    for (const acc of this.accumulators) if (!acc.isDisposed) acc.dispose();
    this.accumulators = [];
    this.inner.dispose();
    super.dispose();
  }

  /** [step, learning rate, accumulator count, accumulators..., plateau counters, the inner optimizer's weights...]. */
  override async getWeights(): Promise<NamedTensor[]> {
    const own: NamedTensor[] = [
      { name: STEP, tensor: tf.scalar(this.step, 'int32') },
      // float64 bits as two int32 words: a reduced constant rate comes back exactly, not rounded to float32.
      { name: LEARNING_RATE, tensor: tf.tensor1d(float64Words(this.learningRate), 'int32') },
      { name: ACCUMULATORS, tensor: tf.scalar(this.accumulators.length, 'int32') },
      ...this.accumulators.map((tensor, i) => ({ name: `${ACCUMULATOR}${i}`, tensor })),
      { name: PLATEAU, tensor: tf.tensor1d(encodePlateau(this.plateauState), 'int32') },
    ];
    return [...own, ...(await this.inner.getWeights())];
  }

  override async setWeights(weightValues: NamedTensor[]): Promise<void> {
    // Everything is read and checked before any field changes: a corrupt state leaves this optimizer as it was.
    const [step, lr, count] = weightValues;
    if (step?.name !== STEP || lr?.name !== LEARNING_RATE || count?.name !== ACCUMULATORS) {
      throw new OptimizerOptionsError('TrainingOptimizer.setWeights: the state was not saved by a TrainingOptimizer (its first entries are missing).');
    }
    const n = (await count.tensor.data())[0]!;
    if (!Number.isInteger(n) || n < 0) throw new OptimizerOptionsError('TrainingOptimizer.setWeights: the accumulator count is not a whole number >= 0; the state is corrupt.');
    const saved = weightValues.slice(3, 3 + n);
    if (saved.length !== n || !saved.every(({ name }) => name.startsWith(ACCUMULATOR))) {
      throw new OptimizerOptionsError(`TrainingOptimizer.setWeights: expected ${n} gradient accumulators in the saved state; it is truncated or corrupt.`);
    }
    const plateau = weightValues[3 + n];
    if (plateau?.name !== PLATEAU) throw new OptimizerOptionsError('TrainingOptimizer.setWeights: the saved state lacks the plateau entry; it is truncated or corrupt.');
    const plateauState = decodePlateau(Array.from(await plateau.tensor.data()));
    const savedStep = (await step.tensor.data())[0]!;
    if (!Number.isInteger(savedStep) || savedStep < 0) throw new OptimizerOptionsError(`TrainingOptimizer.setWeights: the saved step ${savedStep} is not a whole number >= 0; the state is corrupt.`);
    const words = Array.from(await lr.tensor.data());
    if (words.length !== 2) throw new OptimizerOptionsError('TrainingOptimizer.setWeights: the learning-rate entry has the wrong size; the state is corrupt.');
    const rate = fromFloat64Words(words);
    if (!(Number.isFinite(rate) && rate >= 0)) throw new OptimizerOptionsError('TrainingOptimizer.setWeights: the saved learning rate is not a finite number >= 0; the state is corrupt.');
    await this.inner.setWeights(weightValues.slice(4 + n));
    this.plateauState = plateauState;
    this.step = savedStep;
    if (typeof this.schedule.spec === 'number') this.schedule = createSchedule(rate);
    for (const acc of this.accumulators) if (!acc.isDisposed) acc.dispose();
    this.accumulators = saved.map(({ tensor }) => tf.variable(tensor, false));
  }

  override getConfig(): tf.serialization.ConfigDict {
    const spec = this.schedule.spec;
    return {
      optimizer: { className: this.inner.getClassName(), config: this.inner.getConfig() },
      // A user function cannot be written to a file; `fromConfig` says so.
      learningRate: spec === undefined ? null : (spec as unknown as tf.serialization.ConfigDictValue),
      ...(this.gradientOptions as tf.serialization.ConfigDict),
    };
  }

  static override fromConfig<T extends tf.serialization.Serializable>(cls: tf.serialization.SerializableConstructor<T>, config: tf.serialization.ConfigDict): T {
    const { optimizer, learningRate, ...gradient } = config as unknown as { optimizer: { className: string; config: tf.serialization.ConfigDict }; learningRate: ScheduleSpec | number | null } & GradientOptions;
    if (learningRate === null) {
      throw new OptimizerOptionsError(
        'This TrainingOptimizer was saved with a learning-rate function, which cannot be restored from a file; ' +
          "use a schedule spec ({ name: 'cosine-decay', options }) for runs that are saved and resumed.",
      );
    }
    // The serialization map is a plain object that also holds layers: an own key, and an optimizer class only.
    const entry = lookUpOptimizerClass(optimizer?.className);
    if (entry === 'unknown') throw new OptimizerOptionsError('TrainingOptimizer: the saved inner optimizer class is not known to TF.js; register it with tf.serialization.registerClass first.');
    if (entry === 'not-an-optimizer') throw new OptimizerOptionsError('TrainingOptimizer: the saved inner optimizer class is a TF.js class but not an optimizer; the config is corrupt.');
    const inner = entry.fromConfig(entry.cls, optimizer.config) as tf.Optimizer;
    try {
      return new (cls as unknown as typeof TrainingOptimizer)({ optimizer: inner, learningRate, ...gradient }) as unknown as T;
    } catch (error) {
      // Adam's and Adamax's constructors make variables: a refused config must not leave them behind.
      inner.dispose();
      throw error;
    }
  }
}

tf.serialization.registerClass(TrainingOptimizer);

function sameShape(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((dim, i) => dim === b[i]);
}

// The plateau counters as int32 (tensors hold no float64): [present, best is null, best's
// float64 bits as two words, wait, cooldown], so `best` comes back bit for bit.
function encodePlateau(state: TrainingOptimizer['plateauState']): number[] {
  if (!state) return [0, 0, 0, 0, 0, 0];
  return [1, state.best === null ? 1 : 0, ...float64Words(state.best ?? 0), state.wait, state.cooldownCounter];
}

function decodePlateau(values: number[]): TrainingOptimizer['plateauState'] {
  if (values.length !== 6) throw new OptimizerOptionsError('TrainingOptimizer.setWeights: the plateau entry has the wrong size; the state is corrupt.');
  if (values[0] === 0) return undefined;
  const best = values[1] === 1 ? null : fromFloat64Words([values[2]!, values[3]!]);
  return { best, wait: values[4]!, cooldownCounter: values[5]! };
}

function float64Words(value: number): [number, number] {
  const words = new Int32Array(new Float64Array([value]).buffer);
  return [words[0]!, words[1]!];
}

function fromFloat64Words(words: readonly number[]): number {
  return new Float64Array(new Int32Array([words[0]!, words[1]!]).buffer)[0]!;
}
