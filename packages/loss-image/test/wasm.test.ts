import 'reflect-metadata';
import * as tf from '@tensorflow/tfjs';
import { expect } from 'chai';
import { container as rootContainer } from 'tsyringe';
import '@losskit/wasm-training';
import { getLossRegistry, type LossSpec } from '@losskit/core';
import { FEATURE_EXTRACTOR, layersModelExtractor } from '@losskit/loss-combined';
import '@losskit/loss-image';
import '@losskit/loss-ssim';

// Every kernel these losses use must train on the embedded default (wasm with
// @losskit/wasm-training): the gradient w.r.t. y_pred (the backward pass of every op of the
// loss: depthwise convolutions, pooling, pads, batched matmuls) on wasm equals cpu's.
const SPECS: LossSpec[] = [
  'ssim',
  { name: 'ssim', options: { shortSides: 'skip-blur', filterSize: 7 } },
  { name: 'ms-ssim', options: { weights: [0.3, 0.7] } },
  { name: 'ms-ssim-l1', options: { weights: [0.1356, 0.8644] } },
  'total-variation',
  { name: 'total-variation', options: { norm: 'l2', spatial: 'mean' } },
  'charbonnier',
  'style',
];

function gradientOn(backend: string, spec: LossSpec, container: ReturnType<typeof rootContainer.createChildContainer>) {
  return async () => {
    await tf.setBackend(backend);
    const loss = await getLossRegistry().resolveAsync(spec, { container });
    try {
      return tf.tidy(() => {
        const yTrue = tf.randomUniform([2, 27, 29, 1], 0, 1, 'float32', 3);
        // correlated with y_true, so MS-SSIM's contrast terms are positive (relu keeps a gradient)
        const yPred = tf.clipByValue(tf.add(yTrue, tf.randomNormal([2, 27, 29, 1], 0, 0.2, 'float32', 4)), 0, 1);
        const value = loss.compute(yTrue, yPred).dataSync()[0]!;
        const gradient = tf.grad((p: tf.Tensor) => loss.compute(yTrue, p))(yPred).dataSync();
        return { value, gradient: Float32Array.from(gradient) };
      });
    } finally {
      loss.dispose();
    }
  };
}

describe('image losses train on wasm (@losskit/wasm-training): gradients equal cpu', () => {
  let container: ReturnType<typeof rootContainer.createChildContainer>;
  before(async () => {
    await tf.setBackend('cpu');
    const input = tf.input({ shape: [null, null, 3] });
    const a = tf.layers.conv2d({ name: 'block_1_expand_relu', filters: 4, kernelSize: 3, padding: 'same', activation: 'relu', kernelInitializer: tf.initializers.glorotUniform({ seed: 1 }) }).apply(input) as tf.SymbolicTensor;
    const b = tf.layers.conv2d({ name: 'block_3_expand_relu', filters: 6, kernelSize: 3, strides: 2, padding: 'same', activation: 'relu', kernelInitializer: tf.initializers.glorotUniform({ seed: 2 }) }).apply(a) as tf.SymbolicTensor;
    container = rootContainer.createChildContainer();
    container.register(FEATURE_EXTRACTOR, { useValue: layersModelExtractor(tf.model({ inputs: input, outputs: b }), { inputRange: [0, 1], minSize: 1 }) });
  });
  after(async () => {
    await tf.setBackend('cpu');
  });

  for (const spec of SPECS) {
    it(`${JSON.stringify(spec)}`, async () => {
      const cpu = await gradientOn('cpu', spec, container)();
      const wasm = await gradientOn('wasm', spec, container)();
      expect(wasm.value).to.be.closeTo(cpu.value, 1e-5 * Math.abs(cpu.value) + 1e-7);
      const scale = Math.max(...Array.from(cpu.gradient, Math.abs));
      expect(scale).to.be.greaterThan(0);
      let worst = 0;
      cpu.gradient.forEach((g, i) => (worst = Math.max(worst, Math.abs(g - wasm.gradient[i]!))));
      expect(worst / scale, 'largest gradient difference, relative to the largest gradient').to.be.below(1e-4);
    });
  }
});

describe('image losses on an empty batch: no per-image values, a reduced 0, on cpu and wasm', () => {
  let container: ReturnType<typeof rootContainer.createChildContainer>;
  before(async () => {
    await tf.setBackend('cpu');
    const input = tf.input({ shape: [null, null, 3] });
    const features = tf.layers.conv2d({ name: 'block_1_expand_relu', filters: 2, kernelSize: 3, padding: 'same', kernelInitializer: tf.initializers.glorotUniform({ seed: 1 }) }).apply(input) as tf.SymbolicTensor;
    const more = tf.layers.conv2d({ name: 'block_3_expand_relu', filters: 2, kernelSize: 3, padding: 'same', kernelInitializer: tf.initializers.glorotUniform({ seed: 2 }) }).apply(features) as tf.SymbolicTensor;
    container = rootContainer.createChildContainer();
    container.register(FEATURE_EXTRACTOR, { useValue: layersModelExtractor(tf.model({ inputs: input, outputs: more }), { inputRange: [0, 1], minSize: 1 }) });
  });
  after(async () => {
    await tf.setBackend('cpu');
  });

  for (const backend of ['cpu', 'wasm']) {
    for (const spec of [...SPECS, 'combined']) {
      it(`${backend}: ${JSON.stringify(spec)}`, async () => {
        await tf.setBackend(backend);
        const loss = await getLossRegistry().resolveAsync(spec, { container });
        const empty = tf.zeros([0, 32, 32, 3]);
        const before = tf.memory().numTensors;
        try {
          const perImage = loss.perSample(empty, empty);
          const reduced = loss.reduced(empty, empty);
          expect(perImage.shape).to.deep.equal([0]);
          expect(reduced.dataSync()[0]).to.equal(0);
          tf.dispose([perImage, reduced]);
          expect(tf.memory().numTensors).to.equal(before);
        } finally {
          empty.dispose();
          loss.dispose();
        }
      });
    }
  }
});
