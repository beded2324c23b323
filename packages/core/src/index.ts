// Node's entry of @losskit/core (the package's "node" export condition): everything in
// shared-exports.ts plus package discovery, which imports conventionally named plugin packages
// for names nobody registered (resolveAsync/load). Browsers get browser.ts instead.
import { installDefaultPluginLoader } from './discovery.js';
import { setPluginDiscoveryMode } from './discovery-mode.js';

export * from './shared-exports.js';
export { loadPlugins, createPluginLoader, resolvePluginPackage, installedConventionalLossNames } from './discovery.js';

setPluginDiscoveryMode('packages');
installDefaultPluginLoader();
