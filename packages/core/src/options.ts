import { closest } from 'fastest-levenshtein';
import type { $ZodType } from 'zod/v4/core';
import * as z from './zod-mini.js';
import { snakeToCamel } from './catalog/keras-config.js';
import { InvalidOptionsError } from './errors.js';

// Any zod schema: a plugin's classic one (the public `z`) or core's own zod/mini ones.
type Schema = $ZodType;

/**
 * Unknown keys are refused rather than dropped: a misspelt option ('alpah') silently
 * falling back to its default is the worst kind of bug in a loss.
 */
export function strictSchema(schema: Schema): Schema {
  let strict = strictSchemas.get(schema);
  if (!strict) {
    const maybeObject = schema as unknown as { strict?: () => Schema };
    // A classic object has .strict(); a zod/mini object gets the same never-catchall copy.
    if (typeof maybeObject.strict === 'function') strict = maybeObject.strict();
    else strict = schema._zod.def.type === 'object' ? z.catchall(schema as z.ZodMiniObject, z.never()) : schema;
    strictSchemas.set(schema, strict);
  }
  return strict;
}

// Building a strict copy of a zod object costs far more than parsing with it: once per schema.
const strictSchemas = new WeakMap<Schema, Schema>();
// What `{}` parses to, per (strict) schema: a name without options is the common spec, and
// zod's parse of it is the same every time. A fresh copy is handed out each time.
const emptyParses = new WeakMap<Schema, Record<string, unknown>>();

/** Validates options against a plugin's schema and fills in defaults. */
export function validateOptions(
  lossName: string,
  schema: Schema | undefined,
  options: Record<string, unknown>,
): Record<string, unknown> {
  if (!schema) {
    const given = Object.keys(options);
    if (given.length === 0) return {};
    throw new InvalidOptionsError(
      lossName,
      given.map((option) => ({ option, message: 'this loss takes no options', received: options[option] })),
    );
  }
  const empty = isEmptyRecord(options);
  const cached = empty ? emptyParses.get(schema) : undefined;
  if (cached) return { ...cached };
  const result = z.safeParse(schema, options);
  if (result.success && empty && isFlatRecord(result.data)) emptyParses.set(schema, { ...result.data });
  if (result.success) return result.data as Record<string, unknown>;
  const problems = result.error.issues.flatMap((issue) => {
    if (issue.code === 'unrecognized_keys') {
      // A nested object's unknown key is listed against that object's keys, not the top level's.
      const nested = issue.path.length > 0;
      const known = nested ? objectKeys(schemaAt(schema, issue.path)) : knownOptions(schema);
      const where = nested ? `unknown key in ${issue.path.map(String).join('.')}; its keys are` : 'unknown option; known options:';
      return issue.keys.map((key) => ({
        option: [...issue.path.map(String), key].join('.'),
        message: `${where} ${known.join(', ') || '(none)'}${didYouMean(key, known)}`,
        received: valueAt(options, [...issue.path, key]),
      }));
    }
    const option = issue.path.map(String).join('.') || '(options)';
    return [{ option, message: issue.message, received: valueAt(options, issue.path) }];
  });
  throw new InvalidOptionsError(lossName, problems);
}

/** The defaults a schema fills into empty options, or undefined when some option is required. */
export function defaultOptions(schema: Schema | undefined): Record<string, unknown> | undefined {
  if (!schema) return {};
  const result = z.safeParse(schema, {});
  return result.success ? (result.data as Record<string, unknown>) : undefined;
}

/** Wrappers that keep an inner schema's keys (a default, an optional, a transform's input). */
const WRAPPERS = new Set(['default', 'prefault', 'optional', 'nullable', 'readonly', 'catch', 'nonoptional']);

interface SchemaDef {
  type: string;
  innerType?: Schema;
  in?: Schema;
  shape?: Record<string, Schema>;
  element?: Schema;
}
const defOf = (schema: Schema | undefined): SchemaDef | undefined => schema?._zod.def as SchemaDef | undefined;

function unwrap(schema: Schema | undefined): Schema | undefined {
  let current = schema;
  for (let def = defOf(current); def && (WRAPPERS.has(def.type) || def.type === 'pipe'); def = defOf(current)) {
    current = def.type === 'pipe' ? def.in : def.innerType;
  }
  return current;
}

/** The schema of the value at `path` (object keys and array indices), when it can be followed. */
function schemaAt(schema: Schema, path: readonly PropertyKey[]): Schema | undefined {
  let current: Schema | undefined = schema;
  for (const key of path) {
    const def = defOf(unwrap(current));
    if (def?.type === 'object') current = def.shape?.[String(key)];
    else if (def?.type === 'array') current = def.element;
    else return undefined;
  }
  return unwrap(current);
}

const objectKeys = (schema: Schema | undefined): string[] => Object.keys(defOf(schema)?.shape ?? {});

export function knownOptions(schema: Schema): string[] {
  const shape = (schema as unknown as { shape?: Record<string, unknown> }).shape;
  return shape ? Object.keys(shape) : [];
}

/** Keras's snake_case spelling of a known option first (from_logits: fromLogits), then the nearest. */
function didYouMean(key: string, known: readonly string[]): string {
  if (!known.length) return '';
  const camel = snakeToCamel(key);
  const suggestion = known.includes(camel) ? camel : closest(key, [...known]);
  return `; did you mean '${suggestion}'?`;
}

/** Whether an object has no own keys, without allocating a key array: this runs on every resolution. */
export function isEmptyRecord(options: Record<string, unknown>): boolean {
  for (const key in options) if (Object.hasOwn(options, key)) return false;
  return true;
}

/** An object whose values are all primitives (safe to hand out as a shallow copy). */
export function isFlatRecord(value: unknown): value is Record<string, unknown> {
  // only flat values are cached: a default array or object could be mutated by a plugin
  return typeof value === 'object' && value !== null && Object.values(value).every((v) => v === null || typeof v !== 'object');
}

function valueAt(root: unknown, path: readonly PropertyKey[]): unknown {
  let value: unknown = root;
  for (const key of path) {
    if (value === null || typeof value !== 'object') return undefined;
    value = (value as Record<PropertyKey, unknown>)[key];
  }
  return value;
}
