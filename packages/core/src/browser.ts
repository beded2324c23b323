// The browser's entry of @losskit/core (the package's "default" export condition): no package
// discovery, since a bundle cannot look packages up; a plugin registers its losses when the
// application imports it. Nothing here may import a Node built-in (test/browser/bundle.test.ts).
export * from './shared-exports.js';
export { loadPlugins, createPluginLoader, resolvePluginPackage, installedConventionalLossNames } from './discovery-browser.js';
