import { pluginDiscoveryMode } from './discovery-mode.js';

/** Where an error records the names of its classes, shared by every copy of every losskit package. */
const CLASS_NAMES = Symbol.for('losskit.error.classes');

/**
 * Base class: every error losskit throws on purpose is one of these.
 *
 * `instanceof` works across copies of a package (two installed versions, a CommonJS and an ES
 * module copy): each error carries the names of its class chain under a `Symbol.for` key, and
 * `instanceof SomeLossKitError` also accepts an error whose chain names that class.
 */
export class LossKitError extends Error {
  constructor(message: string) {
    super(message);
    this.name = new.target.name;
    const names: string[] = [];
    for (let proto: unknown = new.target.prototype; proto && proto !== Error.prototype; proto = Object.getPrototypeOf(proto)) {
      names.push((proto as { constructor: { name: string } }).constructor.name);
    }
    Object.defineProperty(this, CLASS_NAMES, { value: names, enumerable: false });
  }

  static override [Symbol.hasInstance](value: unknown): boolean {
    if (typeof value !== 'object' || value === null) return false;
    if (Object.prototype.isPrototypeOf.call(this.prototype, value)) return true;
    const names = (value as { [CLASS_NAMES]?: unknown })[CLASS_NAMES];
    return Array.isArray(names) && names.includes(this.name);
  }
}

/** A loss name (or alias) that no registered plugin answers to. */
export class UnknownLossError extends LossKitError {
  constructor(
    readonly lossName: string,
    readonly registered: readonly string[],
    readonly suggestion: string | undefined,
    /**
     * The package that would provide the name by convention; undefined when no package can
     * (the name is not lowercase kebab-case, e.g. '../evil' or 'mean_sqared_error').
     */
    readonly packageToInstall: string | undefined,
    /** True when `packageToInstall` is known to provide the name (a first-party loss not loaded). */
    readonly firstParty = false,
  ) {
    const didYouMean = suggestion ? ` Did you mean '${suggestion}'?` : '';
    const known = registered.length ? registered.join(', ') : '(none)';
    super(
      firstParty && packageToInstall
        ? `Loss '${lossName}' is provided by ${packageToInstall}, which is not loaded. ${howToLoad(packageToInstall)}`
        : `Unknown loss '${lossName}'.${didYouMean} Registered losses: ${known}.` +
            (packageToInstall ? ` ${howToAdd(lossName, packageToInstall)}` : ` ${NO_PACKAGE}`),
    );
  }
}

// An install hint for a name no package can provide ('pnpm add @losskit/loss-../evil') sends
// users after a package that cannot exist: say why instead.
const NO_PACKAGE =
  'No plugin package can provide this name: plugin loss names are lowercase kebab-case ' +
  "(e.g. 'huber', 'focal-loss', '@acme/ssim'), and only such names are looked up as packages.";

// Node's core imports conventionally named packages by itself once installed; a browser bundle
// only has the plugins the application imported.
const IN_A_BROWSER = 'In a browser, loss plugins are registered by importing them:';

function howToLoad(packageName: string): string {
  if (pluginDiscoveryMode() === 'imports') {
    return `${IN_A_BROWSER} install it (\`pnpm add ${packageName}\`) and add \`import '${packageName}'\` to the application.`;
  }
  return (
    `Install it (\`pnpm add ${packageName}\`) and import it once (\`import '${packageName}'\`), or resolve ` +
    `with \`await registry.resolve(spec)\`, which imports it by itself.`
  );
}

function howToAdd(lossName: string, packageName: string): string {
  if (pluginDiscoveryMode() === 'imports') {
    return (
      `${IN_A_BROWSER} if '${lossName}' is published as a plugin, install it (\`pnpm add ${packageName}\`) ` +
      `and add \`import '${packageName}'\` to the application before resolving the loss.`
    );
  }
  return (
    `If '${lossName}' is published as a plugin, install it (\`pnpm add ${packageName}\`) ` +
    `and import it once (\`import '${packageName}'\`) before resolving the loss.`
  );
}

/** A plugin registering a first-party loss name (e.g. Keras's 'huber') without `override: true`. */
export class ReservedLossNameError extends LossKitError {
  constructor(
    readonly lossName: string,
    readonly ownerPackage: string,
    readonly newOwner: string,
  ) {
    super(
      `Loss name '${lossName}' belongs to ${ownerPackage} (one identifier means one loss, whatever is ` +
        `imported first); ${newOwner} tried to register it. Use a name of your own (third-party plugins ` +
        `should use their own prefix), or declare \`override: true\` to replace it on purpose: ` +
        `\`registry.describe('${lossName}').overrides\` then says what it replaced.`,
    );
  }
}

/** Two plugins claimed the same name or alias without `override: true`. */
export class DuplicateLossError extends LossKitError {
  constructor(
    readonly lossName: string,
    readonly existingOwner: string,
    readonly newOwner: string,
  ) {
    super(
      `Loss name '${lossName}' is already registered by ${existingOwner}; ${newOwner} tried to ` +
        `register it too. Rename one of them (third-party plugins should use their own prefix), ` +
        `or register with \`override: true\` if replacing it is intended.`,
    );
  }
}

/** Options that do not satisfy a plugin's schema. */
export class InvalidOptionsError extends LossKitError {
  constructor(
    readonly lossName: string,
    readonly problems: readonly { option: string; message: string; received: unknown }[],
  ) {
    const lines = problems.map(
      (p) => `  - option '${p.option}': ${p.message} (got ${describeValue(p.received)})`,
    );
    super(
      `Invalid options for loss '${lossName}':\n${lines.join('\n')}\n` +
        `Fix the options in the loss spec; \`registry.describe('${lossName}')\` lists every option with its default.`,
    );
  }
}

/** Tensors whose shapes a loss cannot combine. */
export class ShapeMismatchError extends LossKitError {}

/** A plugin built for another core API, or two incompatible copies of core in one process. */
export class VersionMismatchError extends LossKitError {}

export function describeValue(value: unknown): string {
  if (value === undefined) return 'undefined';
  if (typeof value === 'string') return JSON.stringify(value);
  try {
    const json = JSON.stringify(value);
    return json.length > 80 ? `${json.slice(0, 77)}...` : json;
  } catch {
    return String(value);
  }
}

/** A loss spec that is not a name, `{ name, options?, reduction?, weight? }` or `{ sum: [...] }`. */
export class LossSpecError extends LossKitError {}

/**
 * The error for a plugin whose `coreApi` range does not include the running plugin API. It
 * names the plugin API and the package version apart, since they differ (API 1.0.0 is
 * implemented by @losskit/core 0.1.0).
 */
export function pluginApiMismatchError(
  plugin: { name: string; coreApi: string; owner: string },
  running: { apiVersion: string; packageVersion: string },
): VersionMismatchError {
  return new VersionMismatchError(
    `Loss plugin '${plugin.name}' (${plugin.owner}) was built for the losskit plugin API ${plugin.coreApi} ` +
      `(its coreApi), but the installed @losskit/core ${running.packageVersion} implements plugin API ${running.apiVersion}. ` +
      `The plugin API version is not the @losskit/core package version. Install a version of the plugin whose ` +
      `coreApi range includes ${running.apiVersion}, or a @losskit/core whose plugin API (CORE_API_VERSION) satisfies ${plugin.coreApi}.`,
  );
}
