import { closest } from 'fastest-levenshtein';
import type { LossPluginTestConfig } from './config.js';
import { TestkitUsageError } from './errors.js';

// A test kit that ignores what it was told passes plugins it never checked: a misspelt key,
// check id or range form must stop the run with a message that says what to write instead.

/** Every key of LossPluginTestConfig: the `satisfies` makes a key added there fail to compile until listed here. */
const CONFIG_KEY_SET = {
  name: true,
  aliases: true,
  defaults: true,
  validOptions: true,
  invalidOptions: true,
  inputs: true,
  valueRange: true,
  inputRange: true,
  edgeCases: true,
  perSampleShape: true,
  reference: true,
  container: true,
  mismatchedShapes: true,
  tolerance: true,
  gradient: true,
  seed: true,
  skip: true,
} as const satisfies Record<keyof LossPluginTestConfig, true>;
const CONFIG_KEYS: readonly string[] = Object.keys(CONFIG_KEY_SET);

const NESTED_KEYS: Readonly<Record<string, readonly string[]>> = {
  valueRange: ['yTrue', 'yPred'],
  tolerance: ['rtol', 'atol'],
  gradient: ['step', 'rtol', 'atol', 'maxElements'],
};

function didYouMean(value: string, known: readonly string[]): string {
  const near = known.length ? closest(value, [...known]) : undefined;
  return near ? ` (did you mean '${near}'?)` : '';
}

/** Refuses keys nobody reads: `what` names the object (e.g. "the config", "config.gradient"). */
export function checkKnownKeys(object: object, known: readonly string[], what: string): void {
  for (const key of Object.keys(object)) {
    if (known.includes(key)) continue;
    throw new TestkitUsageError(
      `@losskit/testkit: unknown key ${JSON.stringify(key)} in ${what}${didYouMean(key, known)}; ` +
        `the keys are ${known.join(', ')}.`,
    );
  }
}

/** Checks the config's keys, and those of its nested option objects. */
export function checkConfigKeys(config: object): void {
  checkKnownKeys(config, CONFIG_KEYS, 'the config');
  for (const [key, known] of Object.entries(NESTED_KEYS)) {
    const value = (config as Record<string, unknown>)[key];
    if (value !== null && typeof value === 'object' && !Array.isArray(value)) checkKnownKeys(value, known, `config.${key}`);
  }
}

/** Each entry of `ids` (the config's `skip`, the options' `only`) must be a check id. */
export function checkIds(ids: unknown, known: readonly string[], what: string): void {
  if (ids === undefined) return;
  if (!Array.isArray(ids)) {
    throw new TestkitUsageError(`@losskit/testkit: ${what} must be an array of check ids (${known.join(', ')}), got ${JSON.stringify(ids)}.`);
  }
  for (const id of ids) {
    if (typeof id === 'string' && known.includes(id)) continue;
    const hint = typeof id === 'string' ? didYouMean(id, known) : '';
    throw new TestkitUsageError(
      `@losskit/testkit: ${what} names an unknown check ${JSON.stringify(id)}${hint}; the checks are ${known.join(', ')}.`,
    );
  }
}

/** `[low, high]` of finite numbers with low < high; `what` names the option in the message. */
export function checkRange(range: unknown, what: string): readonly [number, number] {
  const ok =
    Array.isArray(range) &&
    range.length === 2 &&
    range.every((end) => typeof end === 'number' && Number.isFinite(end)) &&
    range[0] < range[1];
  if (!ok) {
    throw new TestkitUsageError(
      `@losskit/testkit: ${what} must be [low, high] with low < high (finite numbers), got ${JSON.stringify(range)}.`,
    );
  }
  return range as [number, number];
}

export type ValueRangeConfig = readonly [number, number] | { yTrue?: readonly [number, number]; yPred?: readonly [number, number] };

/**
 * The two ranges random inputs are drawn from: `valueRange` as `[low, high]` (both inputs) or
 * `{ yTrue?, yPred? }`, each missing one from `fallback` (inputRange, else [-1, 1]).
 */
export function valueRanges(
  valueRange: ValueRangeConfig | undefined,
  fallback: readonly [number, number],
): { yTrue: readonly [number, number]; yPred: readonly [number, number] } {
  if (valueRange === undefined) return { yTrue: fallback, yPred: fallback };
  if (Array.isArray(valueRange)) {
    const both = checkRange(valueRange, 'valueRange');
    return { yTrue: both, yPred: both };
  }
  if (valueRange === null || typeof valueRange !== 'object') {
    throw new TestkitUsageError(
      `@losskit/testkit: valueRange must be [low, high] (both inputs) or { yTrue: [low, high], yPred: [low, high] }, ` +
        `got ${JSON.stringify(valueRange)}.`,
    );
  }
  const { yTrue, yPred } = valueRange as { yTrue?: unknown; yPred?: unknown };
  return {
    yTrue: yTrue === undefined ? fallback : checkRange(yTrue, 'valueRange.yTrue'),
    yPred: yPred === undefined ? fallback : checkRange(yPred, 'valueRange.yPred'),
  };
}
