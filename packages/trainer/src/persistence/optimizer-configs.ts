import * as z from 'zod/mini';
import { TRAINING_OPTIMIZER_CLASS } from '../optim/class-name.js';
import { createSchedule, SCHEDULE_NAMES, type ScheduleSpec } from '../schedules/spec.js';
import { TrainerFileError } from './errors.js';

/**
 * The saved `optimizer.config` of each optimizer class losskit saves, checked before TF.js's
 * fromConfig sees it. TF.js's fromConfig passes config values to the constructor unchecked: a
 * string learning rate trains to NaN, a missing beta1 fails inside tensor(), an unknown key is
 * ignored. The keys are exactly what each class's getConfig writes (tfjs-core 4.x
 * dist/optimizers/*.js), so what losskit saved always passes and anything else is refused.
 * Classes an application registered itself are not described here (see `describedClass`).
 */

const finite = () => z.number().check(z.refine(Number.isFinite, 'must be a finite number'));
const atLeastZero = () => finite().check(z.refine((v) => v >= 0, 'must be >= 0'));
const positive = () => finite().check(z.refine((v) => v > 0, 'must be > 0'));
/** Exponential-average factors: beta = 1 divides by zero in Adam's bias correction. */
const beta = () => finite().check(z.refine((v) => v >= 0 && v < 1, 'must be in [0, 1)'));
const unit = () => finite().check(z.refine((v) => v >= 0 && v <= 1, 'must be in [0, 1]'));
/** getConfig writes the backend's epsilon where the constructor got null; null is kept as "the default". */
const epsilon = () => z.nullable(atLeastZero());

/** One TF.js optimizer class: its config and how many slot tensors it keeps per trainable variable. */
export interface DescribedOptimizer {
  config: z.ZodMiniObject;
  /** Slot tensors per trainable variable after the iterations entry (getWeights order: slot kind by kind). */
  slotsPerVariable: (config: Record<string, unknown>) => number;
  /** Private variables saved in `extras` (Adam's bias-correction powers). */
  extras: readonly string[];
}

const learningRate = atLeastZero();

export const DESCRIBED_OPTIMIZERS: Readonly<Record<string, DescribedOptimizer>> = {
  SGD: { config: z.strictObject({ learningRate }), slotsPerVariable: () => 0, extras: [] },
  Momentum: {
    config: z.strictObject({ learningRate, momentum: atLeastZero(), useNesterov: z.boolean() }),
    slotsPerVariable: () => 1,
    extras: [],
  },
  Adam: {
    config: z.strictObject({ learningRate, beta1: beta(), beta2: beta(), epsilon: epsilon() }),
    slotsPerVariable: () => 2,
    extras: ['accBeta1', 'accBeta2'],
  },
  // TF.js cannot export Adamax's state (getWeights throws), so no save holds one; described for completeness.
  Adamax: {
    config: z.strictObject({ learningRate, beta1: beta(), beta2: beta(), epsilon: epsilon(), decay: atLeastZero() }),
    slotsPerVariable: () => 2,
    extras: ['accBeta1'],
  },
  RMSProp: {
    config: z.strictObject({ learningRate, decay: unit(), momentum: atLeastZero(), epsilon: epsilon(), centered: z.boolean() }),
    slotsPerVariable: (config) => (config.centered === true ? 3 : 2),
    extras: [],
  },
  Adagrad: { config: z.strictObject({ learningRate, initialAccumulatorValue: atLeastZero() }), slotsPerVariable: () => 1, extras: [] },
  Adadelta: { config: z.strictObject({ learningRate, rho: unit(), epsilon: epsilon() }), slotsPerVariable: () => 2, extras: [] },
};

/** losskit's TrainingOptimizer: gradient options as checkGradientOptions takes them, a schedule or a constant, the inner optimizer. */
const trainingOptimizerConfig = z.strictObject({
  optimizer: z.strictObject({ className: z.string(), config: z.record(z.string(), z.unknown()) }),
  learningRate: z.union([z.null(), atLeastZero(), z.strictObject({ name: z.enum(SCHEDULE_NAMES as [string, ...string[]]), options: z.record(z.string(), z.unknown()) })]),
  clipnorm: z.optional(positive()),
  clipvalue: z.optional(positive()),
  globalClipnorm: z.optional(positive()),
  gradientAccumulationSteps: z.optional(z.int().check(z.minimum(2))),
});

/** Whether losskit knows the layout of this class's config and slots (TF.js's own classes and TrainingOptimizer). */
export function describedClass(className: string): boolean {
  return className === TRAINING_OPTIMIZER_CLASS || Object.hasOwn(DESCRIBED_OPTIMIZERS, className);
}

