import { closest, distance } from 'fastest-levenshtein';
import { TrainerInputError } from '../errors.js';

/**
 * The checks every entrance of the trainer (constructor, fit, evaluate, predict, nested option
 * objects) runs on what it is given, so a typo or a wrong type is an error naming the option
 * instead of a setting that silently does nothing.
 */

/** Keys that were renamed or moved, with what to write instead. */
export type MovedKeys = Readonly<Record<string, string>>;

/** A plain object (not an array, not a tensor, not null), for option bags. */
export function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false;
  const proto = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}

/** `value` must be an options object; `example` shows one in the message. */
export function checkOptionsObject(value: unknown, where: string, example: string): Record<string, unknown> {
  if (value === undefined) return {};
  if (!isPlainObject(value)) throw new TrainerInputError(`${where}: options must be a plain object such as ${example} (got ${describe(value)}).`);
  return value;
}

/**
 * Unknown keys are errors with the nearest known key; `moved` explains renamed options.
 * Matching ignores case and underscores first (`batch_size` -> `batchSize`).
 */
export function checkKeys(value: object, allowed: readonly string[], where: string, moved: MovedKeys = {}): void {
  for (const key of Object.keys(value)) {
    if (allowed.includes(key)) continue;
    if (Object.hasOwn(moved, key)) throw new TrainerInputError(`${where}: '${key}' is not an option here; ${moved[key]}.`);
    throw new TrainerInputError(`${where}: unknown option '${key}'${didYouMean(key, allowed)}. Options are: ${allowed.join(', ')}.`);
  }
}

/** " (did you mean 'x'?)" for the known name nearest to `name`, or '' when none is near. */
export function didYouMean(name: string, known: readonly string[]): string {
  const suggestion = nearest(name, known);
  return suggestion ? ` (did you mean '${suggestion}'?)` : '';
}

export function nearest(name: string, known: readonly string[]): string | undefined {
  if (!known.length) return undefined;
  const squash = (s: string) => s.replace(/[_-]/g, '').toLowerCase();
  const exact = known.find((k) => squash(k) === squash(name));
  if (exact) return exact;
  // A name cut short (`batch` for `batchSize`, `cosine` for `cosine-decay`) is too far off by
  // edit distance, but plainly meant the shortest known name it begins.
  const prefixOf = known.filter((k) => name.length >= 3 && squash(k).startsWith(squash(name))).sort((a, b) => a.length - b.length)[0];
  if (prefixOf) return prefixOf;
  const candidate = closest(name, [...known]);
  // Only suggest what is plausibly a typo of the name, not any name at all.
  return distance(name, candidate) <= Math.max(2, Math.floor(candidate.length / 3)) ? candidate : undefined;
}

/** A whole number >= min; a numeric string says to drop the quotes. */
export function wholeNumber(value: unknown, name: string, min: number, hint = ''): number {
  if (typeof value === 'number' && Number.isInteger(value) && value >= min) return value;
  throw new TrainerInputError(`${name} must be a whole number >= ${min} (got ${describe(value)})${stringHint(value)}${hint}.`);
}

/** A finite number >= 0 (weights); a numeric string says to drop the quotes. */
export function nonNegativeNumber(value: unknown, name: string): number {
  if (typeof value === 'number' && Number.isFinite(value) && value >= 0) return value;
  throw new TrainerInputError(`${name} must be a finite number >= 0 (got ${describe(value)})${stringHint(value)}.`);
}

export function oneOf<T extends string | number | boolean>(value: unknown, allowed: readonly T[], name: string): T {
  if (allowed.includes(value as T)) return value as T;
  const suggestion = typeof value === 'string' ? didYouMean(value, allowed.filter((a): a is T & string => typeof a === 'string')) : '';
  throw new TrainerInputError(`${name} must be one of ${allowed.map((a) => JSON.stringify(a)).join(', ')} (got ${describe(value)})${suggestion}.`);
}

function stringHint(value: unknown): string {
  return typeof value === 'string' && value.trim() !== '' && Number.isFinite(Number(value))
    ? `: that is a string; write the number without quotes (${Number(value)})`
    : '';
}

/** A short description of a value for messages: strings quoted, objects as JSON, capped. */
export function describe(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value.length > 40 ? `${value.slice(0, 37)}...` : value);
  if (typeof value === 'function') return 'a function';
  if (typeof value !== 'object' || value === null) return String(value);
  if (Array.isArray(value)) return `an array of ${value.length}`;
  const name = Object.getPrototypeOf(value)?.constructor?.name;
  if (name && name !== 'Object') return `a ${name}`;
  try {
    const json = JSON.stringify(value);
    return json.length > 60 ? `${json.slice(0, 57)}...` : json;
  } catch {
    return 'an object';
  }
}
