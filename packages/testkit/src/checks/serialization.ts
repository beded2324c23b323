import { dequal } from 'dequal';
import * as tf from '@tensorflow/tfjs';
import type { ResolvedLoss } from '@losskit/core';
import { errorMessage, fail } from '../failure.js';
import type { LossCheck } from './check.js';

/** A saved spec (JSON text, as in a model file) resolves to the same loss again. */
export const serializationCheck: LossCheck = {
  id: 'serialization',
  title: 'survives a save/load round trip of its spec',
  async run(context) {
    const { config } = context;
    const description = context.registry.describe(config.name);
    const viaAlias = description.aliases[0];
    const specs = context.optionSets().map((options, i) => ({
      // An alias must be saved under the canonical name.
      name: i === 0 && viaAlias ? viaAlias : config.name,
      options,
    }));
    for (const spec of specs) {
      const original = await context.resolve(spec);
      let reloaded: ResolvedLoss | undefined;
      try {
        const saved: unknown = JSON.parse(JSON.stringify(original.spec));
        if (!dequal(saved, original.spec)) {
          fail(`The spec of ${JSON.stringify(spec)} changes through JSON: ${JSON.stringify(saved)} vs the resolved spec.`);
        }
        if ((saved as { name?: string }).name !== config.name) {
          fail(`The spec of ${JSON.stringify(spec)} is saved under '${(saved as { name?: string }).name}', not the canonical '${config.name}'.`);
        }
        try {
          reloaded = await context.resolve(saved as never);
        } catch (error) {
          fail(`The saved spec ${JSON.stringify(saved)} does not resolve: ${errorMessage(error)}`);
        }
        if (!dequal(reloaded.spec, original.spec)) {
          fail(`Resolving the saved spec ${JSON.stringify(saved)} gives a different spec: ${JSON.stringify(reloaded.spec)}.`);
        }
        const loaded = reloaded;
        tf.tidy(() => {
          const { yTrue, yPred } = context.randomInputs(context.primaryShape, 71);
          const before = JSON.stringify(Array.from(original.perSample(yTrue, yPred).dataSync()));
          const after = JSON.stringify(Array.from(loaded.perSample(yTrue, yPred).dataSync()));
          if (before !== after) fail(`The reloaded loss computes ${after}, the original ${before}.`);
        });
      } finally {
        original.dispose();
        reloaded?.dispose();
      }
    }
  },
};
