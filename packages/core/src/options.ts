import * as z from 'zod';
import { InvalidOptionsError } from './errors.js';

type Schema = z.ZodType;

/**
 * Unknown keys are refused rather than dropped: a misspelt option ('alpah') silently
 * falling back to its default is the worst kind of bug in a loss.
 */
export function strictSchema(schema: Schema): Schema {
  const maybeObject = schema as unknown as { strict?: () => Schema };
  return typeof maybeObject.strict === 'function' ? maybeObject.strict() : schema;
}

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
  const result = schema.safeParse(options);
  if (result.success) return result.data as Record<string, unknown>;
  const problems = result.error.issues.flatMap((issue) => {
    if (issue.code === 'unrecognized_keys') {
      const known = knownOptions(schema);
      return issue.keys.map((key) => ({
        option: [...issue.path.map(String), key].join('.'),
        message: `unknown option; known options: ${known.join(', ') || '(none)'}`,
        received: options[key],
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
  const result = schema.safeParse({});
  return result.success ? (result.data as Record<string, unknown>) : undefined;
}

export function knownOptions(schema: Schema): string[] {
  const shape = (schema as unknown as { shape?: Record<string, unknown> }).shape;
  return shape ? Object.keys(shape) : [];
}

function valueAt(root: unknown, path: readonly PropertyKey[]): unknown {
  let value: unknown = root;
  for (const key of path) {
    if (value === null || typeof value !== 'object') return undefined;
    value = (value as Record<PropertyKey, unknown>)[key];
  }
  return value;
}
