/**
 * The plugin API version this copy of core implements. Plugins state the range they were
 * built for (`coreApi: '^1.0.0'`); registration checks it with semver.
 */
export const CORE_API_VERSION = '1.0.0';

/**
 * The version of the @losskit/core package itself (kept equal to its package.json by a test).
 * It is not the plugin API version: error messages name both, so that a plugin's `coreApi`
 * range is never read as a range of package versions.
 */
export const CORE_PACKAGE_VERSION = '0.1.0';
