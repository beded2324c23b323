import { LossKitError } from '@losskit/core';

/**
 * A gradient worker of a fit with `workers` threw or its thread died. The fit stopped and every
 * worker was ended; the model holds the weights of the last applied step, and checkpoints
 * written before are untouched.
 */
export class WorkerFailedError extends LossKitError {
  constructor(
    /** 1..workers-1 (the trainer's own thread computes slice 0). */
    readonly worker: number,
    readonly workers: number,
    readonly where: string,
    readonly causeName: string,
    readonly causeMessage: string,
  ) {
    super(
      `fit: worker ${worker} of ${workers} failed at ${where}: ${causeName}: ${causeMessage}. The fit stopped and every worker ` +
        'was ended; the model keeps the weights of the last applied step and earlier checkpoints are untouched.',
    );
  }
}
