import { closest } from 'fastest-levenshtein';
import semverSatisfies from 'semver/functions/satisfies.js';
import { z } from 'zod';
import { DuplicateLossError, LossSpecError, UnknownLossError, VersionMismatchError } from './errors.js';
import { defaultOptions, strictSchema, validateOptions } from './options.js';
import { candidatePackages } from './plugin-names.js';
import { DEFAULT_REDUCTION } from './reduction.js';
import { SingleResolvedLoss, SumResolvedLoss } from './resolved-loss.js';
import { isSumSpec, lossNamesIn, normalizeSingleSpec, validateSumSpec, } from './spec.js';
import { LOSS_NAME, LOSS_OPTIONS } from './tokens.js';
import { CORE_API_VERSION } from './version.js';
/**
 * The process-wide loss registry. Obtain it with `getLossRegistry()`; every copy of
 * @losskit/core in a process shares one instance (see global-registry.ts).
 */
export class LossRegistry {
    apiVersion = CORE_API_VERSION;
    byName = new Map();
    canonical = new Map();
    /** Built-ins by each of their names, so one comes back when a plugin that took its name goes. */
    builtins = new Map();
    loader;
    /** Registers a plugin under its canonical name and aliases. */
    register(entry) {
        const names = [entry.meta.name, ...(entry.meta.aliases ?? [])];
        for (const name of names) {
            const existing = this.byName.get(name);
            if (existing && existing !== entry && !existing.builtin && !entry.meta.override && !isSameRegistration(existing, entry)) {
                throw new DuplicateLossError(name, existing.owner, entry.owner);
            }
        }
        for (const name of names) {
            const existing = this.byName.get(name);
            // A plugin that takes a built-in's canonical name replaces the built-in under all its
            // names: otherwise 'meanSquaredError' would still reach the built-in under a canonical
            // name that now means the plugin, and a saved spec would come back as another loss.
            if (existing?.builtin && existing !== entry && existing.name === name)
                this.takeOverBuiltin(existing, entry);
            this.byName.set(name, entry);
            if (entry.builtin)
                this.builtins.set(name, entry);
        }
        this.canonical.set(entry.meta.name, entry);
    }
    takeOverBuiltin(builtin, plugin) {
        this.canonical.delete(builtin.name);
        for (const [key, value] of this.byName)
            if (value === builtin)
                this.byName.set(key, plugin);
    }
    /**
     * Removes a loss and all its aliases; a TF.js built-in it had taken a name from answers to
     * that name again. Returns whether it was registered.
     */
    unregister(name) {
        const entry = this.byName.get(name);
        if (!entry)
            return false;
        for (const [key, value] of [...this.byName]) {
            if (value !== entry)
                continue;
            this.byName.delete(key);
            const builtin = this.builtins.get(key);
            if (builtin && builtin !== entry) {
                this.byName.set(key, builtin);
                if (builtin.name === key)
                    this.canonical.set(key, builtin);
            }
        }
        if (this.canonical.get(entry.name) === entry)
            this.canonical.delete(entry.name);
        return true;
    }
    has(name) {
        return this.byName.has(name);
    }
    /** Canonical names, sorted. */
    list() {
        return [...this.canonical.keys()].sort();
    }
    /** The registration a name or alias refers to; throws UnknownLossError with suggestions. */
    get(name) {
        const entry = this.byName.get(name);
        if (entry)
            return entry;
        const suggestion = this.closestName(name);
        throw new UnknownLossError(name, this.list(), suggestion, conventionalPackageName(name));
    }
    /** The registered name nearest to a misspelt one; canonical names win ties over aliases. */
    closestName(name) {
        const canonicalNames = [...this.canonical.keys()];
        const aliases = [...this.byName.keys()].filter((key) => !this.canonical.has(key));
        if (!canonicalNames.length && !aliases.length)
            return undefined;
        // closest() keeps the first of equally near names, so canonical names go first.
        return closest(name, [...canonicalNames, ...aliases]);
    }
    describe(name) {
        const entry = this.get(name);
        const { meta } = entry;
        return {
            name: entry.name,
            aliases: [...(meta.aliases ?? [])],
            description: meta.description,
            package: meta.package,
            coreApi: meta.coreApi,
            builtin: entry.builtin,
            optionsSchema: meta.options ? z.toJSONSchema(meta.options, { io: 'input' }) : {},
            defaults: defaultOptions(meta.options),
        };
    }
    /** Builds the loss a spec describes. Each call builds new plugin instances. */
    resolve(spec, options = {}) {
        if (isSumSpec(spec)) {
            validateSumSpec(spec);
            const terms = spec.sum.map((term, i) => {
                if (typeof term === 'object' && term !== null && 'reduction' in term && term.reduction !== undefined) {
                    throw new LossSpecError(`Term ${i} ('${term.name}') of a sum loss sets a reduction; set it once on the sum ({ sum: [...], reduction }).`);
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
    async resolveAsync(spec, options = {}) {
        await this.load(lossNamesIn(spec), options);
        const resolved = this.resolve(spec, options);
        await resolved.prepare();
        return resolved;
    }
    /** Registers what the loader can find for names that are missing; never throws for unknown names. */
    async load(names, options = {}) {
        if (!this.loader)
            return;
        for (const name of names) {
            if (!this.byName.has(name))
                await this.loader(name, options);
        }
    }
    /** Installs the function that imports plugin packages for unknown names (see discovery). */
    setLoader(loader) {
        this.loader = loader;
    }
    resolveSingle(spec, options, inSum) {
        const normalized = normalizeSingleSpec(spec);
        const entry = this.get(normalized.name);
        const validated = validateOptions(entry.name, entry.meta.options && strictSchema(entry.meta.options), normalized.options);
        const reduction = normalized.reduction ?? DEFAULT_REDUCTION;
        const saved = {
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
function isSameRegistration(existing, entry) {
    return existing.meta.package !== undefined && entry.meta.package !== undefined && existing.owner === entry.owner && existing.name === entry.name;
}
/**
 * The package a loss is expected in, by convention: `@losskit/loss-<name>`, or
 * `@<scope>/losskit-loss-<name>` for a scoped name `@<scope>/<name>`.
 */
export function conventionalPackageName(name) {
    return candidatePackages(name)[0] ?? `@losskit/loss-${name.replace(/^@[^/]+\//, '').toLowerCase()}`;
}
/** Builds a class plugin in a child container that holds its options and default dependencies. */
export function classFactory(pluginClass, meta, root) {
    return (options, parent) => {
        const child = (parent ?? root).createChildContainer();
        child.register(LOSS_OPTIONS, { useValue: options });
        child.register(LOSS_NAME, { useValue: meta.name });
        for (const { token, provider } of meta.defaults ?? []) {
            if (!child.isRegistered(token, true))
                child.register(token, provider);
        }
        return child.resolve(pluginClass);
    };
}
/** Builds a stateless plugin from a per-sample function. */
export function functionFactory(fn) {
    return () => ({ compute: fn });
}
export function assertCoreApi(meta, owner) {
    if (!satisfiesRange(CORE_API_VERSION, meta.coreApi)) {
        throw new VersionMismatchError(`Loss plugin '${meta.name}' (${owner}) supports @losskit/core API ${meta.coreApi}, but the running ` +
            `@losskit/core implements API ${CORE_API_VERSION}. Install a version of the plugin built for ` +
            `core ${CORE_API_VERSION.split('.')[0]}.x, or a core version its range allows.`);
    }
}
function satisfiesRange(version, range) {
    try {
        return semverSatisfies(version, range);
    }
    catch {
        // An unparsable range is as incompatible as a wrong one.
        return false;
    }
}
