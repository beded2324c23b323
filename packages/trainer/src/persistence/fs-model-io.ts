import * as tf from '@tensorflow/tfjs';
import fs from 'node:fs/promises';
import path from 'node:path';
import { TrainerFileError } from './errors.js';
import { fsStep, writeFileDurable } from './durable-fs.js';
import { firstIssue, modelJsonSchema, type SavedWeightSpec } from './schemas.js';
import { weightBytes } from './weight-bytes.js';
import { openConfined, readAll, readConfinedJson, READ_LIMITS, type ConfinedFile } from './safe-read.js';

export const MODEL_JSON = 'model.json';
export const WEIGHTS_BIN = 'weights.bin';

/**
 * A `tf.io.IOHandler` for a directory holding `model.json` and `weights.bin`: the layout
 * tfjs-node's `file://` handler reads and writes, so either side can load what the other saved,
 * without needing tfjs-node (whose native install cannot run everywhere).
 *
 *     await model.save(fileSystemIO('out/model'));
 *     const same = await tf.loadLayersModel(fileSystemIO('out/model'));
 */
export function fileSystemIO(dir: string): tf.io.IOHandler {
  return {
    save: (artifacts) => saveArtifacts(dir, artifacts),
    load: () => readModelArtifacts(path.resolve(dir)),
  };
}

async function saveArtifacts(dir: string, artifacts: tf.io.ModelArtifacts): Promise<tf.io.SaveResult> {
  if (artifacts.modelTopology instanceof ArrayBuffer) {
    throw new TrainerFileError(`fileSystemIO('${dir}') saves layers models (JSON topology), not binary graph topologies.`);
  }
  await fsStep('create', dir, () => fs.mkdir(dir, { recursive: true }));
  const weightData = tf.io.CompositeArrayBuffer.join(artifacts.weightData ?? new ArrayBuffer(0));
  const modelJson: tf.io.ModelJSON = {
    modelTopology: artifacts.modelTopology ?? {},
    format: artifacts.format,
    generatedBy: artifacts.generatedBy,
    convertedBy: artifacts.convertedBy,
    // tfjs-node writes './weights.bin'; keep the same string so the files are interchangeable.
    weightsManifest: [{ paths: [`./${WEIGHTS_BIN}`], weights: artifacts.weightSpecs ?? [] }],
    ...(artifacts.trainingConfig ? { trainingConfig: artifacts.trainingConfig } : {}),
    ...(artifacts.signature ? { signature: artifacts.signature } : {}),
    ...(artifacts.userDefinedMetadata ? { userDefinedMetadata: artifacts.userDefinedMetadata } : {}),
  };
  // Weights first: model.json names weights.bin, so it must never exist without it.
  await writeFileDurable(path.join(dir, WEIGHTS_BIN), new Uint8Array(weightData));
  await writeFileDurable(path.join(dir, MODEL_JSON), JSON.stringify(modelJson));
  return {
    modelArtifactsInfo: {
      dateSaved: new Date(),
      modelTopologyType: 'JSON',
      modelTopologyBytes: JSON.stringify(modelJson.modelTopology).length,
      weightSpecsBytes: JSON.stringify(artifacts.weightSpecs ?? []).length,
      weightDataBytes: weightData.byteLength,
    },
  };
}

/**
 * Reads model.json and its weight files from `dir` as untrusted input: model.json is checked
 * against its schema, every weight path is confined to `dir` and must be a regular file, and
 * the files' total size must equal what the weight specs describe before any byte is read.
 * No tensor is made here.
 */
export async function readModelArtifacts(dir: string): Promise<tf.io.ModelArtifacts & { weightSpecs: tf.io.WeightsManifestEntry[] }> {
  const jsonPath = path.join(dir, MODEL_JSON);
  const parsed = modelJsonSchema.safeParse(await readConfinedJson(dir, MODEL_JSON, dir, 'model topology', READ_LIMITS.modelJsonBytes));
  if (!parsed.success) {
    throw new TrainerFileError(
      `${jsonPath} is not a TF.js layers model.json (${firstIssue(parsed.error)}). ` +
        `Point to the directory written by trainer.save(), model.save(fileSystemIO(dir)) or tfjs-node's file://.`,
    );
  }
  const modelJson = parsed.data;
  const specs = modelJson.weightsManifest.flatMap((group) => group.weights) as tf.io.WeightsManifestEntry[];
  const expected = weightBytes(specs as SavedWeightSpec[], jsonPath);
  const data = await readDeclaredFiles(dir, modelJson.weightsManifest.flatMap((group) => group.paths), expected, jsonPath, 'weights');
  return {
    modelTopology: modelJson.modelTopology as tf.io.ModelArtifacts['modelTopology'],
    ...(modelJson.format !== undefined ? { format: modelJson.format } : {}),
    ...(modelJson.generatedBy !== undefined ? { generatedBy: modelJson.generatedBy } : {}),
    ...(modelJson.convertedBy != null ? { convertedBy: modelJson.convertedBy } : {}),
    weightSpecs: specs,
    weightData: data,
    ...(modelJson.userDefinedMetadata !== undefined ? { userDefinedMetadata: modelJson.userDefinedMetadata as Record<string, object> } : {}),
  };
}

/**
 * Reads files named by `namedBy` whose sizes must add up to `expected` bytes: all are opened and
 * sized first, so a truncated, padded or foreign file is refused before anything is read, and
 * the message never states a size.
 */
export async function readDeclaredFiles(dir: string, relatives: readonly string[], expected: number, namedBy: string, what: string): Promise<ArrayBuffer> {
  const opened: ConfinedFile[] = [];
  try {
    let total = 0;
    for (const relative of relatives) {
      const file = await openConfined(dir, relative, namedBy, `${what} named in ${path.basename(namedBy)}`);
      opened.push(file);
      total += file.size;
    }
    if (total !== expected) {
      throw new TrainerFileError(
        `The ${what} files of ${dir} do not have the size ${path.basename(namedBy)} describes; ` +
          `they are truncated or from different saves. Restore them from a complete save or checkpoint.`,
      );
    }
    const out = new Uint8Array(expected);
    let offset = 0;
    for (const file of opened) {
      out.set(await readAll(file, what), offset);
      offset += file.size;
    }
    return out.buffer;
  } finally {
    for (const file of opened) await file.handle.close();
  }
}

export { weightBytes } from './weight-bytes.js';
