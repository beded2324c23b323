import { closest } from 'fastest-levenshtein';
import { LossSpecError, describeValue } from './errors.js';
import { isReduction, REDUCTIONS, type Reduction } from './reduction.js';
import { fromKerasConfig, isKerasLossConfig, type KerasLossConfig } from './catalog/keras-config.js';

/** One registered loss: its name, or the name with options, a reduction and a weight in a sum. */
export type SingleLossSpec =
  | string
  | { name: string; options?: Record<string, unknown>; reduction?: Reduction; weight?: number }
  | KerasLossConfig;

/** A weighted sum of losses, e.g. `{ sum: [{ name: 'mse', weight: 0.8 }, { name: 'mae', weight: 0.2 }] }`. */
export interface SumLossSpec {
  sum: readonly SingleLossSpec[];
  reduction?: Reduction;
}

export type LossSpec = SingleLossSpec | SumLossSpec;

/** A spec after resolution: canonical names, every option filled in; plain JSON, safe to save. */
export interface SavedSingleLossSpec {
  name: string;
  options: Record<string, unknown>;
  /** Absent on the terms of a sum: the sum's reduction applies. */
  reduction?: Reduction;
  weight?: number;
  package?: { name: string; version: string };
}
export interface SavedSumLossSpec {
  sum: SavedSingleLossSpec[];
  reduction: Reduction;
}
export type SavedLossSpec = SavedSingleLossSpec | SavedSumLossSpec;

export interface NormalizedSingleSpec {
  name: string;
  options: Record<string, unknown>;
  reduction?: Reduction;
  weight: number;
}

export function isSumSpec(spec: LossSpec): spec is SumLossSpec {
  return typeof spec === 'object' && spec !== null && 'sum' in spec;
}

// 'package' is what a saved spec (SavedSingleLossSpec) carries; resolution ignores it.
const SINGLE_KEYS: ReadonlySet<string> = new Set(['name', 'options', 'reduction', 'weight', 'package']);
// Outside a sum a spec has no weight (an output's factor is the trainer's lossWeights): the
// unknown-key message should not offer it.
const OUTPUT_KEYS: ReadonlySet<string> = new Set(['name', 'options', 'reduction', 'package']);
const SUM_KEYS: ReadonlySet<string> = new Set(['sum', 'reduction']);

/** A spec key nobody reads is a typo (`reducton`) that would silently do nothing: refuse it. */
function checkSpecKeys(spec: object, allowed: ReadonlySet<string>, what: string, listed: ReadonlySet<string> = allowed): void {
  // for-in rather than Object.keys: no array per resolution on this hot path (an inherited
  // key is looked at only when it is not a known one).
  for (const key in spec) {
    if (allowed.has(key) || !Object.hasOwn(spec, key)) continue;
    const near = closest(key, [...listed]);
    throw new LossSpecError(
      `${what}: unknown key ${JSON.stringify(key)}${near ? ` (did you mean '${near}'?)` : ''}; a loss spec has only ${[...listed].join(', ')}${listed === allowed ? '' : ' (and weight, in a sum\'s terms)'}.`,
    );
  }
}

/**
 * Checks one loss spec (a sum's term when `inSum`): known keys only, a name, a known
 * reduction, and a `weight` only on a sum's term (finite, >= 0). An output's factor is the
 * trainer's `lossWeights`, not part of its spec.
 */
export function normalizeSingleSpec(spec: SingleLossSpec, inSum = false): NormalizedSingleSpec {
  if (isKerasLossConfig(spec)) return { ...fromKerasConfig(spec), weight: 1 };
  if (typeof spec === 'string') {
    if (!spec.trim()) throw new LossSpecError(`The loss spec is an empty string; give a loss name such as 'mse'.`);
    return { name: spec, options: {}, weight: 1 };
  }
  if (typeof spec !== 'object' || spec === null || typeof spec.name !== 'string' || !spec.name) {
    throw new LossSpecError(
      `The loss spec ${describeValue(spec)} is not a loss spec. Use a name ('mse'), ` +
        `{ name: 'mse', options?: {...}, reduction?: '...' } or { sum: [spec, ...] } (whose terms may also have a weight).`,
    );
  }
  checkSpecKeys(spec, SINGLE_KEYS, `Loss '${spec.name}'`, inSum ? SINGLE_KEYS : OUTPUT_KEYS);
  if (spec.reduction !== undefined && !isReduction(spec.reduction)) {
    throw new LossSpecError(
      `Loss '${spec.name}': unknown reduction ${describeValue(spec.reduction)}; use one of ${REDUCTIONS.join(', ')}.`,
    );
  }
  if (spec.weight !== undefined && !inSum) {
    throw new LossSpecError(
      `Loss '${spec.name}': 'weight' is only for the terms of a sum ({ sum: [{ name, weight }, ...] }); ` +
        `to weigh a model output's loss use the trainer's lossWeights option.`,
    );
  }
  if (spec.weight !== undefined && !(typeof spec.weight === 'number' && Number.isFinite(spec.weight) && spec.weight >= 0)) {
    const hint = typeof spec.weight === 'string' ? ' (a string; write the number without quotes)' : '';
    throw new LossSpecError(`Loss '${spec.name}': weight must be a finite number >= 0 (got ${describeValue(spec.weight)}${hint}).`);
  }
  if (spec.options !== undefined && (typeof spec.options !== 'object' || spec.options === null || Array.isArray(spec.options))) {
    throw new LossSpecError(`Loss '${spec.name}': options must be an object (got ${describeValue(spec.options)}).`);
  }
  return { name: spec.name, options: spec.options === undefined ? {} : { ...spec.options }, reduction: spec.reduction, weight: spec.weight ?? 1 };
}

export function validateSumSpec(spec: SumLossSpec): void {
  checkSpecKeys(spec, SUM_KEYS, 'Sum loss');
  if (!Array.isArray(spec.sum) || spec.sum.length === 0) {
    throw new LossSpecError(`A { sum: [...] } loss spec needs at least one term, e.g. { sum: ['mse', { name: 'mae', weight: 0.5 }] }.`);
  }
  if (spec.reduction !== undefined && !isReduction(spec.reduction)) {
    throw new LossSpecError(`Sum loss: unknown reduction ${describeValue(spec.reduction)}; use one of ${REDUCTIONS.join(', ')}.`);
  }
}

/** The names a spec mentions, so callers can load plugins before resolving. */
export function lossNamesIn(spec: LossSpec): string[] {
  if (isSumSpec(spec)) {
    validateSumSpec(spec);
    return spec.sum.map((term) => normalizeSingleSpec(term, true).name);
  }
  return [normalizeSingleSpec(spec).name];
}
