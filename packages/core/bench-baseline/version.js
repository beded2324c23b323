/**
 * The plugin API version this copy of core implements. Plugins state the range they were
 * built for (`coreApi: '^1.0.0'`); registration checks it with semver.
 */
export const CORE_API_VERSION = '1.0.0';
