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

/** A metric name that is neither a TF.js metric string nor a registered loss. */
export class UnknownMetricError extends TrainerInputError {}

/** `nanPolicy: 'skip-batch'` skipped every batch of an epoch: there is nothing to log or learn from. */
export class AllBatchesSkippedError extends LossKitError {
  constructor(
    /** 0-based epoch index. */
    readonly epoch: number,
    readonly batches: number,
    /** The loss term that was non-finite in the last batch. */
    readonly term: string,
  ) {
    super(
      `Every batch of epoch ${epoch + 1} (${batches}) had a non-finite loss ('${term}'), so nanPolicy 'skip-batch' skipped ` +
        `them all and no weight changed. Check the data for NaN/Inf, or lower the learning rate.`,
    );
  }
}

/** Bad arguments to the plotting helpers (`plotHistory`, `renderHistorySvg`). */
export class PlotInputError extends LossKitError {}
