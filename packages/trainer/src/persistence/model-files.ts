import path from 'node:path';
import type * as tf from '@tensorflow/tfjs';
import { fileSystemIO, MODEL_JSON, readModelArtifacts, WEIGHTS_BIN } from './fs-model-io.js';
import { READ_LIMITS } from './limits.js';
import { readConfinedJson } from './safe-read.js';
import { writeSaveAtomically } from './save-target.js';

// A plain model saved by saveModelWithLoss to a directory (Node): model.json + weights.bin under
// the same rules as a trainer save (a missing or empty directory, or atomically over a previous
// such save; nothing else is replaced), read back confined and size-checked.

const MODEL_FILES: ReadonlySet<string> = new Set([MODEL_JSON, WEIGHTS_BIN]);

export async function saveModelFiles(dir: string, artifacts: tf.io.ModelArtifacts, metadataKey: string): Promise<void> {
  await writeSaveAtomically(path.resolve(dir), async (temp) => void (await fileSystemIO(temp).save!(artifacts)), {
    ownFiles: MODEL_FILES,
    recognise: (existing) => hasMetadata(existing, metadataKey),
  });
}

export function loadModelFiles(dir: string): Promise<tf.io.ModelArtifacts> {
  return readModelArtifacts(path.resolve(dir));
}

/** Whether `dir` holds a model.json that this kind of save wrote (its metadata key is there). */
async function hasMetadata(dir: string, key: string): Promise<boolean> {
  try {
    const json = (await readConfinedJson(dir, MODEL_JSON, dir, 'model topology', READ_LIMITS.modelJsonBytes)) as { userDefinedMetadata?: Record<string, unknown> };
    return json?.userDefinedMetadata?.[key] !== undefined;
  } catch {
    return false;
  }
}
