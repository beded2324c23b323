import { KERAS_CATALOG, namesOf } from './entries.js';

/**
 * Who owns each first-party loss name, whether or not that package is loaded: a fixed table, so
 * a name's meaning can never depend on import order. A registration of one of these names by
 * any other package must declare `override: true`.
 */
export interface NameOwner {
  /** The canonical name the identifier stands for. */
  canonical: string;
  /** The npm package that registers it. */
  package: string;
}

const OWNERS: ReadonlyMap<string, NameOwner> = new Map(
  KERAS_CATALOG.flatMap((entry) => namesOf(entry).map((name) => [name, { canonical: entry.name, package: entry.package }] as const)),
);

export function firstPartyOwner(name: string): NameOwner | undefined {
  return OWNERS.get(name);
}

/** Every first-party identifier, for suggestions (canonical names first). */
export function firstPartyNames(): string[] {
  const canonical = KERAS_CATALOG.map((entry) => entry.name);
  return [...canonical, ...[...OWNERS.keys()].filter((name) => !canonical.includes(name))];
}

/** The identifiers of a catalog loss other than its canonical name (for the package that registers it). */
export function catalogAliases(canonical: string): string[] {
  const entry = KERAS_CATALOG.find((candidate) => candidate.name === canonical);
  if (!entry) throw new Error(`'${canonical}' is not a loss of the Keras catalog.`);
  return namesOf(entry).slice(1);
}
