/** Where the trainer's thread spends a parallel step, summed over a fit: for choosing `workers`. */
export class StepTiming {
  private readonly ms = { publish: 0, send: 0, own: 0, wait: 0, apply: 0 };
  private steps = 0;
  private mark = 0;

  start(): void {
    this.steps++;
    this.mark = performance.now();
  }

  /** Adds the time since the last mark to `phase`. */
  lap(phase: keyof StepTiming['ms']): void {
    const now = performance.now();
    this.ms[phase] += now - this.mark;
    this.mark = now;
  }

  /** The one log line at the end of a fit; undefined when no step ran. */
  summary(): string | undefined {
    const { publish, send, own, wait, apply } = this.ms;
    const total = publish + send + own + wait + apply;
    if (total <= 0) return undefined;
    const part = (ms: number) => `${Math.round((100 * ms) / total)}%`;
    const perStep = (ms: number) => (ms / this.steps).toFixed(1);
    return `[losskit] workers: this thread spent ${part(own)} on its slice, ${part(wait)} waiting for the workers, `
      + `${part(publish + send + apply)} sending slices and weights, summing and applying (a large wait share: the workers do not get a core each); `
      + `ms per step: slice ${perStep(own)}, wait ${perStep(wait)}, weights ${perStep(publish)}, send ${perStep(send)}, sum and apply ${perStep(apply)}`;
  }
}
