// Everything core exports in every environment; index.ts (Node) and browser.ts add the
// environment's package discovery on top.
import 'reflect-metadata';
import { getLossRegistry } from './global-registry.js';

export { CORE_API_VERSION, CORE_PACKAGE_VERSION } from './version.js';
export {
  LossKitError,
  UnknownLossError,
  ReservedLossNameError,
  DuplicateLossError,
  InvalidOptionsError,
  ShapeMismatchError,
  VersionMismatchError,
  LossSpecError,
  describeValue,
} from './errors.js';
export type { LossPlugin, LossMetadata, LossPluginClass, OptionsOf, DefaultProvider } from './plugin.js';
export { LOSS_OPTIONS, LOSS_NAME } from './tokens.js';
export { RegisterLoss } from './register-loss.js';
export { registerLossFunction } from './register-function.js';
export { registerLossClass, type LossClassMetadata } from './register-class.js';
export { LossRegistry, conventionalPackageName } from './registry.js';
export type { RegisteredLoss, LossDescription, ResolveOptions, ResolveAsyncOptions, PluginLoader } from './registry.js';
export { getLossRegistry } from './global-registry.js';
export { PluginLoadError, type DiscoveryOptions, type LoadedPlugin } from './plugin-load-error.js';
export { pluginDiscoveryMode, type PluginDiscoveryMode } from './discovery-mode.js';
export { candidatePackages, isValidLossName, isValidPackageName, LOSS_NAME_PATTERN } from './plugin-names.js';
export { InvalidLossNameError } from './loss-name-rule.js';
export { InvalidLossMetadataError, ResolveOptionsError } from './metadata-keys.js';
export { reduceLoss, REDUCTIONS, DEFAULT_REDUCTION, isReduction, type Reduction } from './reduction.js';
export type { ResolvedLoss, LossTerm, ReducedWithTerms } from './resolved-loss.js';
export { LossInputError } from './loss-inputs.js';
export { LossNotPreparedError } from './resolved-loss.js';
export { isSumSpec, lossNamesIn } from './spec.js';
// The Keras 3 catalog: names, owners, and the Keras helpers plugins may share.
export { KERAS_CATALOG, type CatalogEntry } from './catalog/entries.js';
export { firstPartyOwner, catalogAliases, type NameOwner } from './catalog/names.js';
export { fromKerasConfig, type KerasLossConfig } from './catalog/keras-config.js';
export { KERAS_EPSILON, sameRank, assertSameShapeAfterRankFix } from './catalog/keras-ops.js';
export type { LossSpec, SingleLossSpec, SumLossSpec, SavedLossSpec, SavedSingleLossSpec, SavedSumLossSpec } from './spec.js';
// Plugins build their option schemas with core's zod, so one copy validates them.
export * as z from 'zod';
export { inject, type DependencyContainer, type InjectionToken } from 'tsyringe';

// Create (or join) the process-wide registry now, so a second, incompatible copy of core
// fails at import rather than at the first resolution.
getLossRegistry();

/** Shorthand for `await getLossRegistry().resolve(spec)`: discovery and `prepare` included. */
export const resolveLoss: import('./registry.js').LossRegistry['resolve'] = (spec, options) =>
  getLossRegistry().resolve(spec, options);
/** Shorthand for `getLossRegistry().resolveSync(spec)` (registered names, no asynchronous setup). */
export const resolveLossSync: import('./registry.js').LossRegistry['resolveSync'] = (spec, options) =>
  getLossRegistry().resolveSync(spec, options);

// Stateful metrics (Keras 3 semantics), registered by name like losses (src/metrics).
export {
  getMetricRegistry,
  MetricRegistry,
  RegisterMetric,
  resolveMetricAsync,
  MeanMetric,
  MetricVariables,
  StatefulMetric,
  UnknownMetricError,
  DuplicateMetricError,
  InvalidMetricOptionsError,
  MetricInputError,
  accuracy,
  binaryAccuracy,
  categoricalAccuracy,
  sparseCategoricalAccuracy,
  topKCategoricalAccuracy,
  cosineSimilarity,
} from './metrics/index.js';
export type {
  Metric,
  MetricState,
  ResolvedMetric,
  MetricSpec,
  SavedMetricSpec,
  MetricMetadata,
  MetricClass,
  RegisteredMetric,
  MetricDescription,
  MetricFallback,
  MetricFn,
} from './metrics/index.js';
