import * as tf from '@tensorflow/tfjs';
import { expect } from 'chai';
import { getLossRegistry, InvalidOptionsError, ShapeMismatchError, type LossSpec } from '@losskit/core';
import { featureDistance, layersModelExtractor, type FeatureExtractor } from '@losskit/loss-combined';
import { containerWith, expectClose, featureDistanceJs, featuresOf, l1PerSample, tinyExtractor, tinyExtractorModel } from './helpers.js';

const registry = getLossRegistry();

describe('combined loss: values', () => {
  // Built in before(), on cpu: a describe body runs when the file loads, before any hook, on
  // whatever backend is then the default (possibly one that is registered but not initialised).
  let model: tf.LayersModel;
  let extractor: FeatureExtractor;
  let yTrue: tf.Tensor;
  let yPred: tf.Tensor;
  before(async () => {
    await tf.setBackend('cpu');
    model = tinyExtractorModel(3);
    extractor = tinyExtractor(model);
    yTrue = tf.randomUniform([3, 8, 8, 3], 0, 1, 'float32', 1);
    yPred = tf.randomUniform([3, 8, 8, 3], 0, 1, 'float32', 2);
  });
  const resolve = (options: Record<string, unknown>) =>
    registry.resolveSync({ name: 'combined', options: { layers: [{ name: 'conv_b' }], ...options } }, { container: containerWith(extractor) });

  it('is registered under its name and alias', () => {
    expect(registry.get('l1-perceptual').name).to.equal('combined');
    expect(registry.describe('combined').defaults).to.include({ alpha: 0.5, normalization: 'none' });
  });

  it('alpha = 1 equals the pixel L1 computed independently', () => {
    const values = resolve({ alpha: 1 }).perSample(yTrue, yPred);
    expectClose(values.dataSync(), l1PerSample(yTrue, yPred), 1e-6, 'L1');
  });

  it('alpha = 0 equals the weighted feature term over several layers', () => {
    const layers = [{ name: 'conv_a', weight: 0.25 }, { name: 'conv_b', weight: 2 }];
    const values = resolve({ alpha: 0, layers }).perSample(yTrue, yPred).dataSync();
    const expected = [0, 1, 2].map(() => 0);
    for (const { name, weight } of layers) {
      const distances = featureDistanceJs(featuresOf(model, name, yTrue), featuresOf(model, name, yPred), 'none');
      distances.forEach((d, n) => (expected[n]! += weight * d));
    }
    expectClose(values, expected, 1e-5, 'feature term');
  });

  it('a mixed alpha is the convex combination of the two terms', () => {
    const l1 = l1PerSample(yTrue, yPred);
    const feature = featureDistanceJs(featuresOf(model, 'conv_b', yTrue), featuresOf(model, 'conv_b', yPred), 'lpips');
    const values = resolve({ alpha: 0.3, normalization: 'lpips' }).perSample(yTrue, yPred).dataSync();
    expectClose(values, l1.map((v, n) => 0.3 * v + 0.7 * feature[n]!), 1e-5, 'combined');
  });

  it('lpips normalisation matches a hand computation', () => {
    // One image, 1x2 positions, 2 channels.
    // Position 1: [3, 4] -> [0.6, 0.8] vs [0, 2] -> [0, 1]: squared differences 0.36 + 0.04 = 0.4.
    // Position 2: [1, 0] vs [5, 0]: both normalise to [1, 0]: 0.
    // Averaged over the two positions: 0.2.
    const ft = tf.tensor4d([3, 4, 1, 0], [1, 1, 2, 2]);
    const fp = tf.tensor4d([0, 2, 5, 0], [1, 1, 2, 2]);
    expectClose(featureDistance(ft, fp, 'lpips').dataSync(), [0.2], 1e-6, 'lpips');
    // 'none' on the same features: mean of (9 + 4 + 16 + 0) / 4.
    expectClose(featureDistance(ft, fp, 'none').dataSync(), [29 / 4], 1e-6, 'mse');
  });

  it('lpips with the plugin matches the JS reference on the tiny network', () => {
    const values = resolve({ alpha: 0, normalization: 'lpips' }).perSample(yTrue, yPred).dataSync();
    const expected = featureDistanceJs(featuresOf(model, 'conv_b', yTrue), featuresOf(model, 'conv_b', yPred), 'lpips');
    expectClose(values, expected, 1e-5, 'lpips');
  });

  it('maps the value range and repeats grayscale to RGB before extraction', () => {
    const gray = tf.randomUniform([2, 6, 6, 1], -1, 1, 'float32', 3);
    const grayPred = tf.randomUniform([2, 6, 6, 1], -1, 1, 'float32', 4);
    const values = resolve({ alpha: 0, input: { range: [-1, 1], resize: true } }).perSample(gray, grayPred).dataSync();
    const toRgb01 = (x: tf.Tensor) => tf.tile(tf.div(tf.add(x, 1), 2), [1, 1, 1, 3]);
    const expected = featureDistanceJs(featuresOf(model, 'conv_b', toRgb01(gray)), featuresOf(model, 'conv_b', toRgb01(grayPred)), 'none');
    expectClose(values, expected, 1e-5, 'grayscale');
  });

  it('upsamples images smaller than the extractor minimum, or refuses them when resize is off', () => {
    const small = tinyExtractorModel(3, 11);
    const needs16 = (resize: boolean) =>
      registry.resolveSync(
        { name: 'combined', options: { alpha: 0, layers: [{ name: 'conv_a' }], input: { range: [0, 1], resize } } },
        { container: containerWith(layersModelExtractor(small, { inputRange: [0, 1], minSize: 16 })) },
      );
    const values = needs16(true).perSample(yTrue, yPred).dataSync();
    const up = (x: tf.Tensor4D) => tf.image.resizeBilinear(x, [16, 16]);
    const expected = featureDistanceJs(featuresOf(small, 'conv_a', up(yTrue as tf.Tensor4D)), featuresOf(small, 'conv_a', up(yPred as tf.Tensor4D)), 'none');
    expectClose(values, expected, 1e-5, 'resized');
    expect(() => needs16(false).perSample(yTrue, yPred)).to.throw(ShapeMismatchError, /8x8.*minimum 16x16.*input\.resize/);
  });

  it('gradients with respect to y_pred match finite differences', () => {
    for (const normalization of ['none', 'lpips'] as const) {
      const loss = resolve({ alpha: 0.4, normalization, layers: [{ name: 'conv_a', weight: 0.5 }, { name: 'conv_b', weight: 1 }] });
      const t = tf.randomUniform([2, 5, 5, 3], 0, 1, 'float32', 5);
      // Keep |y_true - y_pred| well away from 0, where L1 has its kink.
      const p = tf.add(t, tf.mul(tf.sign(tf.randomUniform([2, 5, 5, 3], -1, 1, 'float32', 6)), tf.randomUniform([2, 5, 5, 3], 0.1, 0.3, 'float32', 7)));
      const analytic = tf.grad((pred: tf.Tensor) => loss.compute(t, pred))(p).dataSync();
      const base = p.dataSync();
      const eps = 1e-2;
      const lossAt = (values: Float32Array) => loss.compute(t, tf.tensor(values, p.shape)).dataSync()[0]!;
      for (const index of [0, 7, 31, 74, 101, 149]) {
        const plus = Float32Array.from(base); plus[index]! += eps;
        const minus = Float32Array.from(base); minus[index]! -= eps;
        const numeric = (lossAt(plus) - lossAt(minus)) / (2 * eps);
        expect(Math.abs(analytic[index]! - numeric), `${normalization} d/dy_pred[${index}]: ${analytic[index]} vs ${numeric}`).to.be.below(
          2e-4 + 0.03 * Math.abs(numeric),
        );
      }
    }
  });

  it('gives y_true a zero gradient (its features are constants)', () => {
    const loss = resolve({ alpha: 0 });
    const gradTrue = tf.grad((t: tf.Tensor) => loss.compute(t, yPred))(yTrue);
    expect(tf.max(tf.abs(gradTrue)).dataSync()[0]).to.equal(0);
  });

  it('options round-trip through a saved spec', () => {
    const first = resolve({ alpha: 0.2, normalization: 'lpips', layers: [{ name: 'conv_a', weight: 3 }, { name: 'conv_b' }], input: { range: [-1, 1], resize: false } });
    const saved = JSON.parse(JSON.stringify(first.spec)) as LossSpec;
    const second = registry.resolveSync(saved, { container: containerWith(extractor) });
    expect(second.spec).to.deep.equal(first.spec);
    expect((second.spec as { options: Record<string, unknown> }).options).to.deep.include({ alpha: 0.2, normalization: 'lpips' });
    expectClose(second.perSample(yTrue, yPred).dataSync(), first.perSample(yTrue, yPred).dataSync(), 0, 'reloaded');
  });
});

