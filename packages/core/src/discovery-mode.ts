/**
 * How plugins reach the registry where this copy of core runs. Node's entry (index.ts) imports
 * installed plugin packages by naming convention ('packages'); a browser bundle cannot look
 * packages up, so there a plugin registers its losses when the application imports it
 * ('imports'). The unknown-name message tells the user which of the two applies.
 *
 * Kept on globalThis, like the registry, so every copy of core in a process agrees.
 */
export type PluginDiscoveryMode = 'packages' | 'imports';

const MODE_KEY = Symbol.for('losskit.pluginDiscoveryMode');
type ModeHolder = typeof globalThis & { [MODE_KEY]?: PluginDiscoveryMode };

export function setPluginDiscoveryMode(mode: PluginDiscoveryMode): void {
  (globalThis as ModeHolder)[MODE_KEY] = mode;
}

/** 'imports' unless Node's entry of core was loaded. */
export function pluginDiscoveryMode(): PluginDiscoveryMode {
  return (globalThis as ModeHolder)[MODE_KEY] ?? 'imports';
}
