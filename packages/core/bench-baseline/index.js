import 'reflect-metadata';
import { getLossRegistry } from './global-registry.js';
import { installDefaultPluginLoader } from './discovery.js';
export { CORE_API_VERSION } from './version.js';
export * from './errors.js';
export { LOSS_OPTIONS, LOSS_NAME } from './tokens.js';
export { RegisterLoss } from './register-loss.js';
export { registerLossFunction } from './register-function.js';
export { LossRegistry, conventionalPackageName } from './registry.js';
export { getLossRegistry } from './global-registry.js';
export { loadPlugins, createPluginLoader, resolvePluginPackage, PluginLoadError } from './discovery.js';
export { candidatePackages, isValidLossName, isValidPackageName, LOSS_NAME_PATTERN } from './plugin-names.js';
export { reduceLoss, REDUCTIONS, DEFAULT_REDUCTION, isReduction } from './reduction.js';
export { SumResolvedLoss } from './resolved-loss.js';
export { isSumSpec, lossNamesIn } from './spec.js';
// Plugins build their option schemas with core's zod, so one copy validates them.
export { z } from 'zod';
export { inject } from 'tsyringe';
// Create (or join) the process-wide registry now, so a second, incompatible copy of core
// fails at import rather than at the first resolution; resolveAsync/load then import
// conventionally named plugin packages for names nobody registered.
getLossRegistry();
installDefaultPluginLoader();
/** Shorthand for `getLossRegistry().resolve(spec)`. */
export const resolveLoss = (spec, options) => getLossRegistry().resolve(spec, options);
