import { CombinedInputError, FeatureExtractorLoadError } from '../errors.js';
import { localFiles } from './local-files.js';

/**
 * Which `extractor.model` locations the default provider may load. A loss spec is data: it comes
 * from a saved trainer or a config file as often as from code, and loading a model reads a file
 * or fetches a URL. So a path or URL in the option is loaded only when the application has
 * allowed it here; `'mobilenet-v2'` (shipped inside an installed package) needs no permission,
 * and neither does `loadFeatureExtractor(...)`, which the application calls itself.
 *
 * Kept on globalThis so that two copies of this package in one process share one list.
 */
const KEY = Symbol.for('losskit.combined.allowedExtractorModels');
const holder = globalThis as typeof globalThis & { [KEY]?: Set<string> };
const allowed = (holder[KEY] ??= new Set<string>());

/** The feature extractor model named by a loss spec is not on the application's allow-list. */
export class ExtractorModelNotAllowedError extends FeatureExtractorLoadError {}

/**
 * Allows `extractor.model` values: a model.json path, a directory (every model.json below it),
 * a URL, or a URL prefix ending in '/'. Call it from application code, never from data.
 *
 *     allowExtractorModels('./vgg16/model.json', 'https://models.example.com/perceptual/');
 */
export function allowExtractorModels(...locations: string[]): void {
  for (const location of locations) {
    if (typeof location !== 'string' || !location) throw new CombinedInputError('allowExtractorModels takes paths or URLs as strings.');
    allowed.add(normalise(location));
  }
}

/** Forgets every allowance (tests, or an application that reconfigures). */
export function clearAllowedExtractorModels(): void {
  allowed.clear();
}

export function isUrl(location: string): boolean {
  return /^https?:\/\//i.test(location);
}

function normalise(location: string): string {
  if (isUrl(location)) return new URL(location).href;
  const path = location.replace(/^file:\/\//, '');
  // Without a file system (a browser) a path can never be loaded; it is compared as written.
  return localFiles()?.resolve(path) ?? path;
}

/** Throws unless the application allowed `location` (exactly, or through a directory / URL prefix). */
export function assertExtractorModelAllowed(location: string): void {
  const wanted = normalise(location);
  const sep = localFiles()?.sep ?? '/';
  for (const entry of allowed) {
    if (wanted === entry) return;
    if (isUrl(entry) ? entry.endsWith('/') && wanted.startsWith(entry) : wanted.startsWith(entry.endsWith(sep) ? entry : entry + sep)) return;
  }
  throw new ExtractorModelNotAllowedError(
    `Loss 'combined': extractor.model '${location}' was not loaded. A loss spec may come from a saved trainer or a ` +
      `config file, so a model path or URL in it is only loaded when the application allows it: call ` +
      `allowExtractorModels('${location}') from @losskit/loss-combined before resolving (or loading the trainer), ` +
      `or register your own FEATURE_EXTRACTOR.`,
  );
}

/**
 * A weight file name from a model.json: relative, inside the model's directory (no absolute
 * path, no URL, no '..'), so a fetched or saved model.json cannot make losskit read elsewhere.
 */
export function assertConfinedWeightPath(name: string, modelLocation: string): void {
  const segments = String(name).split('/');
  if (!name || name.includes('\\') || name.includes('\0') || /^[a-z][a-z0-9+.-]*:/i.test(name) || name.startsWith('/') || segments.includes('..')) {
    throw new FeatureExtractorLoadError(
      `The feature extractor model '${modelLocation}' names a weight file outside its own directory; refusing to read it. ` +
        `Weight paths in model.json must be relative names such as 'group1-shard1of1.bin'.`,
    );
  }
}
