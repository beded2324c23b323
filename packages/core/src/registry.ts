import type * as tf from '@tensorflow/tfjs';
import { closest } from 'fastest-levenshtein';
import semverSatisfies from 'semver/functions/satisfies.js';
import type { DependencyContainer } from 'tsyringe';
import { z } from 'zod';
import { DuplicateLossError, LossSpecError, ReservedLossNameError, UnknownLossError, VersionMismatchError } from './errors.js';
import { firstPartyNames, firstPartyOwner } from './catalog/names.js';
import { defaultOptions, strictSchema, validateOptions } from './options.js';
import { candidatePackages } from './plugin-names.js';
import type { LossMetadata, LossPlugin, LossPluginClass } from './plugin.js';
import { DEFAULT_REDUCTION } from './reduction.js';
import { SingleResolvedLoss, SumResolvedLoss, type ResolvedLoss } from './resolved-loss.js';
import {
  isSumSpec,
  lossNamesIn,
  normalizeSingleSpec,
  validateSumSpec,
  type LossSpec,
  type SavedSingleLossSpec,
  type SingleLossSpec,
} from './spec.js';
import { LOSS_NAME, LOSS_OPTIONS } from './tokens.js';
import { CORE_API_VERSION } from './version.js';

/** Builds a plugin instance for one resolution. */
export type PluginFactory = (options: Record<string, unknown>, parent: DependencyContainer | undefined) => LossPlugin;

/** One registration, shared by its canonical name and its aliases. */
export interface RegisteredLoss {
  readonly name: string;
  readonly meta: LossMetadata;
  /** Who registered it, for error messages: package and class. */
  readonly owner: string;
  /** TF.js built-ins give way to a plugin of the same name instead of raising a duplicate error. */
  readonly builtin: boolean;
  readonly build: PluginFactory;
}

export interface LossDescription {
  name: string;
  aliases: string[];
  description: string;
  package?: { name: string; version: string };
  coreApi: string;
  builtin: boolean;
  /** JSON Schema of the options (derived from the plugin's zod schema). */
  optionsSchema: Record<string, unknown>;
  /** The options an empty spec resolves to, or undefined where some option is required. */
  defaults: Record<string, unknown> | undefined;
  /** For a registration with `override: true`: each name it took, and whose it was. */
  overrides?: { name: string; owner: string }[];
}

export interface ResolveOptions {
  /**
   * Where the plugin's dependencies come from; a child of it is made for each resolution.
   * Defaults to the global container of the tsyringe copy the plugin registered with.
   */
  container?: DependencyContainer;
}

/** Finds plugins that are not registered yet (package discovery); true when it registered something. */
export type PluginLoader = (name: string, options: ResolveAsyncOptions) => Promise<boolean>;

export interface ResolveAsyncOptions extends ResolveOptions {
  /** Packages to import before resolving, in addition to those found by naming convention. */
  plugins?: readonly string[];
}

/**
 * The process-wide loss registry. Obtain it with `getLossRegistry()`; every copy of
 * @losskit/core in a process shares one instance (see global-registry.ts).
 */
export class LossRegistry {
  readonly apiVersion = CORE_API_VERSION;
  private readonly byName = new Map<string, RegisteredLoss>();
  private readonly canonical = new Map<string, RegisteredLoss>();
  /** Registrations an override stands in front of, by name, so they answer again when it goes. */
  private readonly shadowed = new Map<string, RegisteredLoss>();
  private readonly overrides = new Map<RegisteredLoss, { name: string; owner: string }[]>();
  private loader: PluginLoader | undefined;
  private installedNames: (() => readonly string[]) | undefined;

