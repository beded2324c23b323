import * as tf from '@tensorflow/tfjs';
import { getLossRegistry, type LossSpec, type ResolvedLoss } from '@losskit/core';
import { TrainerInputError } from '../errors.js';
import { giveOptimizerToModel } from '../tfjs-internals.js';
import { checkModelArtifacts, METADATA_KEY, modelArtifacts, untrustedCopy } from './artifacts.js';
import { TrainerFileError } from './errors.js';
import { loadArtifacts, loadHandlerFor, saveHandlerFor } from './io-persistence.js';
import { READ_LIMITS } from './limits.js';
import { checkLoadOptions } from './load-options.js';
import { describeLocation, isDirectoryPath, type TrainerLocation } from './location.js';
import { ensureLossesResolvable, type LoadTrainerOptions } from './loss-check.js';
import { createOptimizer } from './optimizer-state.js';
import { TRAINER_PACKAGE } from './package-info.js';
import { buildModel } from './restore-state.js';
import { firstIssue, MODEL_FORMAT, modelWithLossSchema, type ModelWithLossManifest, type SavedWeightSpec } from './schemas.js';
import { weightBytes } from './weight-bytes.js';

/**
 * A plain tf.LayersModel compiled with a losskit loss (`model.compile({ loss: loss.asTfjsLoss() })`)
 * saved with its loss: TF.js saves a function loss as nothing, so the loss spec (canonical name,
 * options, plugin package) and the optimizer's class and settings go into the artifacts'
 * `userDefinedMetadata.losskitModel`, and loading compiles the model again with the loss
 * re-resolved by name. Locations as for `trainer.save`: a tf.io URL or handler, or (Node) a directory.
 */

export const MODEL_METADATA_KEY = 'losskitModel';

// Directory paths use Node's file system, reached as the Trainer reaches it (see trainer.ts).
const nodePersistence = () => import('#node-persistence');

/** Saves `model` with the loss it is compiled with (a resolved loss or a spec resolved here). */
export async function saveModelWithLoss(model: tf.LayersModel, loss: ResolvedLoss | LossSpec, target: TrainerLocation): Promise<void> {
  if (!(model instanceof tf.LayersModel)) throw new TrainerInputError('saveModelWithLoss: the first argument must be a tf.LayersModel.');
  const resolved = isResolvedLoss(loss) ? loss : await getLossRegistry().resolve(loss);
  const spec = resolved.spec;
  if (resolved !== loss) resolved.dispose();
  const optimizer = model.optimizer ? { className: model.optimizer.getClassName(), config: model.optimizer.getConfig() } : undefined;
  const manifest = { format: MODEL_FORMAT, formatVersion: 1, savedBy: { package: TRAINER_PACKAGE.name, version: TRAINER_PACKAGE.version }, loss: spec, ...(optimizer ? { optimizer } : {}) };
  const checked = modelWithLossSchema.safeParse(JSON.parse(JSON.stringify(manifest)));
  if (!checked.success) throw new TrainerFileError(`saveModelWithLoss: the model cannot be saved with its loss: ${firstIssue(checked.error)}.`);
  const artifacts = { ...(await modelArtifacts(model)), userDefinedMetadata: { [MODEL_METADATA_KEY]: checked.data as object } };
  if (isDirectoryPath(target)) return (await nodePersistence()).saveModelFiles(target, artifacts, MODEL_METADATA_KEY);
  const result = await saveHandlerFor(target, 'saveModelWithLoss').save!(artifacts);
  if (result?.errors?.length) throw new TrainerFileError(`saveModelWithLoss: could not save to ${describeLocation(target)}: ${result.errors.map(String).join('; ')}`);
}

export interface ModelWithLoss {
  /** Compiled with `loss` and a fresh optimizer of the saved class and settings (which `model.dispose()` frees) when it was compiled at save time. */
  model: tf.LayersModel;
  /** The saved loss, resolved again by name; dispose it with the model. */
  loss: ResolvedLoss;
}

/** Loads what saveModelWithLoss wrote; the artifacts and metadata are checked as untrusted input. */
export async function loadModelWithLoss(source: TrainerLocation, options: LoadTrainerOptions = {}): Promise<ModelWithLoss> {
  checkLoadOptions(options, 'loadModelWithLoss');
  const where = describeLocation(source);
  const artifacts = (
    isDirectoryPath(source) ? await (await nodePersistence()).loadModelFiles(source) : await loadArtifacts(loadHandlerFor(source, 'loadModelWithLoss'), where)
  ) as Partial<tf.io.ModelArtifacts>;
  const manifest = readManifest(artifacts, where);
  const { modelTopology, specs, weightData } = checkModelArtifacts(artifacts ?? {}, where);
  await ensureLossesResolvable({ losses: manifest.loss }, where, options);
  const loss = await getLossRegistry().resolve(manifest.loss as LossSpec);
  let model: tf.LayersModel | undefined;
  try {
    const modelSpecs = specs.filter((spec) => spec.group !== 'optimizer');
    if (specs.slice(0, modelSpecs.length).some((spec) => spec.group === 'optimizer')) throw new TrainerFileError(`${where}: optimizer weights come before the model's; it was not written by TF.js or losskit.`);
    const labels = { dir: where, model: where, optimizer: where, manifest: where };
    // Optimizer slots TF.js may have appended (includeOptimizer) are not the model's: left out.
    const modelData = weightData.slice(0, weightBytes(modelSpecs as SavedWeightSpec[], where));
    model = await buildModel({ artifacts: { modelTopology, weightSpecs: modelSpecs, weightData: modelData }, labels });
    if (manifest.optimizer) {
      model.compile({ optimizer: createOptimizer({ ...manifest.optimizer, weights: [], extras: {} }, where), loss: loss.asTfjsLoss() });
      giveOptimizerToModel(model);
    }
    return { model, loss };
  } catch (error) {
    model?.dispose();
    loss.dispose();
    throw error;
  }
}

function readManifest(artifacts: Partial<tf.io.ModelArtifacts> | null | undefined, where: string): ModelWithLossManifest {
  const metadata = artifacts?.userDefinedMetadata as Record<string, unknown> | undefined;
  if (metadata?.[MODEL_METADATA_KEY] === undefined) {
    const hint = metadata?.[METADATA_KEY] !== undefined ? ' It holds a trainer save: load it with Trainer.load.' : ' Load it with tf.loadLayersModel and compile it with the loss again.';
    throw new TrainerFileError(`${where} holds no loss saved by saveModelWithLoss (userDefinedMetadata.${MODEL_METADATA_KEY}).${hint}`);
  }
  const parsed = modelWithLossSchema.safeParse(untrustedCopy(metadata[MODEL_METADATA_KEY], where, 'saved loss', READ_LIMITS.manifestBytes));
  if (!parsed.success) throw new TrainerFileError(`${where} (userDefinedMetadata.${MODEL_METADATA_KEY}) is corrupt or was not written by losskit (${firstIssue(parsed.error)}).`);
  return parsed.data;
}

function isResolvedLoss(loss: unknown): loss is ResolvedLoss {
  return typeof loss === 'object' && loss !== null && typeof (loss as ResolvedLoss).asTfjsLoss === 'function' && 'spec' in loss;
}
