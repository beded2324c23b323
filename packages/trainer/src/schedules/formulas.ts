// Keras 3's learning-rate schedules (keras/src/optimizers/schedules/learning_rate_schedule.py),
// as plain functions of the optimizer step. Option names are Keras's in camelCase.
//
// Keras evaluates them in float32, and near the end of a cosine the float32 rounding is a
// visible part of the value (1 + cos(pi * 0.995) loses four digits), so every operation here
// is rounded to float32 (`f`) in Keras's order: the values equal Keras's, not merely approach them.

const f = Math.fround;

export interface ExponentialDecayOptions { initialLearningRate: number; decaySteps: number; decayRate: number; staircase: boolean }
export interface PiecewiseConstantDecayOptions { boundaries: number[]; values: number[] }
export interface PolynomialDecayOptions { initialLearningRate: number; decaySteps: number; endLearningRate: number; power: number; cycle: boolean }
export interface InverseTimeDecayOptions { initialLearningRate: number; decaySteps: number; decayRate: number; staircase: boolean }
export interface CosineDecayOptions { initialLearningRate: number; decaySteps: number; alpha: number; warmupTarget?: number | undefined; warmupSteps: number }
export interface CosineDecayRestartsOptions { initialLearningRate: number; firstDecaySteps: number; tMul: number; mMul: number; alpha: number }

/** initialLearningRate * decayRate ^ (step / decaySteps), the exponent floored with `staircase`. */
export function exponentialDecay(o: ExponentialDecayOptions, step: number): number {
  const p = f(f(step) / f(o.decaySteps));
  return f(f(o.initialLearningRate) * f(Math.pow(f(o.decayRate), o.staircase ? Math.floor(p) : p)));
}

/** values[0] up to and including boundaries[0], values[i] for boundaries[i-1] < step <= boundaries[i], the last value after. */
export function piecewiseConstantDecay(o: PiecewiseConstantDecayOptions, step: number): number {
  for (let i = 0; i < o.boundaries.length; i++) if (step <= o.boundaries[i]!) return f(o.values[i]!);
  return f(o.values[o.values.length - 1]!);
}

/** (initial - end) * (1 - step / decaySteps) ^ power + end; with `cycle` the horizon grows by decaySteps each time it is passed. */
export function polynomialDecay(o: PolynomialDecayOptions, step: number): number {
  let decaySteps = f(o.decaySteps);
  let s = f(step);
  if (o.cycle) decaySteps = f(decaySteps * (step === 0 ? 1 : Math.ceil(f(s / o.decaySteps))));
  else s = Math.min(s, decaySteps);
  const p = f(s / decaySteps);
  const span = f(f(o.initialLearningRate) - f(o.endLearningRate));
  return f(f(span * f(Math.pow(f(1 - p), f(o.power)))) + f(o.endLearningRate));
}

/** initialLearningRate / (1 + decayRate * step / decaySteps), the ratio floored with `staircase`. */
export function inverseTimeDecay(o: InverseTimeDecayOptions, step: number): number {
  let p = f(f(step) / f(o.decaySteps));
  if (o.staircase) p = Math.floor(p);
  return f(f(o.initialLearningRate) / f(1 + f(f(o.decayRate) * p)));
}

function cosineFrom(lr: number, step: number, decaySteps: number, alpha: number): number {
  const fraction = f(step / decaySteps);
  const cosine = f(0.5 * f(1 + f(Math.cos(f(f(Math.PI) * fraction)))));
  return f(lr * f(f(f(1 - alpha) * cosine) + f(alpha)));
}

/**
 * Without warmup: cosine from initialLearningRate to alpha * initialLearningRate over decaySteps.
 * With `warmupTarget`: linear from initialLearningRate to warmupTarget over warmupSteps, then the
 * cosine from warmupTarget over decaySteps.
 */
export function cosineDecay(o: CosineDecayOptions, step: number): number {
  const initial = f(o.initialLearningRate);
  const decaySteps = f(o.decaySteps);
  if (o.warmupTarget === undefined) return cosineFrom(initial, Math.min(f(step), decaySteps), decaySteps, o.alpha);
  const target = f(o.warmupTarget);
  const warmupSteps = f(o.warmupSteps);
  const s = Math.min(f(step), f(decaySteps + warmupSteps));
  if (s < warmupSteps) return f(f(f(target - initial) * f(s / warmupSteps)) + initial);
  return cosineFrom(target, f(s - warmupSteps), decaySteps, o.alpha);
}

/** SGDR: cosine periods that grow by tMul, each restart's peak scaled by mMul. */
export function cosineDecayRestarts(o: CosineDecayRestartsOptions, step: number): number {
  const tMul = f(o.tMul);
  let fraction = f(f(step) / f(o.firstDecaySteps));
  let restart: number;
  if (tMul === 1) {
    restart = Math.floor(fraction);
    fraction = f(fraction - restart);
  } else {
    restart = Math.floor(f(f(Math.log(f(1 - f(fraction * f(1 - tMul))))) / f(Math.log(tMul))));
    const sumR = f(f(1 - f(Math.pow(tMul, restart))) / f(1 - tMul));
    fraction = f(f(fraction - sumR) / f(Math.pow(tMul, restart)));
  }
  const mFac = f(Math.pow(f(o.mMul), restart));
  const cosine = f(f(0.5 * mFac) * f(1 + f(Math.cos(f(f(Math.PI) * fraction)))));
  const alpha = f(o.alpha);
  return f(f(o.initialLearningRate) * f(f(f(1 - alpha) * cosine) + alpha));
}
