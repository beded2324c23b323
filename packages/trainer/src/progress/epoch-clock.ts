/** Elapsed-time bookkeeping the progress renderers share. */
export class EpochClock {
  private trainStart = 0;
  private epochStart = 0;
  private epochsDone = 0;

  startTraining(): void {
    this.trainStart = performance.now();
  }
  startEpoch(): void {
    this.epochStart = performance.now();
  }
  /** Seconds since the epoch began. */
  epochSeconds(): number {
    return (performance.now() - this.epochStart) / 1000;
  }
  /** Seconds left in the run, extrapolated from the epochs this fit has finished. */
  finishEpoch(epochsLeft: number): number {
    this.epochsDone += 1;
    const perEpoch = (performance.now() - this.trainStart) / 1000 / this.epochsDone;
    return perEpoch * epochsLeft;
  }
}