  /**
   * Registers a plugin under its canonical name and aliases. A name another registration holds,
   * or a first-party name (Keras's catalog, the seed's 'mse') another package owns, needs
   * `override: true`; an override then holds the name whichever of the two is imported first.
   */
  register(entry: RegisteredLoss): void {
    const names = [entry.meta.name, ...(entry.meta.aliases ?? [])];
    for (const name of names) this.assertMayClaim(name, entry);
    const canonicalHolder = this.byName.get(entry.meta.name);
    const behindOverride = canonicalHolder?.meta.override && canonicalHolder !== entry && !entry.meta.override ? canonicalHolder : undefined;
    for (const name of names) {
      const existing = this.byName.get(name);
      if (behindOverride) {
        // An override of this loss's canonical name came first: it stands for every name of the
        // loss, exactly as if the loss had been registered before it.
        this.shadowed.set(name, entry);
        if (!existing) this.byName.set(name, behindOverride);
        if (!existing || existing === behindOverride) this.noteReplaced(behindOverride, name, entry.owner);
        continue;
      }
      if (existing && existing !== entry && existing.meta.override && !entry.meta.override) {
        // A declared override holds the name whatever the import order: the owner waits behind it.
        this.shadowed.set(name, entry);
        this.noteReplaced(existing, name, entry.owner);
        continue;
      }
      if (existing && existing !== entry && entry.meta.override) {
        // Taking another registration's canonical name takes all its names: otherwise an alias
        // would still reach it under a canonical name that now means the override.
        if (existing.name === name) this.takeOver(existing, entry);
        else this.noteOverride(entry, name, existing);
      } else if (!existing && entry.meta.override && firstPartyOwner(name)) {
        this.noteReplaced(entry, name, firstPartyOwner(name)!.package);
      }
      this.byName.set(name, entry);
    }
    if (this.byName.get(entry.meta.name) === entry) this.canonical.set(entry.meta.name, entry);
  }

  private assertMayClaim(name: string, entry: RegisteredLoss): void {
    const owner = firstPartyOwner(name);
    const entryPackage = entry.meta.package?.name ?? (entry.builtin ? '@losskit/core' : undefined);
    if (owner && owner.package !== entryPackage && !entry.meta.override) {
      throw new ReservedLossNameError(name, owner.package, entry.owner);
    }
    const existing = this.byName.get(name);
    if (!existing || existing === entry || entry.meta.override) return;
    if (existing.meta.override) {
      // The name is held by an override; only the registration it stands in front of may wait there.
      const original = this.shadowed.get(name);
      if (original && original !== entry && !isSameRegistration(original, entry)) throw new DuplicateLossError(name, original.owner, entry.owner);
      return;
    }
    if (!isSameRegistration(existing, entry)) throw new DuplicateLossError(name, existing.owner, entry.owner);
  }

  private noteOverride(entry: RegisteredLoss, name: string, existing: RegisteredLoss): void {
    this.shadowed.set(name, existing);
    this.noteReplaced(entry, name, existing.owner);
  }

  private noteReplaced(override: RegisteredLoss, name: string, owner: string): void {
    const list = this.overridesFor(override);
    const known = list.find((item) => item.name === name);
    if (known) known.owner = owner;
    else list.push({ name, owner });
  }

  private overridesFor(entry: RegisteredLoss): { name: string; owner: string }[] {
    let list = this.overrides.get(entry);
    if (!list) this.overrides.set(entry, (list = []));
    return list;
  }

  private takeOver(previous: RegisteredLoss, override: RegisteredLoss): void {
    if (this.canonical.get(previous.name) === previous) this.canonical.delete(previous.name);
    for (const [key, value] of this.byName) {
      if (value === previous) {
        this.byName.set(key, override);
        this.noteOverride(override, key, previous);
      }
    }
  }

  /**
   * Removes a loss and all its aliases; a registration it had overridden answers to those names
   * again. Returns whether it was registered.
   */
  unregister(name: string): boolean {
    const entry = this.byName.get(name);
    if (!entry) return false;
    for (const [key, value] of [...this.byName]) {
      if (value !== entry) continue;
      this.byName.delete(key);
      const previous = this.shadowed.get(key);
      this.shadowed.delete(key);
      if (previous && previous !== entry) {
        this.byName.set(key, previous);
        if (previous.name === key) this.canonical.set(key, previous);
      }
    }
    for (const [key, value] of [...this.shadowed]) if (value === entry) this.shadowed.delete(key);
    this.overrides.delete(entry);
    if (this.canonical.get(entry.name) === entry) this.canonical.delete(entry.name);
    return true;
  }

