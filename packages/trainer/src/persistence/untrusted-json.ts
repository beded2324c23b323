import { TrainerFileError } from './errors.js';
import { READ_LIMITS } from './limits.js';

// Keys that would reach Object.prototype if any later code merged the parsed object.
const PROTOTYPE_KEYS = new Set(['__proto__', 'constructor', 'prototype']);

/**
 * JSON.parse that refuses prototype keys at any depth and nesting deeper than
 * READ_LIMITS.jsonDepth, with messages that quote nothing.
 */
export function parseUntrustedJson(text: string, file: string, what: string): unknown {
  // Before JSON.parse: its reviver, the zod schemas and TF.js's deserializer all recurse per
  // level, so valid JSON nested a few thousand deep overflowed the stack (a bare RangeError from
  // zod, or "not valid JSON" where the reviver's overflow was caught). The scan is a loop.
  if (exceedsJsonDepth(text)) {
    throw new TrainerFileError(
      `${file} (${what}) nests arrays and objects more than ${READ_LIMITS.jsonDepth} levels deep, which no losskit or TF.js file does ` +
        '(the limit is READ_LIMITS.jsonDepth). The file is corrupt or was not written by losskit; restore it from a complete save or checkpoint.',
    );
  }
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

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const OPEN = new Set([0x5b, 0x7b]); // [ {
const CLOSE = new Set([0x5d, 0x7d]); // ] }

/**
 * Whether JSON text nests arrays and objects deeper than `limit`, counted without recursion
 * (brackets inside strings do not count). Text that is not JSON may be misjudged; JSON.parse
 * refuses it anyway.
 */
export function exceedsJsonDepth(text: string, limit: number = READ_LIMITS.jsonDepth): boolean {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === BACKSLASH) i++;
      else if (c === QUOTE) inString = false;
    } else if (c === QUOTE) inString = true;
    else if (OPEN.has(c)) {
      if (++depth > limit) return true;
    } else if (CLOSE.has(c)) depth--;
  }
  return false;
}
