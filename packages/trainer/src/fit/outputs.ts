import type * as tf from '@tensorflow/tfjs';
import { TrainerInputError } from '../errors.js';
import { didYouMean } from '../options/strict.js';

/** Something given once for every output, or per output (array in output order, or keyed by name). */
export type PerOutput<T> = T | readonly T[] | Readonly<Record<string, T>>;

/**
 * Spreads a per-output option over the model's outputs. `isSingle` tells a value meant for all
 * outputs apart from a record keyed by output name.
 */
export function perOutput<T>(
  model: tf.LayersModel,
  value: PerOutput<T>,
  isSingle: (value: unknown) => value is T,
  option: string,
  /** What an output left out of a keyed object gets; without it every output must be named. */
  missing?: { value: T },
): T[] {
  const names = model.outputNames;
  if (isSingle(value)) return names.map(() => value);
  if (Array.isArray(value)) {
    if (value.length !== names.length) {
      throw new TrainerInputError(
        `${option}: got ${value.length} entries for a model with ${names.length} output(s) (${names.join(', ')}); ` +
          `give one per output, in output order, or an object keyed by output name.`,
      );
    }
    return [...value];
  }
  if (typeof value !== 'object' || value === null) {
    throw new TrainerInputError(`${option}: expected one value for every output, an array in output order or an object keyed by output name (got ${String(value)}).`);
  }
  const record = value as Record<string, T>;
  const unknown = Object.keys(record).filter((key) => !names.includes(key));
  if (unknown.length) {
    throw new TrainerInputError(
      `${option}: unknown output name(s) ${unknown.map((n) => `'${n}'${didYouMean(n, names)}`).join(', ')}; the model's outputs are ` +
        `${names.map((n) => `'${n}'`).join(', ')}.`,
    );
  }
  if (missing) return names.map((name) => (Object.hasOwn(record, name) ? record[name]! : missing.value));
  const absent = names.filter((name) => !Object.hasOwn(record, name));
  if (absent.length) {
    throw new TrainerInputError(
      `${option}: no entry for output(s) ${absent.map((n) => `'${n}'`).join(', ')}; give one for every output.`,
    );
  }
  return names.map((name) => record[name]!);
}

/** The same per-output values back in the shape the user gave them (for saving). */
export function likeInput<T, U>(model: tf.LayersModel, given: unknown, isSingle: (v: unknown) => boolean, values: U[]): U | U[] | Record<string, U> {
  if (isSingle(given)) return values[0]!;
  if (Array.isArray(given)) return values;
  return Object.fromEntries(model.outputNames.map((name, i) => [name, values[i]!]));
}
