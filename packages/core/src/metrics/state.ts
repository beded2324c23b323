import * as tf from '@tensorflow/tfjs';
import { MetricInputError } from './errors.js';
import type { MetricState } from './metric.js';

/**
 * Accumulators of a metric as float32 variables (as Keras keeps them), so updates stay on the
 * backend and nothing is read back until `result` is read.
 */
export class MetricVariables<K extends string> {
  private readonly variables: Record<K, tf.Variable>;

  constructor(private readonly owner: string, shapes: Record<K, number[]>) {
    this.variables = Object.fromEntries(
      // tidy frees the zeros; the variable keeps its own reference to the data.
      Object.entries<number[]>(shapes).map(([key, shape]) => [key, tf.tidy(() => tf.variable(tf.zeros(shape), false))]),
    ) as Record<K, tf.Variable>;
  }

  get(key: K): tf.Variable {
    return this.variables[key];
  }

  /** Adds `delta` (same shape) to an accumulator; disposes nothing the caller owns. */
  add(key: K, delta: tf.Tensor): void {
    const variable = this.variables[key];
    tf.tidy(() => variable.assign(tf.add(variable, delta)));
  }

  /** Adds plain numbers (same size as the accumulator) to it. */
  addValues(key: K, delta: ArrayLike<number>): void {
    const variable = this.variables[key];
    tf.tidy(() => variable.assign(tf.add(variable, tf.tensor(Float32Array.from(delta as ArrayLike<number>), variable.shape, 'float32'))));
  }

  reset(): void {
    for (const variable of Object.values<tf.Variable>(this.variables)) tf.tidy(() => variable.assign(tf.zerosLike(variable)));
  }

  dispose(): void {
    for (const variable of Object.values<tf.Variable>(this.variables)) variable.dispose();
  }

  getState(): MetricState {
    return Object.fromEntries(Object.entries<tf.Variable>(this.variables).map(([key, v]) => [key, Array.from(v.dataSync())]));
  }

  /** Puts back what `getState` returned; checks names and sizes, since the state may come from a file. */
  setState(state: MetricState): void {
    const entries = Object.entries<tf.Variable>(this.variables);
    for (const [key, variable] of entries) {
      const values = state?.[key];
      if (!Array.isArray(values) || values.length !== variable.size || !values.every((v) => typeof v === 'number')) {
        throw new MetricInputError(
          `Metric '${this.owner}': the saved state lacks '${key}' as ${variable.size} numbers; it was saved by another metric or is corrupt.`,
        );
      }
    }
    for (const [key, variable] of entries) tf.tidy(() => variable.assign(tf.tensor(state[key]!, variable.shape, 'float32')));
  }
}

/**
 * Base of the built-in metrics: they keep their accumulators in `state`, and reset, dispose and
 * state access are the same for all of them.
 */
export abstract class StatefulMetric<K extends string> {
  protected readonly state: MetricVariables<K>;

  protected constructor(owner: string, shapes: Record<K, number[]>) {
    this.state = new MetricVariables(owner, shapes);
  }

  reset(): void {
    this.state.reset();
  }
  dispose(): void {
    this.state.dispose();
  }
  getState(): MetricState {
    return this.state.getState();
  }
  setState(state: MetricState): void {
    this.state.setState(state);
  }
}
