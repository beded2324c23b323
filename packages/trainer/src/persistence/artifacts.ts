import * as tf from '@tensorflow/tfjs';
import { TrainerFileError } from './errors.js';
import { READ_LIMITS } from './limits.js';
import { buildManifest, checkManifest, type SavableTrainer, type SaveExtras } from './manifest.js';
import { serializeOptimizer, type SavedOptimizer } from './optimizer-state.js';
import { artifactsManifestSchema, firstIssue, modelJsonSchema, type ArtifactsManifest, type SavedWeightSpec } from './schemas.js';
import { parseUntrustedJson } from './untrusted-json.js';
import { weightBytes } from './weight-bytes.js';

/**
 * A trainer as TF.js model artifacts, the unit every tf.io handler stores (IndexedDB, local
 * storage, downloads, http, a directory, a custom handler): the model's topology and weights, the
 * optimizer's slots appended to the weights as TF.js's own group 'optimizer' (plain
 * tf.loadLayersModel ignores them), and the losskit manifest as `userDefinedMetadata.losskit`.
 */

/** Where the manifest sits in `userDefinedMetadata`. */
export const METADATA_KEY = 'losskit';
/** Prefix of the optimizer slots' weight names, so they never collide with a layer's. */
const OPTIMIZER_PREFIX = 'losskit-optimizer/';

/** Model artifacts with their weights in one buffer (as losskit reads them back). */
export type FlatArtifacts = tf.io.ModelArtifacts & { weightSpecs: tf.io.WeightsManifestEntry[]; weightData: ArrayBuffer };

/** A save read back and checked, before any tensor exists. */
export interface SavedState {
  /** How messages name the parts: the directory and its files, or the URL / handler for all. */
  labels: { dir: string; model: string; optimizer: string; manifest: string };
  manifest: ArtifactsManifest;
  /** The model's own weights only. */
  artifacts: FlatArtifacts;
  optimizerData: ArrayBuffer;
}

/** The model's artifacts as `model.save` hands them to a handler (no file is written). */
export async function modelArtifacts(model: tf.LayersModel): Promise<tf.io.ModelArtifacts> {
  let captured: tf.io.ModelArtifacts | undefined;
  await model.save(
    tf.io.withSaveHandler(async (artifacts) => {
      captured = artifacts;
      // Sizes left out: TF.js's helper for them needs Blob, which a worker-like global may lack.
      return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } };
    }),
    { includeOptimizer: false },
  );
  return captured!;
}

/** Everything a save holds, as artifacts for a tf.io handler, and its manifest. */
export async function trainerArtifacts(trainer: SavableTrainer, extras: SaveExtras = {}): Promise<{ artifacts: FlatArtifacts; manifest: ArtifactsManifest }> {
  const { saved, data } = await serializeOptimizer(trainer.optimizer);
  const optimizer: SavedOptimizer = {
    ...saved,
    weights: saved.weights.map(({ name, spec }) => ({ name, spec: { ...spec, name: `${OPTIMIZER_PREFIX}${spec.name}`, group: 'optimizer' } })),
  };
  const manifest = buildManifest(trainer, extras, optimizer);
  const model = await modelArtifacts(trainer.model);
  const artifacts: FlatArtifacts = {
    modelTopology: model.modelTopology,
    ...(model.format !== undefined ? { format: model.format } : {}),
    ...(model.generatedBy !== undefined ? { generatedBy: model.generatedBy } : {}),
    ...(model.convertedBy != null ? { convertedBy: model.convertedBy } : {}),
    weightSpecs: [...(model.weightSpecs ?? []), ...optimizer.weights.map((w) => w.spec)],
    weightData: tf.io.CompositeArrayBuffer.join([...asBuffers(model.weightData), data]),
    userDefinedMetadata: { [METADATA_KEY]: manifest as unknown as object },
  };
  return { artifacts, manifest };
}

function asBuffers(data: tf.io.WeightData | undefined): ArrayBuffer[] {
  return data === undefined ? [] : Array.isArray(data) ? data : [data];
}

/**
 * A JSON-able value from outside (a handler's artifacts) as a clean copy: refused when it is not
 * JSON, larger than `maxBytes` serialized, or holds a prototype key anywhere.
 */
export function untrustedCopy(value: unknown, where: string, what: string, maxBytes: number): unknown {
  let text: string;
  try {
    text = JSON.stringify(value);
  } catch {
    throw new TrainerFileError(`${where}: the ${what} is not plain JSON data; it was not written by losskit.`);
  }
  if (text === undefined) throw new TrainerFileError(`${where}: the ${what} is missing.`);
  // UTF-16 length <= UTF-8 bytes <= 3x it: the cheap bound first, the exact count only near the cap.
  if (text.length > maxBytes || (text.length * 3 > maxBytes && new TextEncoder().encode(text).length > maxBytes)) {
    throw new TrainerFileError(`${where}: the ${what} is larger than the ${maxBytes} bytes losskit reads for it; it was not written by losskit.`);
  }
  return parseUntrustedJson(text, where, what);
}

