import '@losskit/loss-mse';
import * as tf from '@tensorflow/tfjs';
import { expect } from 'chai';
import fs from 'node:fs';
import path from 'node:path';
import { getLossRegistry, registerLossFunction, type ResolvedLoss } from '@losskit/core';
import {
  fileSystemIO,
  loadTrainerState,
  MissingLossPluginError,
  saveTrainer,
  TrainerFileError,
  type SavableTrainer,
} from '@losskit/trainer/persistence';
import { buildMlp, formulaData, makeTempDir, snapshotDir } from './support/persistence-models.js';

/** The parts of a trainer that saving needs, made from plain tfjs so these tests do not depend on the fit loop. */
function plainTrainer(model: tf.LayersModel, optimizer: tf.Optimizer, loss: ResolvedLoss, epochsCompleted = 0): SavableTrainer {
  model.compile({ optimizer, loss: loss.asTfjsLoss() });
  return { model, optimizer, lossSpecs: loss.spec, lossWeights: [1], epochsCompleted, constructorOptions: { metrics: [] } };
}

async function fitLosses(model: tf.LayersModel, x: tf.Tensor, y: tf.Tensor, epochs: number, initialEpoch = 0): Promise<number[]> {
  const history = await model.fit(x, y, { epochs, initialEpoch, batchSize: 16, shuffle: false, verbose: 0 });
  return history.history.loss as number[];
}

const OPTIMIZERS: Record<string, () => tf.Optimizer> = {
  adam: () => tf.train.adam(0.01),
  rmsprop: () => tf.train.rmsprop(0.01, 0.9, 0.5, 1e-7, true),
  momentum: () => tf.train.momentum(0.05, 0.9, true),
  adagrad: () => tf.train.adagrad(0.05),
  adadelta: () => tf.train.adadelta(1),
  sgd: () => tf.train.sgd(0.05),
};

