import '@losskit/loss-mse';
import * as tf from '@tensorflow/tfjs';
import { expect } from 'chai';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Trainer } from '@losskit/trainer';
import { bundleForBrowser, runInWorkerLikeGlobal } from '../../../test/browser/bundle.js';
import { expectSameNumbers } from './trainer-helpers.js';

// A trainer saved by the browser bundle (evaluated where there is no process, Buffer or
// require) loads in Node, and one saved in Node loads in that bundle: same predictions, the loss
// re-resolved by name, the epoch counter carried. Artifacts cross as JSON plus the weight bytes,
// as they would through a download or an upload.

const trainerDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

/** Model artifacts as JSON-able parts (the weights as a byte list), to cross between realms. */
interface PortableArtifacts {
  json: Omit<tf.io.ModelArtifacts, 'weightData'>;
  bytes: number[];
}

// The same code runs in Node (below) and in the bundle (as text): a seeded model and fixed data.
const SHARED = `
function seededModel(tf) {
  const model = tf.sequential();
  model.add(tf.layers.dense({ units: 5, activation: 'tanh', inputShape: [3], kernelInitializer: tf.initializers.glorotUniform({ seed: 11 }) }));
  model.add(tf.layers.dense({ units: 1, kernelInitializer: tf.initializers.glorotUniform({ seed: 12 }) }));
  return model;
}
const XS = Array.from({ length: 24 }, (_, i) => [Math.sin(i), Math.cos(i * 0.7), (i % 5) / 5]);
const YS = XS.map(([a, b, c]) => [0.5 * a - b + c]);
function portable(artifacts) {
  const { weightData, ...json } = artifacts;
  return { json: JSON.parse(JSON.stringify(json)), bytes: Array.from(new Uint8Array(weightData)) };
}
function fromPortable(tf, { json, bytes }) {
  return tf.io.fromMemory({ ...json, weightData: new Uint8Array(bytes).buffer });
}
async function trainSaveAndPredict(tf, Trainer) {
  const trainer = new Trainer({ model: seededModel(tf), optimizer: tf.train.adam(0.05), loss: 'mse', backend: 'cpu', verbose: 0 });
  const x = tf.tensor2d(XS);
  const y = tf.tensor2d(YS);
  await trainer.fit(x, y, { epochs: 3, batchSize: 8, seed: 2 });
  let saved;
  await trainer.save(tf.io.withSaveHandler(async (artifacts) => ((saved = portable(artifacts)), { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } })));
  const out = trainer.model.predict(x);
  const predictions = Array.from(await out.data());
  tf.dispose([x, y, out]);
  trainer.model.dispose();
  trainer.optimizer.dispose();
  trainer.dispose();
  return { saved, predictions };
}
async function loadAndPredict(tf, Trainer, saved) {
  const trainer = await Trainer.load(fromPortable(tf, saved), { verbose: false });
  const x = tf.tensor2d(XS);
  const out = trainer.model.predict(x);
  const result = { predictions: Array.from(await out.data()), lossName: trainer.lossSpecs.name, epochs: trainer.epochsCompleted, tensors: 0 };
  tf.dispose([x, out]);
  trainer.model.dispose();
  trainer.optimizer.dispose();
  trainer.dispose();
  result.tensors = tf.memory().numTensors;
  return result;
}`;

type Shared = {
  trainSaveAndPredict(t: typeof tf, T: typeof Trainer): Promise<{ saved: PortableArtifacts; predictions: number[] }>;
  loadAndPredict(t: typeof tf, T: typeof Trainer, saved: PortableArtifacts): Promise<{ predictions: number[]; lossName: string; epochs: number; tensors: number }>;
};
const shared = new Function(`${SHARED}\nreturn { trainSaveAndPredict, loadAndPredict };`)() as Shared;

describe('trainer saves cross between a browser bundle and Node', function () {
  this.timeout(120_000);

  it('saved in the bundle, loaded in Node; saved in Node, loaded in the bundle: same predictions, loss by name, epochs', async () => {
    await tf.setBackend('cpu');
    const inNode = await shared.trainSaveAndPredict(tf, Trainer);
    const { code } = await bundleForBrowser(
      `import * as tf from '@tensorflow/tfjs';
       import '@losskit/loss-mse';
       import { Trainer } from '@losskit/trainer';
       ${SHARED}
       const fromNode = ${JSON.stringify(inNode.saved)};
       globalThis.run = async () => {
         await tf.setBackend('cpu');
         const before = tf.memory().numTensors;
         const own = await trainSaveAndPredict(tf, Trainer);
         const loaded = await loadAndPredict(tf, Trainer, fromNode);
         return { own, loaded, before };
       };`,
      trainerDir,
    );
    const page = await runInWorkerLikeGlobal<{ own: { saved: PortableArtifacts; predictions: number[] }; loaded: Awaited<ReturnType<Shared['loadAndPredict']>>; before: number }>(code);

    // The bundle loaded Node's save: Node's predictions, bit for bit when both are on tfjs cpu
    // (within 1e-6 of the scale in the native run, where Node computes on TensorFlow).
    expectSameNumbers(page.loaded.predictions, inNode.predictions, 'predictions of the Node save in the bundle');
    expect(page.loaded).to.include({ lossName: 'mse', epochs: 3, tensors: page.before });
    // The same seeded run in the bundle predicts what Node's did, and Node loads the bundle's save.
    expectSameNumbers(page.own.predictions, inNode.predictions, 'the same seeded run in the bundle and in Node');
    const tensors = tf.memory().numTensors;
    const loadedHere = await shared.loadAndPredict(tf, Trainer, page.own.saved);
    expectSameNumbers(loadedHere.predictions, page.own.predictions, 'predictions of the bundle save in Node');
    expect(loadedHere).to.include({ lossName: 'mse', epochs: 3, tensors });
  });
});