describe('combined loss: bad input', () => {
  let extractor: FeatureExtractor;
  before(async () => {
    await tf.setBackend('cpu');
    extractor = tinyExtractor(tinyExtractorModel(3, 21));
  });
  const resolve = (options: Record<string, unknown>) =>
    registry.resolveSync({ name: 'combined', options: { layers: [{ name: 'conv_b' }], ...options } }, { container: containerWith(extractor) });

  it('alpha outside [0, 1]', () => {
    for (const alpha of [-0.1, 1.5]) {
      expect(() => resolve({ alpha })).to.throw(InvalidOptionsError, /option 'alpha': Too (small|big)/);
    }
  });

  it('a layer the extractor does not have, listing the ones it has', () => {
    expect(() => resolve({ layers: [{ name: 'conv_a' }, { name: 'relu2_2' }] })).to.throw(
      InvalidOptionsError,
      /option 'layers\.1\.name': the feature extractor \(layers model 'tiny_extractor'\) has no layer 'relu2_2'; its layers are: conv_a, conv_b/,
    );
  });

  it('a misspelt key of a layer (it would have fallen back to weight 1)', () => {
    expect(() => resolve({ layers: [{ name: 'conv_b', wieght: 5 }] })).to.throw(
      InvalidOptionsError,
      /option 'layers\.0\.wieght': unknown key in layers\.0; its keys are name, weight; did you mean 'weight'\? \(got 5\)/,
    );
  });

  it('images not of rank 4', () => {
    const loss = resolve({});
    expect(() => loss.compute(tf.zeros([2, 784]), tf.zeros([2, 784]))).to.throw(ShapeMismatchError, /rank 4 \[batch, height, width, channels\], got shape \[2,784\]/);
  });

  it('a channel count the extractor cannot take', () => {
    const loss = resolve({});
    expect(() => loss.compute(tf.zeros([2, 8, 8, 2]), tf.zeros([2, 8, 8, 2]))).to.throw(ShapeMismatchError, /2 channels.*takes 3 \(or 1/);
  });
});
