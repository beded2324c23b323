// Real saves and checkpoints, corrupted on disk the way a damaged or crafted file would be, and
// the checks every refused load must pass: the error class and message, nothing quoted from the
// file, no tensor left behind.
import '@losskit/loss-mse';
import * as tf from '@tensorflow/tfjs';
import { expect } from 'chai';
import fs from 'node:fs';
import path from 'node:path';
import { Trainer, TrainerFileError } from '@losskit/trainer';

// Loosely typed on purpose: the tests edit saved JSON files field by field, as a corruption would.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type Json = Record<string, any>;
export const quiet = { backend: 'cpu' as const, verbose: false as const };

/** A distinctive value planted in a file: no error message may repeat it. */
export const PLANTED = 'CONTENT-FROM-FILE-7731';

export function smallModel(): tf.LayersModel {
  return tf.sequential({ layers: [tf.layers.dense({ units: 2, inputShape: [3], kernelInitializer: tf.initializers.glorotUniform({ seed: 3 }) })] });
}

export function smallData(): { x: tf.Tensor2D; y: tf.Tensor2D } {
  return { x: tf.tensor2d([[1, 2, 3], [4, 5, 6], [7, 8, 9], [1, 0, 1]]), y: tf.tensor2d([[1, 0], [0, 1], [1, 1], [0, 0]]) };
}

export function newTrainer(optimizer: string | tf.Optimizer = 'adam'): Trainer {
  return new Trainer({ model: smallModel(), optimizer, loss: 'mse', ...quiet });
}

export function freeTrainer(trainer: Trainer): void {
  trainer.model.dispose();
  trainer.optimizer.dispose();
  trainer.dispose();
}

/** A save of a trainer fitted for one epoch (or never, with `fit: false`). */
export async function writeSave(dir: string, optimizer: string | (() => tf.Optimizer) = 'adam', fit = true): Promise<string> {
  const trainer = newTrainer(typeof optimizer === 'string' ? optimizer : optimizer());
  const { x, y } = smallData();
  if (fit) await trainer.fit(x, y, { epochs: 1, batchSize: 2 });
  else await trainer.ready();
  await trainer.save(dir);
  freeTrainer(trainer);
  tf.dispose([x, y]);
  return dir;
}

export function editJson(file: string, edit: (json: Json) => void): void {
  const json = JSON.parse(fs.readFileSync(file, 'utf8')) as Json;
  edit(json);
  fs.writeFileSync(file, JSON.stringify(json));
}

/** Leaves a save without optimizer slots, consistently in losskit.json, model.json and weights.bin. */
export function dropOptimizerSlots(dir: string): void {
  editJson(path.join(dir, 'losskit.json'), (json) => (json.optimizer.weights = []));
  let modelBytes = 0;
  editJson(path.join(dir, 'model.json'), (json) => {
    const group = json.weightsManifest[0];
    group.weights = group.weights.filter((spec: Json) => spec.group !== 'optimizer');
    modelBytes = group.weights.reduce((sum: number, spec: Json) => sum + 4 * (spec.shape as number[]).reduce((a, b) => a * b, 1), 0);
    if (json.userDefinedMetadata?.losskit) json.userDefinedMetadata.losskit.optimizer.weights = [];
  });
  fs.truncateSync(path.join(dir, 'weights.bin'), modelBytes);
}

/** Runs `attempt`, expects it to fail with `type` and `message`, quoting nothing planted, leaking no tensor. */
export async function expectRefusal(attempt: () => Promise<unknown>, message: RegExp, type: new (...args: never[]) => Error = TrainerFileError): Promise<Error> {
  const tensors = tf.memory().numTensors;
  let failure: unknown;
  await attempt().then(
    (result) => (result as { dispose?: () => void } | undefined)?.dispose?.(),
    (error: unknown) => (failure = error),
  );
  expect(failure, String(message)).to.be.instanceOf(type);
  const text = (failure as Error).message;
  expect(text).to.match(message);
  expect(text, 'quotes nothing from the file').not.to.include(PLANTED);
  expect(tf.memory().numTensors, 'no tensor left behind').to.equal(tensors);
  return failure as Error;
}

/** Every value a trainer holds (model weights, optimizer slots), to check that a failed restore changed none. */
export async function trainerValues(trainer: Trainer): Promise<number[][]> {
  const model = trainer.model.weights.map((w) => Array.from(w.read().dataSync()));
  const slots = await trainer.optimizer.getWeights();
  const optimizer = slots.map(({ tensor }) => Array.from(tensor.dataSync()));
  for (const { tensor } of slots) if (!(tensor instanceof tf.Variable)) tensor.dispose();
  return [...model, ...optimizer];
}
