import { LossKitError } from '@losskit/core';

/** Bad arguments to `new Trainer()` or `fit()`: raised before any weight changes. */
export class TrainerInputError extends LossKitError {}

/** An optimizer name TF.js does not know. */
export class UnknownOptimizerError extends TrainerInputError {}

/** A backend that was asked for but cannot be used in this process. */
export class BackendUnavailableError extends LossKitError {}

/** A loss term evaluated to NaN or +-Infinity; the batch's gradients were not applied. */
export class NonFiniteLossError extends LossKitError {
  constructor(
    readonly term: string,
    readonly value: number,
    readonly epoch: number,
    readonly batch: number,
  ) {
    super(
      `Loss term '${term}' is ${value} at epoch ${epoch}, batch ${batch}; the weights of this batch were not ` +
        `updated. Check the data for NaN/Inf, lower the learning rate, or pass nanPolicy: 'skip-batch' to ` +
        `skip such batches.`,
    );
  }
}