/**
 * Refuses a saved config that would not rebuild the class it names as it was saved: unknown or
 * missing keys, wrong types, non-finite or out-of-range numbers. `at` is the config's path in the
 * file, so the message names the field; values are never quoted.
 */
export function checkOptimizerConfig(className: string, config: unknown, file: string, at = 'optimizer.config'): void {
  if (className === TRAINING_OPTIMIZER_CLASS) return checkTrainingOptimizerConfig(config, file, at);
  const described = Object.hasOwn(DESCRIBED_OPTIMIZERS, className) ? DESCRIBED_OPTIMIZERS[className] : undefined;
  if (!described) return;
  checkAgainst(described.config, config, file, at, `the ${className} optimizer`);
}

function checkTrainingOptimizerConfig(config: unknown, file: string, at: string): void {
  const parsed = checkAgainst(trainingOptimizerConfig, config, file, at, "losskit's TrainingOptimizer");
  const clips = (['clipnorm', 'clipvalue', 'globalClipnorm'] as const).filter((key) => parsed[key] !== undefined);
  if (clips.length > 1) throw new TrainerFileError(`${file}: ${at} sets ${clips.join(' and ')}; a TrainingOptimizer clips one way only. The file is corrupt.`);
  const inner = parsed.optimizer.className;
  if (inner === TRAINING_OPTIMIZER_CLASS || !Object.hasOwn(DESCRIBED_OPTIMIZERS, inner)) {
    throw new TrainerFileError(
      `${file}: ${at}.optimizer.className does not name a TF.js optimizer a TrainingOptimizer wraps (${Object.keys(DESCRIBED_OPTIMIZERS).join(', ')}). The file is corrupt.`,
    );
  }
  checkOptimizerConfig(inner, parsed.optimizer.config, file, `${at}.optimizer.config`);
  if (parsed.learningRate === null) {
    throw new TrainerFileError(
      `${file}: ${at}.learningRate is null: the TrainingOptimizer was trained with a learning-rate function, which a file cannot hold. ` +
        "Train runs that are saved and resumed with a schedule spec ({ name: 'cosine-decay', options }).",
    );
  }
  if (typeof parsed.learningRate === 'object') {
    try {
      createSchedule(parsed.learningRate as ScheduleSpec);
    } catch {
      // The schedule's own message may quote the file's option names; say which schedule instead.
      throw new TrainerFileError(
        `${file}: ${at}.learningRate.options are not valid options of the schedule '${parsed.learningRate.name}' ` +
          '(see "Learning-rate schedules" in the @losskit/trainer README). The file is corrupt.',
      );
    }
  }
}

function checkAgainst<S extends z.ZodMiniObject>(schema: S, config: unknown, file: string, at: string, what: string): z.output<S> {
  const parsed = schema.safeParse(config);
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0]!;
  const where = [at, ...issue.path.map(String)].join('.');
  const problem = issue.code === 'unrecognized_keys' ? 'has an unknown key' : issue.message;
  throw new TrainerFileError(
    `${file}: ${where}: ${problem}. The config of ${what} has exactly the keys ${Object.keys(schema.shape).join(', ')}; ` +
      'the file is corrupt or was not written by losskit. Restore it from a complete save or checkpoint.',
  );
}

/**
 * Refuses `extras` keys the class does not keep and values no bias-correction power can have
 * (a product of factors in [0, 1)). Undescribed classes may only carry the two names losskit saves.
 */
export function checkOptimizerExtras(className: string, config: Record<string, unknown>, extras: Record<string, number>, file: string): void {
  const allowed = extrasOf(className, config) ?? ['accBeta1', 'accBeta2'];
  for (const [key, value] of Object.entries(extras)) {
    if (!allowed.includes(key)) {
      throw new TrainerFileError(
        `${file}: optimizer.extras has a key the ${className} optimizer does not keep (it keeps ${allowed.join(', ') || 'none'}). The file is corrupt.`,
      );
    }
    if (!(value >= 0 && value <= 1)) throw new TrainerFileError(`${file}: optimizer.extras.${key} must be in [0, 1] (a power of a beta factor). The file is corrupt.`);
  }
}

function extrasOf(className: string, config: Record<string, unknown>): readonly string[] | undefined {
  if (className === TRAINING_OPTIMIZER_CLASS) return extrasOf(String((config.optimizer as { className?: unknown } | undefined)?.className), {});
  return Object.hasOwn(DESCRIBED_OPTIMIZERS, className) ? DESCRIBED_OPTIMIZERS[className]!.extras : undefined;
}
