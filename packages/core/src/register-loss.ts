import { container, injectable } from 'tsyringe';
import type { $ZodType } from 'zod/v4/core';
import { getLossRegistry } from './global-registry.js';
import type { LossMetadata, LossPluginClass } from './plugin.js';
import { assertCoreApi, classFactory } from './plugin-factory.js';

/**
 * Class decorator: makes the class injectable and registers it as a loss plugin.
 *
 * ```ts
 * @RegisterLoss({ name: 'my-mse', description: '...', coreApi: '^1.0.0', options: z.object({ scale: z.number().default(1) }) })
 * class MyMse implements LossPlugin {
 *   constructor(@inject(LOSS_OPTIONS) private readonly options: { scale: number }) {}
 *   compute(yTrue, yPred) { return tf.mean(tf.square(tf.sub(yTrue, yPred)), -1).mul(this.options.scale); }
 * }
 * ```
 */
export function RegisterLoss<S extends $ZodType>(meta: LossMetadata<S>) {
  return <C extends LossPluginClass>(pluginClass: C): C => {
    const owner = ownerOf(meta, pluginClass.name);
    assertCoreApi(meta, owner);
    injectable()(pluginClass as never);
    getLossRegistry().register({
      name: meta.name,
      meta,
      owner,
      builtin: false,
      // The tsyringe copy that made the class injectable is the one that can build it.
      build: classFactory(pluginClass, meta, container),
    });
    return pluginClass;
  };
}

export function ownerOf(meta: LossMetadata, className: string): string {
  return meta.package ? `${meta.package.name}@${meta.package.version} (class ${className})` : `class ${className}`;
}