/**
 * Checks artifacts a tf.io handler returned as untrusted input: the manifest in their metadata
 * against its schema, the topology and weight specs against model.json's, the weight bytes
 * against what the specs describe; then splits model and optimizer weights. No tensor is made.
 */
export function readTrainerArtifacts(loaded: unknown, where: string): SavedState {
  const artifacts = loaded as Partial<tf.io.ModelArtifacts> | null | undefined;
  if (typeof artifacts !== 'object' || artifacts === null) throw new TrainerFileError(`${where} returned no model artifacts.`);
  const metadata = (artifacts.userDefinedMetadata as Record<string, unknown> | undefined)?.[METADATA_KEY];
  if (metadata === undefined) {
    throw new TrainerFileError(
      `${where} holds a TF.js model without a losskit manifest (userDefinedMetadata.${METADATA_KEY}), so it was not saved by trainer.save(). ` +
        'Load it with tf.loadLayersModel (or loadModelWithLoss, if saveModelWithLoss wrote it) and build a Trainer around it.',
    );
  }
  const manifest = checkManifest(untrustedCopy(metadata, where, 'losskit manifest', READ_LIMITS.manifestBytes), `${where} (userDefinedMetadata.${METADATA_KEY})`, artifactsManifestSchema);
  const { modelTopology, specs, weightData } = checkModelArtifacts(artifacts, where);
  const split = splitWeights(specs, weightData, manifest.optimizer, where);
  return {
    labels: { dir: where, model: where, optimizer: where, manifest: where },
    manifest,
    artifacts: { modelTopology, weightSpecs: split.modelSpecs, weightData: split.modelData },
    optimizerData: split.optimizerData,
  };
}

/** The topology and weights of untrusted artifacts, checked as a model.json and its weight files would be. */
export function checkModelArtifacts(artifacts: Partial<tf.io.ModelArtifacts>, where: string): { modelTopology: FlatArtifacts['modelTopology']; specs: tf.io.WeightsManifestEntry[]; weightData: ArrayBuffer } {
  if (artifacts.modelTopology instanceof ArrayBuffer) throw new TrainerFileError(`${where} holds a graph model (binary topology); losskit loads layers models.`);
  const asJson = { modelTopology: artifacts.modelTopology, weightsManifest: [{ paths: ['weights'], weights: artifacts.weightSpecs ?? [] }] };
  const parsed = modelJsonSchema.safeParse(untrustedCopy(asJson, where, 'model topology and weight specs', READ_LIMITS.modelJsonBytes));
  if (!parsed.success) throw new TrainerFileError(`${where} does not hold a TF.js layers model (${firstIssue(parsed.error)}).`);
  const specs = parsed.data.weightsManifest[0]!.weights as tf.io.WeightsManifestEntry[];
  const buffers = asBuffers(artifacts.weightData);
  if (!buffers.every((buffer) => buffer instanceof ArrayBuffer)) throw new TrainerFileError(`${where}: the weight data is not binary data; it was not written by losskit.`);
  const expected = weightBytes(specs as SavedWeightSpec[], where);
  if (buffers.reduce((sum, buffer) => sum + buffer.byteLength, 0) !== expected) {
    throw new TrainerFileError(`${where}: the weight data does not have the size its weight specs describe; it is truncated or from another save.`);
  }
  return { modelTopology: parsed.data.modelTopology as FlatArtifacts['modelTopology'], specs, weightData: tf.io.CompositeArrayBuffer.join(buffers) };
}

/**
 * Splits the weights of a format-3 save: the model's first, then the optimizer's slots (group
 * 'optimizer'), which must be exactly those the manifest describes, in its order.
 */
export function splitWeights(specs: readonly tf.io.WeightsManifestEntry[], data: ArrayBuffer, optimizer: SavedOptimizer, where: string): { modelSpecs: tf.io.WeightsManifestEntry[]; modelData: ArrayBuffer; optimizerData: ArrayBuffer } {
  const firstSlot = specs.findIndex((spec) => spec.group === 'optimizer');
  const modelSpecs = firstSlot === -1 ? [...specs] : specs.slice(0, firstSlot);
  const slots = firstSlot === -1 ? [] : specs.slice(firstSlot);
  const described = optimizer.weights.map((w) => w.spec);
  const same = (a: tf.io.WeightsManifestEntry, b: tf.io.WeightsManifestEntry) =>
    a.name === b.name && a.dtype === b.dtype && a.group === b.group && a.shape.length === b.shape.length && a.shape.every((d, i) => d === b.shape[i]) && JSON.stringify(a.quantization) === JSON.stringify(b.quantization);
  if (slots.length !== described.length || !slots.every((slot, i) => same(slot, described[i]!))) {
    throw new TrainerFileError(`${where}: the optimizer weights (group 'optimizer') do not match the optimizer state its losskit manifest describes; the save is corrupt.`);
  }
  const modelBytes = weightBytes(modelSpecs as SavedWeightSpec[], where);
  return { modelSpecs, modelData: data.slice(0, modelBytes), optimizerData: data.slice(modelBytes) };
}
