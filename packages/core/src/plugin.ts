import type * as tf from '@tensorflow/tfjs';
import type { InjectionToken, Provider } from 'tsyringe';
// zod's shared core type: plugins' classic schemas and core's zod/mini ones alike.
import type { $ZodType, output } from 'zod/v4/core';

/**
 * What a loss plugin implements: per-sample loss values. Reduction and sample weights are
 * applied by core, identically for every plugin.
 */
export interface LossPlugin {
  /**
   * Loss values with the batch on the first axis, e.g. shape `[batch]`, or `[batch, time]`
   * for sequence losses. Must not dispose its inputs; runs inside tf.tidy.
   */
  compute(yTrue: tf.Tensor, yPred: tf.Tensor): tf.Tensor;
  /**
   * True for a loss that gives one value for the whole batch (a scalar), as Keras's dice and
   * tversky do with axis=None; reductions and sample weights then follow Keras for scalars.
   */
  readonly batchScalar?: boolean;
  /** Optional check of input shapes; throw a ShapeMismatchError to refuse them. */
  validateShapes?(yTrue: readonly number[], yPred: readonly number[]): void;
  /**
   * Optional asynchronous setup that compute() needs (loading a pretrained network, say).
   * `registry.resolve` awaits it; `registry.resolveSync` refuses a plugin that has it.
   */
  prepare?(): Promise<void>;
  /**
   * Optional, with `prepare`: whether the setup is done already (an injected network, say).
   * Without it a plugin that has `prepare` counts as unprepared until `prepare` has run.
   */
  isPrepared?(): boolean;
  /** Frees tensors the plugin holds (not shared dependencies). */
  dispose?(): void;
}

/** A default dependency a plugin brings; used only when the user registered none for the token. */
export interface DefaultProvider {
  token: InjectionToken<unknown>;
  provider: Provider<unknown>;
}

export interface LossMetadata<S extends $ZodType = $ZodType> {
  /** Canonical name, lowercase kebab-case. */
  name: string;
  aliases?: readonly string[];
  description: string;
  /** Options schema (zod) with defaults; options are validated and filled in on each resolution. */
  options?: S;
  /** Semver range of the core plugin API this plugin was built for, e.g. '^1.0.0'. */
  coreApi: string;
  /** The npm package that ships the plugin, saved with specs so loading can name it. */
  package?: { name: string; version: string };
  /** Dependencies the plugin can build itself when the application provides none. */
  defaults?: readonly DefaultProvider[];
  /** Replace an existing registration of the same name instead of failing. */
  override?: boolean;
}

/** A plugin class: constructed by the DI container, dependencies asked for with @inject. */
export type LossPluginClass = new (...args: never[]) => LossPlugin;

/** Options type of a plugin, derived from its schema. */
export type OptionsOf<S extends $ZodType> = output<S>;
