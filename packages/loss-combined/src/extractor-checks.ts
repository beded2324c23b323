import { InvalidOptionsError } from '@losskit/core';
import { FeatureExtractorNotReadyError } from './errors.js';
import type { FeatureExtractor } from './feature-extractor.js';

/**
 * Throws InvalidOptionsError naming every `layers.i.name` the extractor does not have (and the
 * layers it has). Shared by every loss on FEATURE_EXTRACTOR features (`combined`, `style`).
 */
export function assertExtractorLayers(loss: string, extractor: FeatureExtractor, layers: readonly { name: string }[]): void {
  const known = new Set(extractor.layerNames);
  const problems = layers
    .map((layer, i) => ({ layer, i }))
    .filter(({ layer }) => !known.has(layer.name))
    .map(({ layer, i }) => ({
      option: `layers.${i}.name`,
      message: `the feature extractor (${extractor.description}) has no layer '${layer.name}'; its layers are: ${extractor.layerNames.join(', ')}`,
      received: layer.name,
    }));
  if (problems.length) throw new InvalidOptionsError(loss, problems);
}

/** The extractor, or the error that says to await its loading first. */
export function requireExtractor(loss: string, extractor: FeatureExtractor | undefined): FeatureExtractor {
  if (extractor) return extractor;
  throw new FeatureExtractorNotReadyError(
    `Loss '${loss}': its feature extractor is still loading. Resolve the loss with ` +
      `\`await registry.resolve(spec)\` before computing it (resolveSync refuses such a loss).`,
  );
}
