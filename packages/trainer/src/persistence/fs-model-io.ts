import * as tf from '@tensorflow/tfjs';
import fs from 'node:fs/promises';
import path from 'node:path';
import { TrainerFileError } from './errors.js';
import { writeFileDurable } from './durable-fs.js';

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
    load: () => loadArtifacts(dir),
  };
}

async function saveArtifacts(dir: string, artifacts: tf.io.ModelArtifacts): Promise<tf.io.SaveResult> {
  if (artifacts.modelTopology instanceof ArrayBuffer) {
    throw new TrainerFileError(`fileSystemIO('${dir}') saves layers models (JSON topology), not binary graph topologies.`);
  }
  await fs.mkdir(dir, { recursive: true });
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

async function loadArtifacts(dir: string): Promise<tf.io.ModelArtifacts> {
  const jsonPath = path.join(dir, MODEL_JSON);
  const modelJson = await readJsonFile<tf.io.ModelJSON>(jsonPath, 'model topology');
  if (modelJson.modelTopology == null || !Array.isArray(modelJson.weightsManifest)) {
    throw new TrainerFileError(
      `${jsonPath} is not a TF.js layers model.json (it lacks modelTopology or weightsManifest). ` +
        `Point to the directory written by trainer.save(), model.save(fileSystemIO(dir)) or tfjs-node's file://.`,
    );
  }
  return tf.io.getModelArtifactsForJSON(modelJson, async (manifest) => {
    const specs: tf.io.WeightsManifestEntry[] = [];
    const buffers: ArrayBuffer[] = [];
    for (const group of manifest) {
      specs.push(...group.weights);
      for (const relative of group.paths) buffers.push(await readBinaryFile(path.join(dir, relative), jsonPath));
    }
    const data = tf.io.CompositeArrayBuffer.join(buffers);
    const expected = specs.reduce((total, spec) => total + weightByteLength(spec), 0);
    if (data.byteLength !== expected) {
      throw new TrainerFileError(
        `The weight files of ${dir} hold ${data.byteLength} bytes but ${jsonPath} describes ${expected}; ` +
          `the files are truncated or from different saves. Restore them from a complete save or checkpoint.`,
      );
    }
    return [specs, data];
  });
}

const BYTES_PER_ELEMENT: Record<string, number> = { float32: 4, int32: 4, bool: 1, uint8: 1, uint16: 2, float16: 2 };

function weightByteLength(spec: tf.io.WeightsManifestEntry): number {
  const size = spec.shape.reduce((a, b) => a * b, 1);
  const dtype = spec.quantization?.dtype ?? spec.dtype;
  const bytes = BYTES_PER_ELEMENT[dtype];
  if (bytes === undefined) {
    throw new TrainerFileError(`Weight '${spec.name}' has dtype '${dtype}', which fileSystemIO cannot size.`);
  }
  return size * bytes;
}

export async function readJsonFile<T>(file: string, what: string): Promise<T> {
  let text: string;
  try {
    text = await fs.readFile(file, 'utf8');
  } catch (error) {
    throw missingFileError(file, what, error);
  }
  try {
    return JSON.parse(text) as T;
  } catch (error) {
    throw new TrainerFileError(
      `${file} (${what}) is not valid JSON: ${(error as Error).message}. The file is corrupt or was cut short; ` +
        `restore it from a complete save or checkpoint.`,
    );
  }
}

export async function readBinaryFile(file: string, referencedBy: string): Promise<ArrayBuffer> {
  try {
    const bytes = await fs.readFile(file);
    return bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer;
  } catch (error) {
    throw missingFileError(file, `weights named in ${path.basename(referencedBy)}`, error);
  }
}

function missingFileError(file: string, what: string, error: unknown): TrainerFileError {
  const code = (error as NodeJS.ErrnoException).code;
  const reason = code === 'ENOENT' ? 'does not exist' : `cannot be read (${(error as Error).message})`;
  return new TrainerFileError(
    `${file} (${what}) ${reason}. Check the path: it should be a directory written by trainer.save() or a checkpoint.`,
  );
}
