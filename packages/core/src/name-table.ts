import { DuplicateLossError, ReservedLossNameError } from './errors.js';
import { firstPartyOwner } from './catalog/names.js';
import type { RegisteredLoss } from './registry.js';

/** What an override took: a name, and who held it (or owns it). */
export interface ReplacedName {
  name: string;
  owner: string;
}

/**
 * The registry's names: which registration each identifier means, under the rule that one
 * identifier means one loss whatever the import order. Overrides are declared, recorded, and
 * undone when the override is unregistered.
 */
export class NameTable {
  private readonly byName = new Map<string, RegisteredLoss>();
  private readonly canonical = new Map<string, RegisteredLoss>();
  /** Registrations an override stands in front of, by name, so they answer again when it goes. */
  private readonly shadowed = new Map<string, RegisteredLoss>();
  private readonly overrides = new Map<RegisteredLoss, ReplacedName[]>();

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

  private overridesFor(entry: RegisteredLoss): ReplacedName[] {
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

  get(name: string): RegisteredLoss | undefined {
    return this.byName.get(name);
  }

  has(name: string): boolean {
    return this.byName.has(name);
  }

  /** Canonical names of the registrations that answer to them. */
  canonicalNames(): string[] {
    return [...this.canonical.keys()];
  }

  /** Every registered identifier that is not a canonical name. */
  aliases(): string[] {
    return [...this.byName.keys()].filter((key) => !this.canonical.has(key));
  }

  /** For an override: the names it took and whose they were; undefined for any other. */
  overridesOf(entry: RegisteredLoss): ReplacedName[] | undefined {
    return this.overrides.get(entry)?.map((replaced) => ({ ...replaced }));
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
