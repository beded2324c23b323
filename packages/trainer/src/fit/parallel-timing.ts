/** Where the trainer's thread spends a parallel step, summed over a fit: for choosing `workers`. */
export class StepTiming {
  private readonly ms = { send: 0, own: 0, wait: 0, apply: 0 };
  private mark = 0;

  start(): void {
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
    const { send, own, wait, apply } = this.ms;
    const total = send + own + wait + apply;
    if (total <= 0) return undefined;
    const part = (ms: number) => `${Math.round((100 * ms) / total)}%`;
    return `[losskit] workers: this thread spent ${part(own)} on its slice, ${part(wait)} waiting for the workers, `
      + `${part(send + apply)} sending slices and weights, summing and applying (a large wait share: the workers do not get a core each)`;
  }
}