describe('trainer persistence: model files, save and load', function () {
  let dir: string;
  before(async () => {
    await tf.setBackend('cpu');
  });
  beforeEach(() => {
    dir = makeTempDir('persist');
  });
  afterEach(() => {
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('writes model.json + weights.bin in the file:// layout that tf.io.fromMemory reads back identically', async () => {
    const model = buildMlp();
    const { x, y } = formulaData(8);
    await model.save(fileSystemIO(dir));
    expect(fs.readdirSync(dir).sort()).to.deep.equal(['model.json', 'weights.bin']);
    const json = JSON.parse(fs.readFileSync(path.join(dir, 'model.json'), 'utf8'));
    expect(json.weightsManifest[0].paths).to.deep.equal(['./weights.bin']);
    expect(json.format).to.equal('layers-model');

    // Independent reader: parse the files by hand and give them to tfjs's in-memory loader.
    const bytes = fs.readFileSync(path.join(dir, 'weights.bin'));
    const fromFiles = await tf.loadLayersModel(
      tf.io.fromMemory({
        modelTopology: json.modelTopology,
        weightSpecs: json.weightsManifest[0].weights,
        weightData: bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength),
      }),
    );
    const viaHandler = await tf.loadLayersModel(fileSystemIO(dir));
    const expected = await (model.predict(x) as tf.Tensor).array();
    expect(await (fromFiles.predict(x) as tf.Tensor).array()).to.deep.equal(expected);
    expect(await (viaHandler.predict(x) as tf.Tensor).array()).to.deep.equal(expected);
    tf.dispose([x, y]);
    model.dispose();
    fromFiles.dispose();
    viaHandler.dispose();
  });

  it('names the file at fault for a missing model.json, truncated weights.bin or corrupt JSON', async () => {
    const model = buildMlp();
    await model.save(fileSystemIO(dir));
    model.dispose();
    const weights = path.join(dir, 'weights.bin');
    fs.truncateSync(weights, 100);
    await expectRejection(tf.loadLayersModel(fileSystemIO(dir)), TrainerFileError, /weights files .* do not have the size model\.json describes/);
    fs.writeFileSync(path.join(dir, 'model.json'), '{"modelTopology": ');
    await expectRejection(tf.loadLayersModel(fileSystemIO(dir)), TrainerFileError, /model\.json .*not valid JSON/);
    fs.rmSync(path.join(dir, 'model.json'));
    await expectRejection(tf.loadLayersModel(fileSystemIO(dir)), TrainerFileError, /model\.json .*does not exist/);
  });

  for (const [name, makeOptimizer] of Object.entries(OPTIMIZERS)) {
    it(`${name}: training continued after save/load gives the same losses as training that never stopped`, async () => {
      const { x, y } = formulaData(64);
      const loss = getLossRegistry().resolveSync('mse');

      const straight = buildMlp();
      const straightOptimizer = makeOptimizer();
      plainTrainer(straight, straightOptimizer, loss);
      const reference = await fitLosses(straight, x, y, 6);

      const first = buildMlp();
      const firstOptimizer = makeOptimizer();
      const savable = plainTrainer(first, firstOptimizer, loss);
      const before = await fitLosses(first, x, y, 3);
      await saveTrainer(savable, dir, { epochsCompleted: 3, seed: 11, history: { loss: before } });
      first.dispose();
      firstOptimizer.dispose();

      const state = await loadTrainerState(dir);
      expect(state.epochsCompleted).to.equal(3);
      expect(state.seed).to.equal(11);
      expect(state.history).to.deep.equal({ loss: before });
      expect(state.optimizer.getClassName()).to.equal(straightOptimizer.getClassName());
      const reloaded = getLossRegistry().resolveSync(state.lossSpecs as never);
      state.model.compile({ optimizer: state.optimizer, loss: reloaded.asTfjsLoss() });
      const after = await fitLosses(state.model, x, y, 6, 3);

      expect([...before, ...after]).to.deep.equal(reference);
      tf.dispose([x, y]);
      straight.dispose();
      straightOptimizer.dispose();
      state.model.dispose();
      state.optimizer.dispose();
    });
  }

  it('keeps tf.memory().numTensors flat through save and load', async () => {
    const { x, y } = formulaData(32);
    const model = buildMlp();
    const optimizer = tf.train.adam(0.01);
    const savable = plainTrainer(model, optimizer, getLossRegistry().resolveSync('mse'));
    await fitLosses(model, x, y, 1);
    const baseline = tf.memory().numTensors;
    await saveTrainer(savable, dir);
    await saveTrainer(savable, dir);
    expect(tf.memory().numTensors, 'after two saves').to.equal(baseline);
    for (let round = 0; round < 2; round++) {
      const state = await loadTrainerState(dir);
      state.model.dispose();
      state.optimizer.dispose();
      expect(tf.memory().numTensors, `after load ${round + 1} and dispose`).to.equal(baseline);
    }
    tf.dispose([x, y]);
    model.dispose();
    optimizer.dispose();
  });

  it('writes losskit.json with canonical names, plugin package, optimizer class and config', async () => {
    const model = buildMlp();
    const optimizer = tf.train.adam(0.02, 0.8, 0.95);
    await saveTrainer(plainTrainer(model, optimizer, getLossRegistry().resolveSync({ name: 'custom-mse' })), dir);
    const manifest = JSON.parse(fs.readFileSync(path.join(dir, 'losskit.json'), 'utf8'));
    expect(manifest.format).to.equal('losskit-trainer');
    expect(manifest.formatVersion).to.equal(3);
    expect(manifest.losses).to.deep.equal({
      name: 'mse',
      options: {},
      reduction: 'sum_over_batch_size',
      package: { name: '@losskit/loss-mse', version: '0.1.0' },
    });
    expect(manifest.optimizer.className).to.equal('Adam');
    expect(manifest.optimizer.config).to.include({ learningRate: 0.02, beta1: 0.8, beta2: 0.95 });
    expect(manifest.lossWeights).to.deep.equal([1]);
    model.dispose();
    optimizer.dispose();
  });

  it('a saved sum spec resolves again on load', async () => {
    const model = buildMlp();
    const optimizer = tf.train.sgd(0.1);
    const loss = getLossRegistry().resolveSync({ sum: [{ name: 'mse', weight: 0.5 }, { name: 'meanAbsoluteError', weight: 2 }] });
    await saveTrainer(plainTrainer(model, optimizer, loss), dir);
    // Core saves no reduction on a sum's terms (only the sum has one), so the file resolves as is.
    const saved = JSON.parse(fs.readFileSync(path.join(dir, 'losskit.json'), 'utf8')) as { losses: { sum: object[]; reduction: string } };
    expect(saved.losses.reduction).to.equal('sum_over_batch_size');
    expect(saved.losses.sum.filter((term) => 'reduction' in term)).to.deep.equal([]);
    const state = await loadTrainerState(dir);
    const again = getLossRegistry().resolveSync(state.lossSpecs as never);
    expect(again.spec).to.deep.equal(loss.spec);
    state.model.dispose();
    model.dispose();
  });

  it('a missing loss plugin is an error naming the package and version to install; nothing on disk changes', async () => {
    registerLossFunction(
      { name: 'acme-focal', description: 'test-only loss', package: { name: '@acme/loss-focal', version: '1.2.0' } },
      (yTrue, yPred) => tf.mean(tf.abs(tf.sub(yTrue, yPred)), -1),
    );
    const model = buildMlp();
    const optimizer = tf.train.adam(0.01);
    try {
      await saveTrainer(plainTrainer(model, optimizer, getLossRegistry().resolveSync('acme-focal')), dir);
    } finally {
      getLossRegistry().unregister('acme-focal');
    }
    const before = snapshotDir(dir);
    const tensors = tf.memory().numTensors;
    const error = await expectRejection(loadTrainerState(dir), MissingLossPluginError, /@acme\/loss-focal@1\.2\.0/);
    expect(error.message).to.include("loss 'acme-focal'");
    expect(error.message).to.include('pnpm add @acme/loss-focal@1.2.0');
    expect(snapshotDir(dir)).to.deep.equal(before);
    expect(tf.memory().numTensors, 'no model was built before the check').to.equal(tensors);
    model.dispose();
    optimizer.dispose();
  });

  it('a failed save leaves the previous save intact and no temp directory behind', async () => {
    const model = buildMlp();
    const adam = tf.train.adam(0.01);
    const loss = getLossRegistry().resolveSync('mse');
    await saveTrainer(plainTrainer(model, adam, loss, 2), dir);
    const before = snapshotDir(dir);
    // Adamax cannot export its state in TF.js: the save fails after the temp directory exists.
    const adamax = tf.train.adamax(0.01);
    await expectRejection(saveTrainer({ ...plainTrainer(model, adamax, loss), epochsCompleted: 5 }, dir), TrainerFileError, /Adamax/);
    expect(snapshotDir(dir)).to.deep.equal(before);
    expect(fs.readdirSync(path.dirname(dir)).filter((e) => e.includes(path.basename(dir)) && e.startsWith('.'))).to.deep.equal([]);
    const state = await loadTrainerState(dir);
    expect(state.epochsCompleted).to.equal(2);
    state.model.dispose();
    model.dispose();
  });

  it('a directory with only a TF.js model, or none at all, gets an error saying what to do', async () => {
    const model = buildMlp();
    await model.save(fileSystemIO(dir));
    model.dispose();
    await expectRejection(loadTrainerState(dir), TrainerFileError, /no losskit\.json.*tf\.loadLayersModel/);
    await expectRejection(loadTrainerState(path.join(dir, 'nope')), TrainerFileError, /losskit\.json .*does not exist/);
  });
});

async function expectRejection<E extends Error>(
  promise: Promise<unknown>,
  type: new (...args: never[]) => E,
  message: RegExp,
): Promise<E> {
  try {
    await promise;
  } catch (error) {
    expect(error).to.be.instanceOf(type);
    expect((error as Error).message).to.match(message);
    return error as E;
  }
  throw new Error(`expected a ${type.name} matching ${message}, but the promise resolved`);
}
