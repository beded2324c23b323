import { readdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { LossKitError } from './errors.js';
import { PluginLoadError, type DiscoveryOptions, type LoadedPlugin } from './plugin-load-error.js';
import { getLossRegistry } from './global-registry.js';
import { firstPartyOwner } from './catalog/names.js';
import { candidatePackages, isValidPackageName } from './plugin-names.js';
import type { PluginLoader, ResolveAsyncOptions } from './registry.js';

/**
 * Package discovery: importing the plugin packages that may provide a loss name (see
 * plugin-names.ts for which ones) from the application's point of view. Packages outside the
 * naming convention are imported only when the application lists them in `plugins`.
 * Node only: browsers get discovery-browser.ts through core's browser entry.
 */

export { PluginLoadError, type DiscoveryOptions, type LoadedPlugin };

/** Resolves a package's entry file from `resolveFrom`; undefined when it is not installed. */
export function resolvePluginPackage(packageName: string, options: DiscoveryOptions = {}): string | undefined {
  assertPackageName(packageName);
  const base = options.resolveFrom ?? process.cwd();
  // A file path, not a directory: createRequire resolves relative to the file's directory.
  const requireFromApp = createRequire(path.join(base, 'noop.js'));
  try {
    return requireFromApp.resolve(packageName);
  } catch (error) {
    const code = (error as { code?: string }).code;
    if (code === 'MODULE_NOT_FOUND' && isMissingPackage(error, packageName)) return undefined;
    if (code === 'ERR_PACKAGE_PATH_NOT_EXPORTED') {
      throw new PluginLoadError(
        packageName,
        `Loss plugin package '${packageName}' is installed but its "exports" map offers no "default" ` +
          `(or "node") condition for '.', so it cannot be located. Add one (see the plugin guide).`,
        { cause: error },
      );
    }
    throw new PluginLoadError(packageName, `Could not resolve loss plugin package '${packageName}': ${messageOf(error)}`, {
      cause: error,
    });
  }
}

/**
 * Imports the listed plugin packages (bare package names only), each once per process.
 * Use it to preload plugins at start-up: `await loadPlugins(['losskit-loss-huber'])`.
 */
export async function loadPlugins(packageNames: readonly string[], options: DiscoveryOptions = {}): Promise<LoadedPlugin[]> {
  const loaded: LoadedPlugin[] = [];
  for (const packageName of packageNames) {
    const file = resolvePluginPackage(packageName, options);
    if (!file) {
      throw new PluginLoadError(
        packageName,
        `Loss plugin package '${packageName}' is not installed where the application can import it ` +
          `(searched from ${options.resolveFrom ?? process.cwd()}). Install it: \`pnpm add ${packageName}\`.`,
      );
    }
    loaded.push(await importPlugin(packageName, file));
  }
  return loaded;
}

/**
 * The registry's loader: for a name that is not registered, imports the packages listed in
 * `plugins`, then the conventional packages that are installed, until the name is registered.
 * Returns false (the registry then raises UnknownLossError) when nothing provides it.
 */
export function createPluginLoader(discovery: DiscoveryOptions = {}): PluginLoader {
  return async (lossName: string, options: ResolveAsyncOptions): Promise<boolean> => {
    const registry = getLossRegistry();
    if (options.plugins?.length) {
      await loadPlugins(options.plugins, discovery);
      if (registry.has(lossName)) return true;
    }
    // A first-party name is looked for in the package that owns it (e.g. 'MeanSquaredError' in
    // @losskit/loss-mse), then by convention.
    const owner = firstPartyOwner(lossName)?.package;
    const packages = owner ? [owner, ...candidatePackages(lossName).filter((name) => name !== owner)] : candidatePackages(lossName);
    for (const packageName of packages) {
      const file = resolvePluginPackage(packageName, discovery);
      if (!file) continue;
      const loaded = await importPlugin(packageName, file);
      if (registry.has(lossName)) return true;
      throw new PluginLoadError(
        packageName,
        `Package '${packageName}' was imported to provide loss '${lossName}' but registers no loss of that ` +
          `name (it registered: ${loaded.registered.join(', ') || 'nothing new'}). Check the loss name, ` +
          `or the plugin's @RegisterLoss name: packages named by the convention must register it.`,
      );
    }
    return false;
  };
}

// Every copy of core installs the default loader on import; a marker on globalThis makes that
// happen once per process, so a second copy (or a second module instance of the same copy,
// as a CJS/ESM test harness can create) never replaces a loader the application installed.
const DEFAULT_LOADER_INSTALLED = Symbol.for('losskit.discovery.defaultLoaderInstalled');

/** Installs createPluginLoader() on the process-wide registry, once per process. */
export function installDefaultPluginLoader(): void {
  const holder = globalThis as typeof globalThis & { [DEFAULT_LOADER_INSTALLED]?: boolean };
  if (holder[DEFAULT_LOADER_INSTALLED]) return;
  holder[DEFAULT_LOADER_INSTALLED] = true;
  getLossRegistry().setLoader(createPluginLoader());
  getLossRegistry().setInstalledNames(() => installedConventionalLossNames());
}

// Enough for any real node_modules; a listing is only read when an unknown name is reported.
const MAX_LISTED = 2000;

/**
 * The loss names of conventionally named plugin packages installed where the application can
 * import them (`@losskit/loss-<name>`, `losskit-loss-<name>` in node_modules from `resolveFrom`
 * upwards), imported or not: suggestions for a misspelt name consider them too.
 */
export function installedConventionalLossNames(options: DiscoveryOptions = {}): string[] {
  const names = new Set<string>();
  let dir = path.resolve(options.resolveFrom ?? process.cwd());
  for (;;) {
    const modules = path.join(dir, 'node_modules');
    for (const entry of listDir(modules)) if (entry.startsWith('losskit-loss-')) names.add(entry.slice('losskit-loss-'.length));
    for (const entry of listDir(path.join(modules, '@losskit'))) if (entry.startsWith('loss-')) names.add(entry.slice('loss-'.length));
    const parent = path.dirname(dir);
    if (parent === dir) break;
    dir = parent;
  }
  return [...names].filter((name) => name.length > 0);
}

function listDir(dir: string): string[] {
  try {
    return readdirSync(dir).slice(0, MAX_LISTED);
  } catch {
    return [];
  }
}

async function importPlugin(packageName: string, file: string): Promise<LoadedPlugin> {
  const registry = getLossRegistry();
  const before = new Set(registry.list());
  try {
    await import(pathToFileURL(file).href);
  } catch (error) {
    // Core's own errors (a coreApi mismatch, a duplicate name) already say what to do.
    if (isCoreError(error)) throw error;
    throw new PluginLoadError(packageName, `Importing loss plugin package '${packageName}' failed: ${messageOf(error)}`, {
      cause: error,
    });
  }
  const registered = registry.list().filter((name) => !before.has(name));
  return { packageName, file, registered };
}

// By name as well as by class: the plugin may have been registered through another copy (or
// module instance) of core, whose error classes are not this copy's.
const CORE_ERROR_NAMES = new Set([
  'LossKitError',
  'UnknownLossError',
  'DuplicateLossError',
  'ReservedLossNameError',
  'InvalidOptionsError',
  'ShapeMismatchError',
  'VersionMismatchError',
  'LossSpecError',
  'PluginLoadError',
]);

function isCoreError(error: unknown): boolean {
  return error instanceof LossKitError || (error instanceof Error && CORE_ERROR_NAMES.has(error.name));
}

function assertPackageName(packageName: string): void {
  if (typeof packageName !== 'string' || !isValidPackageName(packageName)) {
    throw new PluginLoadError(
      String(packageName),
      `'${String(packageName)}' is not a bare npm package name. Plugins are imported by package name only ` +
        `(e.g. 'losskit-loss-huber' or '@acme/losskit-loss-ssim'), never by path or URL.`,
    );
  }
}

// MODULE_NOT_FOUND is also raised for a missing file inside an installed package (a broken
// "main"); only a missing package itself means "not installed".
function isMissingPackage(error: unknown, packageName: string): boolean {
  return messageOf(error).includes(`'${packageName}'`);
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
