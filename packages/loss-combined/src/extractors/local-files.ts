import type * as tf from '@tensorflow/tfjs';
import { FeatureExtractorLoadError } from '../errors.js';

/**
 * How `extractor.model` file paths are read. Only Node has a file system: the package's Node
 * entry (node.ts, the "node" export condition) installs the implementation; in a browser there
 * is none and a model is loaded from an http(s) URL instead. Kept on globalThis so two copies
 * of this package in one process agree.
 */
export interface LocalFiles {
  /** An absolute, normalised path for a (possibly relative) one. */
  resolve(path: string): string;
  /** The platform's path separator. */
  sep: string;
  /** A tf.io handler reading a model.json and its weight files. */
  handler(modelJsonPath: string): tf.io.IOHandler;
}

const KEY = Symbol.for('losskit.combined.localFiles');
const holder = globalThis as typeof globalThis & { [KEY]?: LocalFiles };

export function setLocalFiles(files: LocalFiles): void {
  holder[KEY] = files;
}

export function localFiles(): LocalFiles | undefined {
  return holder[KEY];
}

/** The handler for a model file path; where there is no file system, an error saying to use a URL. */
export function localModelHandler(location: string): tf.io.IOHandler {
  const files = localFiles();
  if (!files) {
    throw new FeatureExtractorLoadError(
      `Loss 'combined': extractor.model '${location}' is a file path, but there is no file system here (a browser). ` +
        `Give the URL of the model.json (http:// or https://, allowed with allowExtractorModels), or register your own FEATURE_EXTRACTOR.`,
    );
  }
  return files.handler(location);
}
