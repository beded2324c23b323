import { ShapeMismatchError } from '@losskit/core';

/**
 * Throws unless y_true and y_pred are equal-shaped NHWC image batches. Shared by every image
 * loss so that each refuses the same inputs with the same advice.
 */
export function assertImagePair(loss: string, yTrue: readonly number[], yPred: readonly number[]): void {
  for (const [label, shape] of [['y_true', yTrue], ['y_pred', yPred]] as const) {
    if (shape.length !== 4) {
      throw new ShapeMismatchError(
        `Loss '${loss}' compares images: ${label} must be rank 4 [batch, height, width, channels], ` +
          `got shape [${shape}]. Reshape flat images (e.g. [batch, 784] to [batch, 28, 28, 1]) first.`,
      );
    }
  }
  if (yTrue.some((dim, i) => dim !== yPred[i])) {
    throw new ShapeMismatchError(`Loss '${loss}': y_true has shape [${yTrue}] but y_pred has shape [${yPred}]; they must match.`);
  }
}
