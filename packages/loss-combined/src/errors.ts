import { LossKitError } from '@losskit/core';

/** The feature extractor's model could not be loaded (missing file, corrupt JSON or weights, bad URL). */
export class FeatureExtractorLoadError extends LossKitError {}

/** compute() ran before the feature extractor finished loading. */
export class FeatureExtractorNotReadyError extends LossKitError {}

/** A wrong argument to one of the package's functions (e.g. allowExtractorModels). */
export class CombinedInputError extends LossKitError {}
