import { getLossRegistry } from './global-registry.js';
import { PluginLoadError, type DiscoveryOptions, type LoadedPlugin } from './plugin-load-error.js';
import type { PluginLoader } from './registry.js';

/**
 * The browser's stand-in for discovery.ts, with the same API. A bundle cannot look packages up
 * or import them by a name known only at run time, so a plugin registers its losses when the
 * application imports it (`import '@losskit/loss-mse'`). Listing a package that was imported
 * that way (a saved model's `plugins`, say) is fine; one that was not is an error saying so.
 */

const IMPORT_IT = (packageName: string) =>
  `In a browser, loss plugins are registered by importing them: add \`import '${packageName}'\` to ` +
  `the application (install it first, e.g. \`pnpm add ${packageName}\`), then resolve the loss.`;

/** Never resolvable in a browser: there is no node_modules to search. */
export function resolvePluginPackage(packageName: string, _options: DiscoveryOptions = {}): string | undefined {
  throw new PluginLoadError(packageName, `Loss plugin package '${packageName}' cannot be located by name. ${IMPORT_IT(packageName)}`);
}

/** Succeeds for packages whose losses are registered already (imported by the application). */
export async function loadPlugins(packageNames: readonly string[], _options: DiscoveryOptions = {}): Promise<LoadedPlugin[]> {
  const registry = getLossRegistry();
  const imported = new Set(registry.list().map((name) => registry.get(name).meta.package?.name));
  return packageNames.map((packageName) => {
    if (!imported.has(packageName)) {
      throw new PluginLoadError(packageName, `Loss plugin package '${packageName}' has not been imported. ${IMPORT_IT(packageName)}`);
    }
    return { packageName, file: packageName, registered: [] };
  });
}

/** A loader that finds nothing: resolveAsync then raises UnknownLossError, which says to import. */
export function createPluginLoader(_discovery: DiscoveryOptions = {}): PluginLoader {
  return async () => false;
}

/** No node_modules to list in a browser: suggestions consider registered names only. */
export function installedConventionalLossNames(_options: DiscoveryOptions = {}): string[] {
  return [];
}
