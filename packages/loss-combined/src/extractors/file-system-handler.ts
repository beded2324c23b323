import { readFile } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { FeatureExtractorLoadError } from '../errors.js';
import { assertConfinedWeightPath } from './model-allow-list.js';

/**
 * Loads a tfjs layers model (model.json plus its weight files) from the file system: the
 * file:// handler lives in tfjs-node, which is not always installable.
 */
export function fileSystemHandler(modelJsonPath: string): tf.io.IOHandler {
  const path = resolve(modelJsonPath.replace(/^file:\/\//, ''));
  return {
    async load() {
      const text = await readOrExplain(path, 'model file');
      let modelJson: tf.io.ModelJSON;
      try {
        modelJson = JSON.parse(text.toString('utf8')) as tf.io.ModelJSON;
      } catch (error) {
        throw new FeatureExtractorLoadError(
          `The feature extractor model '${path}' is not valid JSON (${(error as Error).message}). ` +
            `Give the model.json that tfjs.converters / model.save wrote.`,
        );
      }
      if (typeof modelJson !== 'object' || modelJson === null || !modelJson.modelTopology) {
        throw new FeatureExtractorLoadError(
          `The feature extractor model '${path}' has no modelTopology: it is not a tfjs layers model.json.`,
        );
      }
      return tf.io.getModelArtifactsForJSON(modelJson, async (manifest) => {
        const specs = manifest.flatMap((group) => group.weights);
        const buffers = [];
        for (const group of manifest) {
          for (const file of group.paths) {
            assertConfinedWeightPath(file, path);
            buffers.push(await readOrExplain(resolve(dirname(path), file), 'weight file'));
          }
        }
        const data = Buffer.concat(buffers);
        return [specs, data.buffer.slice(data.byteOffset, data.byteOffset + data.byteLength)];
      });
    },
  };
}

async function readOrExplain(path: string, what: string): Promise<Buffer> {
  try {
    return await readFile(path);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    const reason = code === 'ENOENT' ? 'no such file' : (error as Error).message;
    throw new FeatureExtractorLoadError(
      `Could not read the feature extractor's ${what} '${path}': ${reason}. ` +
        `Check the extractor.model option (a path or URL of a tfjs layers model.json).`,
    );
  }
}
