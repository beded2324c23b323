// tsyringe (imported below, before @losskit/core) needs the reflect polyfill loaded first.
import 'reflect-metadata';
import { writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { expect } from 'chai';
import { container as rootContainer } from 'tsyringe';
import { getLossRegistry, LossNotPreparedError } from '@losskit/core';
import { BackendUnavailableError, selectBackend } from '@losskit/trainer';
import {
  allowExtractorModels,
  FEATURE_EXTRACTOR,
  FeatureExtractorLoadError,
  loadMobileNetV2,
  type FeatureExtractor,
} from '@losskit/loss-combined';
import { containerWith, expectClose, saveToTempDir, tinyExtractor, tinyExtractorModel } from './helpers.js';

const registry = getLossRegistry();

describe('combined loss: feature extractors', () => {
  before(async () => {
    await tf.setBackend('cpu');
    // These tests name their own temp files in specs; the application allows them (see model-allow-list).
    allowExtractorModels(tmpdir(), '/nonexistent/losskit/model.json');
  });

  it('loads a layers model from a path and gives the same values as the instance', async () => {
    const model = tinyExtractorModel(3, 31);
    const path = await saveToTempDir(model);
    const options = { alpha: 0, layers: [{ name: 'conv_a' }, { name: 'conv_b' }], extractor: { model: path } };
    const fromPath = await registry.resolve({ name: 'combined', options });
    const fromInstance = registry.resolveSync({ name: 'combined', options }, { container: containerWith(tinyExtractor(model)) });
    const t = tf.randomUniform([2, 6, 6, 3], 0, 1, 'float32', 1);
    const p = tf.randomUniform([2, 6, 6, 3], 0, 1, 'float32', 2);
    expectClose(fromPath.perSample(t, p).dataSync(), fromInstance.perSample(t, p).dataSync(), 1e-6, 'path vs instance');
  });

  it('a missing model file', async () => {
    const options = { layers: [{ name: 'conv_a' }], extractor: { model: '/nonexistent/losskit/model.json' } };
    const error = await registry.resolve({ name: 'combined', options }).catch((e: unknown) => e);
    expect(error).to.be.instanceOf(FeatureExtractorLoadError);
    expect((error as Error).message).to.match(/model file '\/nonexistent\/losskit\/model\.json': no such file/);
  });

  it('a corrupt model.json, and weights that do not match the topology', async () => {
    const path = await saveToTempDir(tinyExtractorModel(3, 41));
    await writeFile(path, '{"modelTopology": {"class_name": "Model", ');
    const options = { layers: [{ name: 'conv_a' }], extractor: { model: path } };
    const notJson = await registry.resolve({ name: 'combined', options }).catch((e: unknown) => e);
    expect(notJson).to.be.instanceOf(FeatureExtractorLoadError);
    expect((notJson as Error).message).to.match(/is not valid JSON/);

    const path2 = await saveToTempDir(tinyExtractorModel(3, 42));
    await writeFile(join(dirname(path2), 'weights.bin'), Buffer.alloc(12));
    const options2 = { layers: [{ name: 'conv_a' }], extractor: { model: path2 } };
    const truncated = await registry.resolve({ name: 'combined', options: options2 }).catch((e: unknown) => e);
    expect(truncated).to.be.instanceOf(FeatureExtractorLoadError);
    expect((truncated as Error).message).to.match(/Could not load the feature extractor model from/);
  });

  it('uses a provider the application registered instead of the default', async () => {
    const mine = tinyExtractor(tinyExtractorModel(1, 51));
    const container = rootContainer.createChildContainer();
    let built = 0;
    container.register(FEATURE_EXTRACTOR, { useFactory: () => (built++, mine) });
    // extractor.model names a file that does not exist: the default provider must not run.
    const loss = await registry.resolve(
      { name: 'combined', options: { layers: [{ name: 'conv_b' }], extractor: { model: '/nonexistent/model.json' } } },
      { container },
    );
    expect(built).to.equal(1);
    expect(loss.perSample(tf.ones([1, 4, 4, 1]), tf.zeros([1, 4, 4, 1])).shape).to.deep.equal([1]);
  });

  it('resolveSync refuses a loss whose extractor still has to load, and says to await resolve', async () => {
    const path = await saveToTempDir(tinyExtractorModel(3, 61));
    const spec = { name: 'combined', options: { layers: [{ name: 'conv_a' }], extractor: { model: path } } };
    expect(() => registry.resolveSync(spec)).to.throw(LossNotPreparedError, /await registry\.resolve\(spec\)/);
    const loss = await registry.resolve(spec);
    expect(loss.reduced(tf.zeros([1, 4, 4, 3]), tf.zeros([1, 4, 4, 3])).dataSync()[0]).to.equal(0);
  });

  it('the default MobileNetV2 loads offline once, runs on MNIST-sized grayscale and is shared', async () => {
    const before = tf.memory().numTensors;
    const first = await registry.resolve('combined');
    const afterFirst = tf.memory().numTensors;
    const second = await registry.resolve({ name: 'l1-perceptual', options: { alpha: 0.9 } });
    expect(tf.memory().numTensors, 'second resolution loads no weights').to.equal(afterFirst);
    expect(afterFirst - before).to.be.greaterThan(0);
    const t = tf.randomUniform([2, 28, 28, 1], 0, 1, 'float32', 3);
    const p = tf.randomUniform([2, 28, 28, 1], 0, 1, 'float32', 4);
    const a = first.perSample(t, p).dataSync();
    const b = second.perSample(t, p).dataSync();
    expect([...a, ...b].every(Number.isFinite)).to.equal(true);
    expect(first.perSample(t, t).dataSync()[0]).to.equal(0);
  });

  it('MobileNetV2 is frozen, in inference mode, and cut early', async () => {
    const extractor = await loadMobileNetV2();
    expect(extractor.model.trainableWeights).to.have.length(0);
    expect(extractor.layerNames).to.include('block_3_expand_relu');
    expect(extractor.layerNames).to.not.include('block_6_expand');
    // Inference-mode BatchNorm does not depend on the rest of the batch.
    const one = tf.randomUniform([1, 32, 32, 3], 0, 1, 'float32', 8) as tf.Tensor4D;
    const alone = extractor.extract(one, ['block_1_expand_relu'])[0]!;
    const inBatch = extractor.extract(tf.concat([one, tf.zeros([1, 32, 32, 3])]) as tf.Tensor4D, ['block_1_expand_relu'])[0]!.slice(0, 1);
    expectClose(inBatch.dataSync(), alone.dataSync(), 1e-5, 'batch independence');
  });
});

describe('combined loss: training', () => {
  before(async () => {
    await tf.setBackend('cpu');
  });

  function autoencoder(): tf.LayersModel {
    const model = tf.sequential();
    model.add(tf.layers.conv2d({ inputShape: [8, 8, 1], filters: 4, kernelSize: 3, padding: 'same', activation: 'relu', kernelInitializer: tf.initializers.glorotUniform({ seed: 1 }) }));
    model.add(tf.layers.conv2d({ filters: 1, kernelSize: 3, padding: 'same', activation: 'sigmoid', kernelInitializer: tf.initializers.glorotUniform({ seed: 2 }) }));
    return model;
  }

  /** Every variable the engine knows, trainable or not, by name. */
  const registeredVariables = () => tf.engine().registeredVariables as Record<string, tf.Variable>;

  it('training through the plugin moves the model but never the extractor, even when every variable is in reach', async () => {
    const extractorModel = tinyExtractorModel(3, 71);
    const extractor: FeatureExtractor = tinyExtractor(extractorModel);
    const extractorVariables = extractorModel.weights.map((w) => registeredVariables()[w.name]!);
    expect(extractorVariables, 'the extractor weights are engine variables').to.have.length(4);
    extractorVariables.forEach((v) => expect(v).to.be.instanceOf(tf.Variable));
    const before = extractorVariables.map((v) => v.dataSync().slice());
    const loss = registry.resolveSync({ name: 'combined', options: { layers: [{ name: 'conv_a' }, { name: 'conv_b' }] } }, { container: containerWith(extractor) });
    const model = autoencoder();
    const modelBefore = model.getWeights().map((w) => w.dataSync().slice());
    const x = tf.randomUniform([16, 8, 8, 1], 0, 1, 'float32', 9);

    // 1. Keras-style fit with the plugin as the loss.
    model.compile({ optimizer: tf.train.adam(0.05), loss: loss.asTfjsLoss() });
    await model.fit(x, x, { epochs: 2, batchSize: 8, verbose: 0 });
    // 2. An optimiser given no variable list: it updates every trainable variable the loss
    //    reaches -- the extractor's kernels would be among them if they were trainable, since
    //    the features of y_pred are computed from them with gradients flowing.
    const optimizer = tf.train.sgd(0.5);
    for (let i = 0; i < 5; i++) {
      optimizer.minimize(() => loss.compute(x, model.apply(x) as tf.Tensor) as tf.Scalar)?.dispose();
    }

    extractorVariables.forEach((v, i) =>
      expect(Array.from(v.dataSync()), `extractor variable ${v.name}`).to.deep.equal(Array.from(before[i]!)),
    );
    expect(extractorVariables.map((v) => v.trainable), 'the extractor variables are frozen').to.deep.equal([false, false, false, false]);
    const changed = model.getWeights().some((w, i) => w.dataSync().some((v, j) => v !== modelBefore[i]![j]));
    expect(changed, 'the trained model moved').to.equal(true);
    x.dispose();
  });

  // Runs `steps` training steps and records the tensor count and the backend's data count
  // after each; both must stay flat. The first step is excluded: it creates the optimiser state.
  function countsOverSteps(steps: number, seed: number): { tensors: number[]; dataIds: number[] } {
    const extractor = tinyExtractor(tinyExtractorModel(3, seed));
    const loss = registry.resolveSync({ name: 'combined', options: { normalization: 'lpips', layers: [{ name: 'conv_a' }, { name: 'conv_b' }] } }, { container: containerWith(extractor) });
    const model = autoencoder();
    const optimizer = tf.train.adam(0.01);
    const x = tf.randomUniform([4, 8, 8, 1], 0, 1, 'float32', 10);
    const step = () => optimizer.minimize(() => loss.compute(x, model.apply(x) as tf.Tensor) as tf.Scalar, true)?.dispose();
    step();
    const tensors: number[] = [];
    const dataIds: number[] = [];
    for (let i = 0; i < steps; i++) {
      step();
      tensors.push(tf.memory().numTensors);
      dataIds.push(tf.engine().backend.numDataIds());
    }
    x.dispose();
    optimizer.dispose();
    model.dispose();
    return { tensors, dataIds };
  }

  it('holds no tensors across 25 training steps on cpu (tensor and cpu data counts flat)', async () => {
    await tf.setBackend('cpu');
    const { tensors, dataIds } = countsOverSteps(25, 81);
    expect(tensors, 'tf.memory().numTensors after each step').to.deep.equal(tensors.map(() => tensors[0]));
    expect(dataIds, 'cpu numDataIds after each step').to.deep.equal(dataIds.map(() => dataIds[0]));
  });

  it('holds no tensors across 25 training steps on wasm (tensor and wasm data counts flat)', async function () {
    try {
      // The trainer imports tfjs-backend-wasm and the wasm training kernels (conv gradients).
      await selectBackend('wasm', { env: {}, logger: () => {} });
    } catch (error) {
      if (error instanceof BackendUnavailableError) this.skip();
      throw error;
    }
    try {
      expect(tf.getBackend()).to.equal('wasm');
      const { tensors, dataIds } = countsOverSteps(25, 82);
      expect(tensors, 'tf.memory().numTensors after each step').to.deep.equal(tensors.map(() => tensors[0]));
      expect(dataIds, 'wasm numDataIds after each step').to.deep.equal(dataIds.map(() => dataIds[0]));
    } finally {
      await tf.setBackend('cpu');
    }
  });
});