  has(name: string): boolean {
    return this.byName.has(name);
  }

  /** Canonical names, sorted. */
  list(): string[] {
    return [...this.canonical.keys()].sort();
  }

  /**
   * The registration a name or alias refers to. An unknown name throws UnknownLossError: for a
   * first-party name whose package is not loaded, naming that package; otherwise with the
   * closest name among the registered ones, the first-party ones and those of installed
   * conventionally named plugin packages.
   */
  get(name: string): RegisteredLoss {
    const entry = this.byName.get(name);
    if (entry) return entry;
    const owner = firstPartyOwner(name);
    if (owner) throw new UnknownLossError(name, this.list(), undefined, owner.package, true);
    throw new UnknownLossError(name, this.list(), this.closestName(name), conventionalPackageName(name));
  }

  /** Lets discovery offer the loss names of installed, not yet imported plugin packages as suggestions. */
  setInstalledNames(source: (() => readonly string[]) | undefined): void {
    this.installedNames = source;
  }

  /** The known name nearest to a misspelt one; canonical names win ties over aliases. */
  private closestName(name: string): string | undefined {
    const canonicalNames = [...this.canonical.keys()];
    const aliases = [...this.byName.keys()].filter((key) => !this.canonical.has(key));
    // closest() keeps the first of equally near names, so canonical names go first.
    const candidates = [...new Set([...canonicalNames, ...firstPartyNames(), ...(this.installedNames?.() ?? []), ...aliases])];
    return candidates.length ? closest(name, candidates) : undefined;
  }

  describe(name: string): LossDescription {
    const entry = this.get(name);
    const { meta } = entry;
    return {
      name: entry.name,
      aliases: [...(meta.aliases ?? [])],
      description: meta.description,
      package: meta.package,
      coreApi: meta.coreApi,
      builtin: entry.builtin,
      optionsSchema: meta.options ? (z.toJSONSchema(meta.options, { io: 'input' }) as Record<string, unknown>) : {},
      defaults: defaultOptions(meta.options),
      ...(this.overrides.has(entry) ? { overrides: this.overrides.get(entry)!.map((o) => ({ ...o })) } : {}),
    };
  }

  /** Builds the loss a spec describes. Each call builds new plugin instances. */
  resolve(spec: LossSpec, options: ResolveOptions = {}): ResolvedLoss {
    if (isSumSpec(spec)) {
      validateSumSpec(spec);
      const terms = spec.sum.map((term, i) => {
        if (typeof term === 'object' && term !== null && 'reduction' in term && term.reduction !== undefined) {
          throw new LossSpecError(
            `Term ${i} ('${term.name}') of a sum loss sets a reduction; set it once on the sum ({ sum: [...], reduction }).`,
          );
        }
        return this.resolveSingle(term, options, true);
      });
      return new SumResolvedLoss(terms, spec.reduction ?? DEFAULT_REDUCTION);
    }
    return this.resolveSingle(spec, options, false);
  }

  /**
   * Like resolve, but first lets the plugin loader (package discovery) register names that
   * are not registered yet, and afterwards awaits the plugins' asynchronous setup (`prepare`).
   */
  async resolveAsync(spec: LossSpec, options: ResolveAsyncOptions = {}): Promise<ResolvedLoss> {
    await this.load(lossNamesIn(spec), options);
    const resolved = this.resolve(spec, options);
    await resolved.prepare();
    return resolved;
  }

