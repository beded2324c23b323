import { LossKitError } from './errors.js';

// The discovery types shared by Node's discovery (discovery.ts) and the browser's stand-in
// (discovery-browser.ts), so both entries of core have the same API.

/** A package could not be imported for a reason other than not being installed. */
export class PluginLoadError extends LossKitError {
  constructor(
    readonly packageName: string,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message);
    if (options && 'cause' in options) (this as { cause?: unknown }).cause = options.cause;
  }
}

export interface DiscoveryOptions {
  /**
   * Directory whose node_modules are searched (and its parents'), as Node would for a file
   * there. Defaults to `process.cwd()` at the time of each lookup: the application's own
   * dependencies, not core's (core usually sits in node_modules where the application's
   * plugins are not visible to it under pnpm's strict layout). Not used in a browser.
   */
  resolveFrom?: string;
}

/** One imported plugin package. */
export interface LoadedPlugin {
  packageName: string;
  /** The file that was imported. */
  file: string;
  /** Loss names the import registered (empty when the package had been imported before). */
  registered: string[];
}
