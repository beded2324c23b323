import { closest } from 'fastest-levenshtein';
import { LossKitError } from './errors.js';
import type { LossMetadata } from './plugin.js';
import type { ResolveAsyncOptions } from './registry.js';

/** Registration metadata with a key nobody reads (`alias` for `aliases`): it would register silently without it. */
export class InvalidLossMetadataError extends LossKitError {}

/** Options of `resolve` / `resolveSync` with a key nobody reads (`plugns`). */
export class ResolveOptionsError extends LossKitError {}

// Records over the interfaces' keys: a key added to either interface but not here fails to compile.
const METADATA_KEYS: Readonly<Record<keyof LossMetadata, true>> = {
  name: true, aliases: true, description: true, options: true, coreApi: true, package: true, defaults: true, override: true,
};
const RESOLVE_KEYS: Readonly<Record<keyof ResolveAsyncOptions, true>> = { container: true, plugins: true };
const RESOLVE_SYNC_KEYS: readonly string[] = ['container'];

const suggestion = (key: string, known: readonly string[]) => `did you mean '${closest(key, [...known])}'?`;

export function assertMetadataKeys(meta: object, owner: string): void {
  // for-in, no key array: registration runs for every catalog loss at import.
  for (const key in meta) {
    if (Object.hasOwn(METADATA_KEYS, key) || !Object.hasOwn(meta, key)) continue;
    const known = Object.keys(METADATA_KEYS);
    throw new InvalidLossMetadataError(
      `${owner}: unknown registration key '${key}' (${suggestion(key, known)}); the metadata of a loss has ${known.join(', ')}.`,
    );
  }
}

/** Resolution is hot: a for-in over the (usually empty) options, a key array only for an error. */
export function assertResolveOptionKeys(options: object, where: 'resolve' | 'resolveSync'): void {
  const known = where === 'resolve' ? Object.keys(RESOLVE_KEYS) : RESOLVE_SYNC_KEYS;
  for (const key in options) {
    if (known.includes(key) || !Object.hasOwn(options, key)) continue;
    const hint = where === 'resolveSync' && key === 'plugins' ? " resolveSync imports nothing: use await registry.resolve(spec, { plugins }) to import plugin packages." : '';
    throw new ResolveOptionsError(`registry.${where}: unknown option '${key}' (${suggestion(key, known)}); its options are ${known.join(', ')}.${hint}`);
  }
}