  /** Registers what the loader can find for names that are missing; never throws for unknown names. */
  async load(names: readonly string[], options: ResolveAsyncOptions = {}): Promise<void> {
    if (!this.loader) return;
    for (const name of names) {
      if (!this.byName.has(name)) await this.loader(name, options);
    }
  }

  /** Installs the function that imports plugin packages for unknown names (see discovery). */
  setLoader(loader: PluginLoader | undefined): void {
    this.loader = loader;
  }

  private resolveSingle(spec: SingleLossSpec, options: ResolveOptions, inSum: boolean): SingleResolvedLoss {
    const normalized = normalizeSingleSpec(spec);
    const entry = this.get(normalized.name);
    const validated = validateOptions(entry.name, entry.meta.options && strictSchema(entry.meta.options), normalized.options);
    const reduction = normalized.reduction ?? DEFAULT_REDUCTION;
    const saved: SavedSingleLossSpec = {
      name: entry.name,
      options: validated,
      ...(inSum ? { weight: normalized.weight } : { reduction }),
      ...(!inSum && normalized.weight !== 1 ? { weight: normalized.weight } : {}),
      ...(entry.meta.package ? { package: { ...entry.meta.package } } : {}),
    };
    const plugin = entry.build(validated, options.container);
    return new SingleResolvedLoss(entry.name, plugin, saved, reduction);
  }

}

/**
 * The same plugin registering again: the same class from the same package version, loaded a
 * second time as another module instance (a CommonJS and an ES module copy of one file, a
 * test runner's reload). Not a conflict; the newer registration replaces the older.
 */
function isSameRegistration(existing: RegisteredLoss, entry: RegisteredLoss): boolean {
  return existing.meta.package !== undefined && entry.meta.package !== undefined && existing.owner === entry.owner && existing.name === entry.name;
}

/**
 * The package a loss is expected in, by convention: `@losskit/loss-<name>`, or
 * `@<scope>/losskit-loss-<name>` for a scoped name `@<scope>/<name>`.
 */
export function conventionalPackageName(name: string): string {
  return candidatePackages(name)[0] ?? `@losskit/loss-${name.replace(/^@[^/]+\//, '').toLowerCase()}`;
}

/** Builds a class plugin in a child container that holds its options and default dependencies. */
export function classFactory(
  pluginClass: LossPluginClass,
  meta: LossMetadata,
  root: DependencyContainer,
): PluginFactory {
  // A plugin whose constructor takes nothing needs no container: building one per resolution
  // was most of the cost of resolving such a plugin by name.
  if (pluginClass.length === 0 && !meta.defaults?.length) {
    return () => new (pluginClass as unknown as new () => LossPlugin)();
  }
  return (options, parent) => {
    const child = (parent ?? root).createChildContainer();
    child.register(LOSS_OPTIONS, { useValue: options });
    child.register(LOSS_NAME, { useValue: meta.name });
    for (const { token, provider } of meta.defaults ?? []) {
      if (!child.isRegistered(token, true)) child.register(token, provider as never);
    }
    return child.resolve(pluginClass as unknown as new () => LossPlugin);
  };
}

/** Builds a stateless plugin from a per-sample function. */
export function functionFactory(fn: (yTrue: tf.Tensor, yPred: tf.Tensor) => tf.Tensor): PluginFactory {
  return () => ({ compute: fn });
}

export function assertCoreApi(meta: LossMetadata, owner: string): void {
  if (!satisfiesRange(CORE_API_VERSION, meta.coreApi)) {
    throw new VersionMismatchError(
      `Loss plugin '${meta.name}' (${owner}) supports @losskit/core API ${meta.coreApi}, but the running ` +
        `@losskit/core implements API ${CORE_API_VERSION}. Install a version of the plugin built for ` +
        `core ${CORE_API_VERSION.split('.')[0]}.x, or a core version its range allows.`,
    );
  }
}

function satisfiesRange(version: string, range: string): boolean {
  try {
    return semverSatisfies(version, range);
  } catch {
    // An unparsable range is as incompatible as a wrong one.
    return false;
  }
}
