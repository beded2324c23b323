// Helpers of the tf.io persistence tests: an in-memory handler, artifacts to tamper with, clean-up.
import * as tf from '@tensorflow/tfjs';
import type { Trainer } from '@losskit/trainer';

/** A tf.io handler keeping the artifacts in memory, as IndexedDB or a custom store would. */
export function memoryHandler(): tf.io.IOHandler & { stored?: tf.io.ModelArtifacts } {
  const handler: tf.io.IOHandler & { stored?: tf.io.ModelArtifacts } = {
    async save(artifacts) {
      handler.stored = artifacts;
      return { modelArtifactsInfo: tf.io.getModelArtifactsInfoForJSON(artifacts) };
    },
    async load() {
      if (!handler.stored) throw new Error('nothing saved under this key');
      return handler.stored;
    },
  };
  return handler;
}

/** The artifacts with their metadata deep-copied (and the weights shared), to tamper with. */
export function copyOf(artifacts: tf.io.ModelArtifacts): tf.io.ModelArtifacts & { userDefinedMetadata: { losskit: Record<string, unknown> } } {
  return { ...artifacts, weightSpecs: structuredClone(artifacts.weightSpecs), userDefinedMetadata: structuredClone(artifacts.userDefinedMetadata) } as never;
}

export function disposeTrainer(trainer: Trainer): void {
  trainer.model.dispose();
  trainer.optimizer.dispose();
  trainer.dispose();
}

export async function predictions(model: tf.LayersModel, x: tf.Tensor): Promise<number[]> {
  const out = model.predict(x) as tf.Tensor;
  const values = Array.from(await out.data());
  out.dispose();
  return values;
}

