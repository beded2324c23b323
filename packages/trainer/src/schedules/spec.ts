// zod/mini, as core's own schemas (core's zod-mini.ts installs the English messages): a
// browser page then loads no classic zod (bench/browser-bundle-size.bench.mjs).
import * as z from 'zod/mini';
import { ScheduleError } from '../optim/errors.js';
import { didYouMean } from '../options/strict.js';
import {
  cosineDecay,
  cosineDecayRestarts,
  exponentialDecay,
  inverseTimeDecay,
  piecewiseConstantDecay,
  polynomialDecay,
} from './formulas.js';

const positive = z.number().check(z.positive());
const steps = z.number().check(z.int(), z.positive());
const nonnegative = () => z.number().check(z.nonnegative());
const unit = () => z.number().check(z.minimum(0), z.maximum(1));
const flag = () => z._default(z.boolean(), false);

// One strict schema per schedule: a misspelt option is an error, never a silent default.
const SCHEDULES = {
  'exponential-decay': {
    schema: z.strictObject({ initialLearningRate: positive, decaySteps: steps, decayRate: positive, staircase: flag() }),
    fn: exponentialDecay,
  },
  'piecewise-constant-decay': {
    schema: z
      .strictObject({ boundaries: z.array(z.number()).check(z.minLength(1)), values: z.array(nonnegative()).check(z.minLength(2)) })
      .check(
        z.refine((o) => o.values.length === o.boundaries.length + 1, { message: 'values must have one entry more than boundaries' }),
        z.refine((o) => o.boundaries.every((b, i) => i === 0 || b > o.boundaries[i - 1]!), { message: 'boundaries must increase' }),
      ),
    fn: piecewiseConstantDecay,
  },
  'polynomial-decay': {
    schema: z.strictObject({
      initialLearningRate: positive,
      decaySteps: steps,
      endLearningRate: z._default(nonnegative(), 0.0001),
      power: z._default(positive, 1),
      cycle: flag(),
    }),
    fn: polynomialDecay,
  },
  'inverse-time-decay': {
    schema: z.strictObject({ initialLearningRate: positive, decaySteps: steps, decayRate: nonnegative(), staircase: flag() }),
    fn: inverseTimeDecay,
  },
  'cosine-decay': {
    schema: z.strictObject({
      initialLearningRate: nonnegative(),
      decaySteps: steps,
      alpha: z._default(unit(), 0),
      warmupTarget: z.optional(positive),
      warmupSteps: z._default(z.number().check(z.int(), z.nonnegative()), 0),
    }),
    fn: cosineDecay,
  },
  'cosine-decay-restarts': {
    schema: z.strictObject({
      initialLearningRate: positive,
      firstDecaySteps: steps,
      tMul: z._default(positive, 2),
      mMul: z._default(positive, 1),
      alpha: z._default(unit(), 0),
    }),
    fn: cosineDecayRestarts,
  },
} as const;

export type ScheduleName = keyof typeof SCHEDULES;
export const SCHEDULE_NAMES = Object.keys(SCHEDULES) as ScheduleName[];

/** A schedule as plain JSON, saved with the trainer: `{ name: 'cosine-decay', options: { ... } }`. */
export interface ScheduleSpec {
  name: ScheduleName;
  options: Record<string, unknown>;
}

/** A learning rate: a number, a schedule spec, or a function of the step (not saveable). */
export type LearningRateOption = number | ScheduleSpec | ((step: number) => number);

/** A schedule ready to call, with the JSON that rebuilds it (undefined for a user function). */
export interface LearningRateSchedule {
  (step: number): number;
  readonly spec: ScheduleSpec | number | undefined;
}

/** Validates a learning-rate option and returns the function of the step it describes. */
export function createSchedule(option: LearningRateOption, where = 'learningRate'): LearningRateSchedule {
  if (typeof option === 'number') {
    if (!(Number.isFinite(option) && option >= 0)) throw new ScheduleError(`${where} must be a finite number >= 0 (got ${option}).`);
    return Object.assign(() => option, { spec: option });
  }
  if (typeof option === 'function') {
    const user = (step: number) => {
      const lr = option(step);
      if (typeof lr !== 'number' || !Number.isFinite(lr) || lr < 0) {
        throw new ScheduleError(`${where}: the schedule function returned ${String(lr)} at step ${step}; it must return a finite number >= 0.`);
      }
      return lr;
    };
    return Object.assign(user, { spec: undefined });
  }
  if (typeof option !== 'object' || option === null || Array.isArray(option)) {
    throw new ScheduleError(`${where} must be a number, a function (step) => lr, or { name, options } with a name of ${SCHEDULE_NAMES.join(', ')}.`);
  }
  const extra = Object.keys(option).filter((key) => key !== 'name' && key !== 'options');
  if (extra.length) throw new ScheduleError(`${where}: unknown key(s) ${extra.join(', ')}; a schedule is { name, options }.`);
  const entry = Object.hasOwn(SCHEDULES, option.name) ? SCHEDULES[option.name] : undefined;
  if (!entry) {
    throw new ScheduleError(`${where}: unknown schedule ${JSON.stringify(option.name)}${didYouMean(String(option.name), SCHEDULE_NAMES)}; schedules are ${SCHEDULE_NAMES.join(', ')}.`);
  }
  const parsed = entry.schema.safeParse(option.options ?? {});
  if (!parsed.success) {
    const known = Object.keys(entry.schema.shape);
    // A misspelt key also leaves the real one missing: say the misspelling first, with the fix.
    const issues = [...parsed.error.issues].sort((a, b) => Number(b.code === 'unrecognized_keys') - Number(a.code === 'unrecognized_keys'));
    const problems = issues.map((issue) =>
      issue.code === 'unrecognized_keys'
        ? `unknown option(s) ${issue.keys.map((key) => `'${key}'${didYouMean(key, known)}`).join(', ')} (options are ${known.join(', ')})`
        : `${issue.path.join('.') || 'options'}: ${issue.message}`,
    );
    throw new ScheduleError(`${where}: invalid options for schedule '${option.name}': ${problems.join('; ')}.`);
  }
  const options = parsed.data as never;
  const fn = entry.fn as (o: never, step: number) => number;
  return Object.assign((step: number) => fn(options, step), { spec: { name: option.name, options: parsed.data as Record<string, unknown> } });
}
