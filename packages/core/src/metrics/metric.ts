import type * as tf from '@tensorflow/tfjs';
// zod's shared core type: plugins' classic schemas and core's zod/mini ones alike.
import type { $ZodType } from 'zod/v4/core';

/**
 * A stateful metric, accumulated over many batches (Keras 3's `Metric`): `update` adds a
 * batch, `result` reads the value over everything added since the last `reset`.
 * `update` must not dispose its inputs and must leave no tensors behind; state it keeps across
 * updates is held with `tf.keep` (or in `tf.Variable`s), since callers such as the trainer run
 * `update` inside a `tf.tidy`.
 */
export interface Metric {
  update(yTrue: tf.Tensor, yPred: tf.Tensor, sampleWeight?: tf.Tensor): void;
  /** A new scalar the caller disposes. */
  result(): tf.Scalar;
  reset(): void;
  dispose(): void;
}

/** The accumulators of a metric as plain numbers, for checkpoints (`setState` takes them back). */
export type MetricState = Record<string, number[]>;

/** A metric built by the registry: its canonical name, the spec that rebuilds it, its state. */
export interface ResolvedMetric extends Metric {
  readonly name: string;
  readonly spec: SavedMetricSpec;
  /** 'up' when larger is better (accuracy), 'down' when smaller is (a loss as a metric). */
  readonly direction: 'up' | 'down';
  getState(): MetricState;
  setState(state: MetricState): void;
}

/** A metric by name, or by name with options: `'auc'`, `{ name: 'auc', options: { curve: 'PR' } }`. */
export type MetricSpec = string | { name: string; options?: Record<string, unknown> };

export interface SavedMetricSpec {
  name: string;
  options: Record<string, unknown>;
  package?: { name: string; version: string };
}

export interface MetricMetadata<S extends $ZodType = $ZodType> {
  /** Canonical name, lowercase kebab-case; third-party metrics use their own prefix. */
  name: string;
  aliases?: readonly string[];
  description: string;
  /** Options schema with defaults; unknown keys are refused. */
  options?: S;
  /** Semver range of the core API the metric was built for, e.g. '^1.0.0'. */
  coreApi: string;
  direction?: 'up' | 'down';
  package?: { name: string; version: string };
  /** Replace an existing registration of the same name instead of failing. */
  override?: boolean;
}

/** A metric class: constructed with its validated options. */
export type MetricClass = new (options: never) => Metric;
