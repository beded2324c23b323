/** The errors a parallel fit ends with; each says what failed and how to fix it. */

export class ParallelFitError extends Error {
  override name = 'ParallelFitError';
}

/** A replica threw (or its thread died): the fit stopped, every worker was ended. */
export class ReplicaFailedError extends ParallelFitError {
  override name = 'ReplicaFailedError';
  constructor(
    readonly replica: number,
    readonly workers: number,
    readonly where: string,
    readonly causeName: string,
    readonly causeMessage: string,
  ) {
    super(`worker ${replica} of ${workers} failed at ${where}: ${causeName}: ${causeMessage}. `
      + 'The fit stopped and every worker was ended; the model keeps the weights it had before fitParallel.');
  }
}

/** The loss cannot be rebuilt in a worker from plain JSON. */
export class NonCrossableLossError extends ParallelFitError {
  override name = 'NonCrossableLossError';
}
