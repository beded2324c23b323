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
    /** 0-based epoch index. */
    readonly epoch: number,
    /** 0-based batch index within the epoch. */
    readonly batch: number,
  ) {
    super(
      // Counted from 1, as the progress lines count epochs; the fields stay 0-based indices.
      `Loss term '${term}' is ${value} in epoch ${epoch + 1}, batch ${batch + 1}; the weights of this batch were not ` +
        `updated. Check the data for NaN/Inf, lower the learning rate, or pass nanPolicy: 'skip-batch' to ` +
        `skip such batches.`,
    );
  }
}
