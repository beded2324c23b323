import type * as tf from '@tensorflow/tfjs';
import semverSatisfies from 'semver/functions/satisfies.js';
import type { DependencyContainer } from 'tsyringe';
import { pluginApiMismatchError } from './errors.js';
import type { LossMetadata, LossPlugin, LossPluginClass } from './plugin.js';
import type { PluginFactory } from './registry.js';
import { LOSS_NAME, LOSS_OPTIONS } from './tokens.js';
import { CORE_API_VERSION, CORE_PACKAGE_VERSION } from './version.js';

// How registrations become plugin instances, and the core-API check every registration passes.

/** Builds a class plugin in a child container that holds its options and default dependencies. */
export function classFactory(
  pluginClass: LossPluginClass,
  meta: LossMetadata,
  root: DependencyContainer,
): PluginFactory {
  // A plugin whose constructor takes nothing needs no container: building one per resolution
  // was most of the cost of resolving such a plugin by name.
  if (pluginClass.length === 0 && !meta.defaults?.length) {
    return () => new (pluginClass as unknown as new () => LossPlugin)();
  }
  return (options, parent) => {
    const child = (parent ?? root).createChildContainer();
    child.register(LOSS_OPTIONS, { useValue: options });
    child.register(LOSS_NAME, { useValue: meta.name });
    for (const { token, provider } of meta.defaults ?? []) {
      if (!child.isRegistered(token, true)) child.register(token, provider as never);
    }
    return child.resolve(pluginClass as unknown as new () => LossPlugin);
  };
}

/** Builds a stateless plugin from a per-sample function. */
export function functionFactory(fn: (yTrue: tf.Tensor, yPred: tf.Tensor) => tf.Tensor): PluginFactory {
  return () => ({ compute: fn });
}

export function assertCoreApi(meta: LossMetadata, owner: string): void {
  if (!satisfiesRange(CORE_API_VERSION, meta.coreApi)) {
    throw pluginApiMismatchError({ name: meta.name, coreApi: meta.coreApi, owner }, { apiVersion: CORE_API_VERSION, packageVersion: CORE_PACKAGE_VERSION });
  }
}

/** Whether `version` is in the npm range `range` (a plugin's `coreApi`, say '^1.0.0'). */
export function satisfiesRange(version: string, range: string): boolean {
  try {
    return semverSatisfies(version, range);
  } catch {
    // An unparsable range is as incompatible as a wrong one.
    return false;
  }
}
