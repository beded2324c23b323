import type { LossRegistry } from '../registry.js';
import { CORE_API_VERSION } from '../version.js';
import type * as tf from '@tensorflow/tfjs';
import type { LossPlugin } from '../plugin.js';
import { KERAS_CATALOG, namesOf, type CatalogEntry } from './entries.js';
import { checkShapes } from './shapes.js';

export const CORE_OWNER = 'the Keras 3 catalog (@losskit/core)';

/**
 * Registers the catalog's losses that core itself provides (all but the MSE, which is the
 * seed's @losskit/loss-mse plugin) under every name Keras, TF.js and losskit give them.
 */
export function registerKerasCatalog(registry: LossRegistry): void {
  for (const entry of KERAS_CATALOG) {
    if (entry.package !== '@losskit/core' || !entry.fn) continue;
    const [name, ...aliases] = namesOf(entry);
    registry.register({
      name: name!,
      meta: { name: name!, aliases, description: entry.description, options: entry.options, coreApi: `^${CORE_API_VERSION}` },
      owner: CORE_OWNER,
      builtin: true,
      build: (options) => new CatalogPlugin(entry, options),
    });
  }
}

/** One resolution of a catalog loss: its options and the entry's function (no closures to build). */
class CatalogPlugin implements LossPlugin {
  constructor(
    private readonly entry: CatalogEntry,
    private readonly options: Record<string, unknown>,
  ) {}

  /** dice and tversky with Keras's axis=None: one value for the whole batch. */
  get batchScalar(): boolean {
    return this.options.axis === null;
  }

  compute(yTrue: tf.Tensor, yPred: tf.Tensor): tf.Tensor {
    return this.entry.fn!(yTrue, yPred, this.options);
  }

  validateShapes(yTrue: readonly number[], yPred: readonly number[]): void {
    checkShapes(this.entry, this.options, yTrue, yPred);
  }
}
