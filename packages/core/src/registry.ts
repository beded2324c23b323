import { closest } from 'fastest-levenshtein';
import type { DependencyContainer } from 'tsyringe';
import * as z from './zod-mini.js';
import { LossSpecError, UnknownLossError } from './errors.js';
import { NameTable } from './name-table.js';
import { firstPartyNames, firstPartyOwner } from './catalog/names.js';
import { defaultOptions, isEmptyRecord, strictSchema, validateOptions } from './options.js';
import { candidatePackages } from './plugin-names.js';
import { assertLossName } from './loss-name-rule.js';
import { assertMetadataKeys, assertResolveOptionKeys } from './metadata-keys.js';
import type { LossMetadata, LossPlugin } from './plugin.js';
import { NamedSpecCache } from './named-spec-cache.js';
import { isKerasLossConfig } from './catalog/keras-config.js';
import { DEFAULT_REDUCTION, type Reduction } from './reduction.js';
import { LossNotPreparedError, SingleResolvedLoss, SumResolvedLoss, type ResolvedLoss } from './resolved-loss.js';
import {
  isSumSpec,
  lossNamesIn,
  normalizeSingleSpec,
  validateSumSpec,
  type LossSpec,
  type SavedSingleLossSpec,
  type SingleLossSpec,
} from './spec.js';
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
  private readonly names = new NameTable();
  private readonly namedSpecs = new NamedSpecCache();
  private loader: PluginLoader | undefined;
  private installedNames: (() => readonly string[]) | undefined;

  /**
   * Registers a plugin under its canonical name and aliases. A name another registration holds,
   * or a first-party name (Keras's catalog, the seed's 'mse') another package owns, needs
   * `override: true`; an override then holds the name whichever of the two is imported first.
   * The canonical name must be lowercase kebab-case (InvalidLossNameError); aliases may be
   * spelt any way (Keras's 'mean_squared_error', TF.js's 'meanSquaredError').
   */
  register(entry: RegisteredLoss): void {
    assertLossName(entry.meta.name, entry.owner);
    assertMetadataKeys(entry.meta, entry.owner);
    this.namedSpecs.clear();
    this.names.register(entry);
  }

  /**
   * Removes a loss and all its aliases; a registration it had overridden answers to those names
   * again. Returns whether it was registered.
   */
  unregister(name: string): boolean {
    this.namedSpecs.clear();
    return this.names.unregister(name);
  }

  has(name: string): boolean {
    return this.names.has(name);
  }

  /** Canonical names, sorted. */
  list(): string[] {
    return this.names.canonicalNames().sort();
  }

  /**
   * The registration a name or alias refers to. An unknown name throws UnknownLossError: for a
   * first-party name whose package is not loaded, naming that package; otherwise with the
   * closest name among the registered ones, the first-party ones and those of installed
   * conventionally named plugin packages.
   */
  get(name: string): RegisteredLoss {
    const entry = this.names.get(name);
    if (entry) return entry;
    const owner = firstPartyOwner(name);
    if (owner) throw new UnknownLossError(name, this.list(), undefined, owner.package, true);
    throw new UnknownLossError(name, this.list(), this.closestName(name), candidatePackages(name)[0]);
  }

  /** Lets discovery offer the loss names of installed, not yet imported plugin packages as suggestions. */
  setInstalledNames(source: (() => readonly string[]) | undefined): void {
    this.installedNames = source;
  }

  /** The known name nearest to a misspelt one; canonical names win ties over aliases. */
  private closestName(name: string): string | undefined {
    const canonicalNames = this.names.canonicalNames();
    const aliases = this.names.aliases();
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
      ...(this.names.overridesOf(entry) ? { overrides: this.names.overridesOf(entry) } : {}),
    };
  }

  /**
   * Builds the loss a spec describes, the safe way: first lets the plugin loader (package
   * discovery) register names that are not registered yet, then awaits the plugins'
   * asynchronous setup (`prepare`). Each call builds new plugin instances.
   *
   *   const loss = await getLossRegistry().resolve({ name: 'mse', reduction: 'sum' });
   */
  async resolve(spec: LossSpec, options: ResolveAsyncOptions = {}): Promise<ResolvedLoss> {
    assertResolveOptionKeys(options, 'resolve');
    await this.load(lossNamesIn(spec), options);
    const resolved = this.build(spec, options);
    try {
      await resolved.prepare();
    } catch (error) {
      resolved.dispose();
      throw error;
    }
    return resolved;
  }

  /** @deprecated The old name of `resolve` (which now does discovery and `prepare` itself). */
  resolveAsync(spec: LossSpec, options: ResolveAsyncOptions = {}): Promise<ResolvedLoss> {
    return this.resolve(spec, options);
  }

  /**
   * Synchronous resolution of names that are registered already (no discovery). A loss whose
   * plugin has asynchronous setup (`prepare`, e.g. loading a network) is refused with
   * LossNotPreparedError, since it would fail at first use: `await resolve(spec)` instead.
   */
  resolveSync(spec: LossSpec, options: ResolveOptions = {}): ResolvedLoss {
    assertResolveOptionKeys(options, 'resolveSync');
    const resolved = this.build(spec, options);
    if (resolved.needsPrepare) {
      resolved.dispose();
      throw new LossNotPreparedError(
        `Loss '${resolved.name}' has asynchronous setup (its plugin's prepare()), so resolveSync cannot make it ready; ` +
          `use \`await registry.resolve(spec)\`, which runs it.`,
      );
    }
    return resolved;
  }

  private build(spec: LossSpec, options: ResolveOptions): ResolvedLoss {
    if (isSumSpec(spec)) {
      validateSumSpec(spec);
      const terms: SingleResolvedLoss[] = [];
      try {
        const reduction = spec.reduction ?? DEFAULT_REDUCTION;
        for (let index = 0; index < spec.sum.length; index++) terms.push(this.resolveSingle(spec.sum[index]!, options, { index, reduction }));
      } catch (error) {
        // The terms built before the bad one hold plugins (and maybe tensors): free them.
        for (const term of terms) term.dispose();
        throw error;
      }
      return new SumResolvedLoss(terms, spec.reduction ?? DEFAULT_REDUCTION);
    }
    return this.resolveSingle(spec, options, undefined);
  }

  /** Registers what the loader can find for names that are missing; never throws for unknown names. */
  async load(names: readonly string[], options: ResolveAsyncOptions = {}): Promise<void> {
    if (!this.loader) return;
    const missing = names.filter((name) => !this.names.has(name));
    // Listed plugins are imported even when every name is registered already: the caller asked
    // for them, and one may override a name (its own 'huber' over the catalog's). The loader
    // imports `plugins` first, whatever name it is asked about.
    if (missing.length === 0 && options.plugins?.length && names.length) await this.loader(names[0]!, options);
    for (const name of missing) {
      if (!this.names.has(name)) await this.loader(name, options);
    }
  }

  /** Installs the function that imports plugin packages for unknown names (see discovery). */
  setLoader(loader: PluginLoader | undefined): void {
    this.loader = loader;
  }

  /** One loss, or (with `sum`) the term at `sum.index` of a sum reduced with `sum.reduction`. */
  private resolveSingle(spec: SingleLossSpec, options: ResolveOptions, sum: SumPosition | undefined): SingleResolvedLoss {
    const inSum = sum !== undefined;
    const { entry, validated, reduction, weight } = this.singlePlan(spec, sum);
    const saved: SavedSingleLossSpec = {
      name: entry.name,
      options: validated,
      ...(inSum ? { weight } : { reduction }),
      ...(entry.meta.package ? { package: { ...entry.meta.package } } : {}),
    };
    const plugin = entry.build(validated, options.container);
    return new SingleResolvedLoss(entry.name, plugin, saved, reduction);
  }

  /** The registration, validated options, reduction and weight one spec stands for. */
  private singlePlan(spec: SingleLossSpec, sum: SumPosition | undefined): { entry: RegisteredLoss; validated: Record<string, unknown>; reduction: Reduction; weight: number } {
    // A bare name skips even the spec checks; a spec without options skips the lookup and parse.
    const named = typeof spec === 'string' ? this.namedSpecs.get(spec) : undefined;
    if (named) return { entry: named.entry, validated: { ...named.options }, reduction: DEFAULT_REDUCTION, weight: 1 };
    const normalized = normalizeSingleSpec(spec, sum !== undefined);
    if (sum && normalized.reduction !== undefined) assertTermReduction(spec, normalized.name, normalized.reduction, sum);
    const reduction = normalized.reduction ?? DEFAULT_REDUCTION;
    const withoutOptions = isEmptyRecord(normalized.options);
    const plan = withoutOptions ? this.namedSpecs.get(normalized.name) : undefined;
    if (plan) return { entry: plan.entry, validated: { ...plan.options }, reduction, weight: normalized.weight };
    const entry = this.get(normalized.name);
    const validated = validateOptions(entry.name, entry.meta.options && strictSchema(entry.meta.options), normalized.options);
    if (withoutOptions) this.namedSpecs.remember(normalized.name, entry, validated);
    return { entry, validated, reduction, weight: normalized.weight };
  }
}

