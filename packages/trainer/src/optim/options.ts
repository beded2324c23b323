// zod/mini, as core's own schemas: no classic zod on a browser page (core installs the English messages).
import * as z from 'zod/mini';
import { didYouMean } from '../options/strict.js';
import { OptimizerOptionsError } from './errors.js';

/** Keras 3's optimizer arguments for clipping and accumulation, camelCase. */
export interface GradientOptions {
  /** Clip each variable's gradient to this L2 norm (Keras `clipnorm`). */
  clipnorm?: number;
  /** Clip every gradient element to [-clipvalue, clipvalue] (Keras `clipvalue`). */
  clipvalue?: number;
  /** Clip all gradients together to this joint L2 norm (Keras `global_clipnorm`). */
  globalClipnorm?: number;
  /** Average the gradients of this many batches and apply them once (Keras `gradient_accumulation_steps`, >= 2). */
  gradientAccumulationSteps?: number;
}

const schema = z.strictObject({
  clipnorm: z.optional(z.number().check(z.positive())),
  clipvalue: z.optional(z.number().check(z.positive())),
  globalClipnorm: z.optional(z.number().check(z.positive())),
  gradientAccumulationSteps: z.optional(z.number().check(z.int(), z.minimum(2))),
});

/** Checks the options as Keras does: at most one kind of clipping, accumulation over >= 2 batches. */
export function checkGradientOptions(options: GradientOptions): GradientOptions {
  const parsed = schema.safeParse(options);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((issue) =>
      issue.code === 'unrecognized_keys'
        ? `unknown option(s) ${issue.keys.map((key) => `${key}${didYouMean(key, Object.keys(schema.shape))}`).join(', ')} (known: ${Object.keys(schema.shape).join(', ')})`
        : `${issue.path.join('.')}: ${issue.message}`,
    );
    throw new OptimizerOptionsError(`trainingOptimizer: ${problems.join('; ')}.`);
  }
  const set = (['clipnorm', 'clipvalue', 'globalClipnorm'] as const).filter((key) => parsed.data[key] !== undefined);
  if (set.length > 1) {
    throw new OptimizerOptionsError(`trainingOptimizer: only one of clipnorm, clipvalue and globalClipnorm can be set (as in Keras); got ${set.join(' and ')}.`);
  }
  return Object.fromEntries(Object.entries(parsed.data).filter(([, value]) => value !== undefined)) as GradientOptions;
}
