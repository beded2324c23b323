import type { LossRegistry } from '../registry.js';
import { CORE_API_VERSION } from '../version.js';
import { KERAS_CATALOG, namesOf } from './entries.js';
import { shapeValidator } from './shapes.js';

export const CORE_OWNER = 'the Keras 3 catalog (@losskit/core)';

/**
 * Registers the catalog's losses that core itself provides (all but the MSE, which is the
 * seed's @losskit/loss-mse plugin) under every name Keras, TF.js and losskit give them.
 */
export function registerKerasCatalog(registry: LossRegistry): void {
  for (const entry of KERAS_CATALOG) {
    const fn = entry.fn;
    if (entry.package !== '@losskit/core' || !fn) continue;
    const [name, ...aliases] = namesOf(entry);
    registry.register({
      name: name!,
      meta: { name: name!, aliases, description: entry.description, options: entry.options, coreApi: `^${CORE_API_VERSION}` },
      owner: CORE_OWNER,
      builtin: true,
      build: (options) => ({
        compute: (yTrue, yPred) => fn(yTrue, yPred, options),
        validateShapes: shapeValidator(entry, options),
        // dice and tversky with Keras's axis=None: one value for the whole batch
        batchScalar: 'axis' in options && options.axis === null,
      }),
    });
  }
}