/** Where a term sits in a sum, and the reduction the sum applies once for all its terms. */
interface SumPosition {
  index: number;
  reduction: Reduction;
}


/**
 * The package a loss is expected in, by convention: `@losskit/loss-<name>`, or
 * `@<scope>/losskit-loss-<name>` for a scoped name `@<scope>/<name>`. For a name that is not
 * lowercase kebab-case this is only a lowercased guess that discovery never imports
 * (candidatePackages gives none): UnknownLossError then names no package.
 */
export function conventionalPackageName(name: string): string {
  return candidatePackages(name)[0] ?? `@losskit/loss-${name.replace(/^@[^/]+\//, '').toLowerCase()}`;
}

/**
 * A sum reduces once, so its terms have no reduction of their own: a spec that sets one is
 * refused. A Keras config always carries one (keras.losses.serialize writes it); it is accepted
 * when it is the sum's and refused otherwise, rather than silently dropped.
 */
function assertTermReduction(spec: SingleLossSpec, name: string, reduction: Reduction, sum: SumPosition): void {
  if (!isKerasLossConfig(spec)) {
    throw new LossSpecError(`Term ${sum.index} ('${name}') of a sum loss sets a reduction; set it once on the sum ({ sum: [...], reduction }).`);
  }
  if (reduction === sum.reduction) return;
  throw new LossSpecError(
    `Term ${sum.index} (Keras config '${spec.class_name}') of a sum loss has reduction '${reduction}' in its config, but a sum's terms ` +
      `share the sum's reduction ('${sum.reduction}'); set it once on the sum ({ sum: [...], reduction: '${reduction}' }) or remove it from the config.`,
  );
}
