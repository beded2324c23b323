import { TrainerFileError } from './errors.js';

// Keys that would reach Object.prototype if any later code merged the parsed object.
const PROTOTYPE_KEYS = new Set(['__proto__', 'constructor', 'prototype']);

/** JSON.parse that refuses prototype keys at any depth, with a message that quotes nothing. */
export function parseUntrustedJson(text: string, file: string, what: string): unknown {
  let badKey: string | undefined;
  let parsed: unknown;
  try {
    parsed = JSON.parse(text, (key, value: unknown) => {
      if (PROTOTYPE_KEYS.has(key)) badKey ??= key;
      return value;
    });
  } catch {
    throw new TrainerFileError(
      `${file} (${what}) is not valid JSON. The file is corrupt or was cut short; restore it from a complete save or checkpoint.`,
    );
  }
  if (badKey !== undefined) throw new TrainerFileError(`${file} (${what}) contains the key '${badKey}', which no losskit file has; refusing it.`);
  return parsed;
}
