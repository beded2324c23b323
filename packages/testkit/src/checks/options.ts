import { dequal } from 'dequal';
import type { ResolvedLoss } from '@losskit/core';
import { errorMessage, errorName, fail } from '../failure.js';
import { specOptions, type CheckContext } from '../context.js';
import type { LossCheck } from './check.js';

// A key no schema defines: core refuses unknown options, and a schema that accepts anything
// (z.any(), z.record()) would let a misspelt option silently fall back to its default.
const UNKNOWN_OPTION = '__losskitTestkitUnknownOption';

export const optionsCheck: LossCheck = {
  id: 'options',
  title: 'validates options: schema, defaults, accepted and rejected values',
  async run(context) {
    const { registry, config } = context;
    const description = registry.describe(config.name);
    if (typeof description.optionsSchema !== 'object' || description.optionsSchema === null) {
      fail(`Loss '${config.name}' has no JSON Schema for its options.`);
    }
    if (config.defaults !== undefined && !dequal(description.defaults, config.defaults)) {
      fail(`Defaults of '${config.name}' are ${JSON.stringify(description.defaults)}, expected ${JSON.stringify(config.defaults)}.`);
    }
    if (description.defaults) await checkDefaults(context, description.defaults);
    for (const options of config.validOptions) await checkAccepted(context, options);
    for (const options of [...config.invalidOptions, { [UNKNOWN_OPTION]: 1 }]) await checkRejected(context, options);
  },
};

async function checkDefaults(context: CheckContext, defaults: Record<string, unknown>): Promise<void> {
  const { config } = context;
  const empty = await context.resolve(config.name);
  empty.dispose();
  if (!dequal(specOptions(empty.spec), defaults)) {
    fail(`An empty spec resolves to options ${JSON.stringify(specOptions(empty.spec))}, but describe() reports defaults ${JSON.stringify(defaults)}.`);
  }
  // zod returns a default without validating it: a default that breaks its own constraints
  // only shows when the defaults are given back explicitly.
  let explicit: ResolvedLoss;
  try {
    explicit = await context.resolve({ name: config.name, options: defaults });
  } catch (error) {
    fail(`The defaults ${JSON.stringify(defaults)} of '${config.name}' are refused by its own schema: ${errorMessage(error)}`);
  }
  explicit.dispose();
  if (!dequal(specOptions(explicit.spec), defaults)) {
    fail(`Giving the defaults explicitly resolves to ${JSON.stringify(specOptions(explicit.spec))}, not to the defaults ${JSON.stringify(defaults)}.`);
  }
}

async function checkAccepted(context: CheckContext, options: Record<string, unknown>): Promise<void> {
  let resolved: ResolvedLoss;
  try {
    resolved = await context.resolve({ name: context.config.name, options });
  } catch (error) {
    fail(`Valid options ${JSON.stringify(options)} were refused: ${errorName(error)}: ${errorMessage(error)}`);
  }
  resolved.dispose();
  const validated = specOptions(resolved.spec);
  for (const [key, value] of Object.entries(options)) {
    if (!dequal(validated[key], value)) {
      fail(`Option '${key}' was given as ${JSON.stringify(value)} but resolved to ${JSON.stringify(validated[key])}.`);
    }
  }
}

async function checkRejected(context: CheckContext, options: Record<string, unknown>): Promise<void> {
  let resolved: ResolvedLoss;
  try {
    resolved = await context.resolve({ name: context.config.name, options });
  } catch (error) {
    if (errorName(error) === 'InvalidOptionsError') return;
    fail(
      `Invalid options ${JSON.stringify(options)} must be refused by the options schema with InvalidOptionsError, ` +
        `but resolving threw ${errorName(error)}: ${errorMessage(error)}`,
    );
  }
  resolved.dispose();
  fail(
    `Invalid options ${JSON.stringify(options)} were accepted (resolved to ${JSON.stringify(specOptions(resolved.spec))}); ` +
      `tighten the options schema.`,
  );
}
