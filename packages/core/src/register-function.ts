import type * as tf from '@tensorflow/tfjs';
import { getLossRegistry } from './global-registry.js';
import type { LossMetadata } from './plugin.js';
import { assertCoreApi, functionFactory } from './plugin-factory.js';
import { CORE_API_VERSION } from './version.js';

/**
 * Registers a stateless per-sample function as a loss, for losses that need no options or
 * dependencies: `registerLossFunction({ name: 'my-l1', description: '...' }, (t, p) => tf.mean(tf.abs(tf.sub(t, p)), -1))`.
 */
export function registerLossFunction(
  meta: Omit<LossMetadata, 'coreApi' | 'options' | 'defaults'> & { coreApi?: string },
  perSample: (yTrue: tf.Tensor, yPred: tf.Tensor) => tf.Tensor,
): void {
  const full: LossMetadata = { coreApi: `^${CORE_API_VERSION}`, ...meta };
  const owner = full.package ? `${full.package.name}@${full.package.version} (function ${meta.name})` : `function '${meta.name}'`;
  assertCoreApi(full, owner);
  getLossRegistry().register({ name: full.name, meta: full, owner, builtin: false, build: functionFactory(perSample) });
}
