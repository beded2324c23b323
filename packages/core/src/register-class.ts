import { inject, type InjectionToken } from 'tsyringe';
import type { $ZodType } from 'zod/v4/core';
import type { LossMetadata, LossPluginClass } from './plugin.js';
import { RegisterLoss } from './register-loss.js';
import { LOSS_OPTIONS } from './tokens.js';

/** The metadata of `@RegisterLoss`, plus the constructor's dependencies in parameter order. */
export interface LossClassMetadata<S extends $ZodType = $ZodType> extends LossMetadata<S> {
  /**
   * What the DI container passes to the constructor, one token per parameter, in order.
   * Default `[LOSS_OPTIONS]`: the constructor receives the validated options.
   */
  inject?: readonly InjectionToken<unknown>[];
}

/**
 * Registers a loss plugin class without decorators, for plain JavaScript or a TypeScript
 * project without `experimentalDecorators`. It does what `@inject(token)` on each constructor
 * parameter and `@RegisterLoss(meta)` on the class do, and returns the class:
 *
 * ```js
 * registerLossClass(class ScaledL1 {
 *   constructor(options) { this.scale = options.scale; }
 *   compute(yTrue, yPred) { return tf.mul(tf.mean(tf.abs(tf.sub(yTrue, yPred)), -1), this.scale); }
 * }, { name: 'scaled-l1', description: '...', coreApi: '^1.0.0', options: z.object({ scale: z.number().default(1) }) });
 * ```
 */
export function registerLossClass<C extends LossPluginClass, S extends $ZodType>(pluginClass: C, meta: LossClassMetadata<S>): C {
  const className = typeof pluginClass === 'function' && pluginClass.name ? pluginClass.name : `the class given for '${meta?.name}'`;
  if (typeof pluginClass !== 'function' || typeof pluginClass.prototype?.compute !== 'function') {
    throw new TypeError(
      `registerLossClass: ${className} is not a loss plugin class; pass a class with a compute(yTrue, yPred) method, then the metadata.`,
    );
  }
  const { inject: tokens = [LOSS_OPTIONS], ...metadata } = meta;
  // A constructor's length counts its parameters up to the first one with a default value.
  // More parameters than tokens would be left undefined by the container: say so now.
  if (pluginClass.length > tokens.length) {
    throw new TypeError(
      `registerLossClass: the constructor of ${className} ('${meta.name}') takes ${pluginClass.length} parameters, ` +
        `but inject lists ${tokens.length} token(s). List one token per parameter, in order, e.g. inject: [LOSS_OPTIONS, MY_TOKEN].`,
    );
  }
  // tsyringe's parameter decorator, applied by hand: (target, no property key, parameter index).
  tokens.forEach((token, index) => inject(token as InjectionToken<unknown>)(pluginClass, undefined, index));
  return RegisterLoss(metadata)(pluginClass);
}
