import * as tf from '@tensorflow/tfjs';
import { expect } from 'chai';
import { getLossRegistry, ShapeMismatchError } from '@losskit/core';
import '@losskit/loss-ssim';
import { reluPow } from '@losskit/loss-ssim';

const SMALL = { weights: [0.1356, 0.8644] };

describe('loss-ssim: finite values and gradients where SSIM implementations give NaN', () => {
  before(async () => {
    await tf.setBackend('cpu');
  });

  const specs = [
    { name: 'ssim' },
    { name: 'ssim', options: { maxVal: 255 } },
    { name: 'ms-ssim', options: SMALL },
    { name: 'ms-ssim-l1', options: SMALL },
  ];
  const fills: [string, number, number][] = [
    ['all zero', 0, 0],
    ['constant, identical', 0.5, 0.5],
    ['constant, different', 0.2, 0.9],
    ['extremes 0 vs max', 0, 1],
    ['extremes max vs 0', 1, 0],
  ];

  for (const spec of specs) {
    it(`${JSON.stringify(spec)}: finite on constant, all-zero, identical and extreme images`, () => {
      const loss = getLossRegistry().resolveSync(spec);
      const scale = (spec.options as { maxVal?: number } | undefined)?.maxVal ?? 1;
      tf.tidy(() => {
        const cases: [string, tf.Tensor, tf.Tensor][] = fills.map(([label, a, b]) => [
          label,
          tf.fill([2, 28, 28, 1], a * scale),
          tf.fill([2, 28, 28, 1], b * scale),
        ]);
        const random = tf.mul(tf.randomUniform([2, 28, 28, 1], 0, 1, 'float32', 5), scale);
        cases.push(['identical random', random, random.clone()]);
        // A negative contrast term: an image against its inverse (relu(cs) = 0 at some scale).
        cases.push(['image against its inverse', random, tf.sub(scale, random)]);
        for (const [label, yTrue, yPred] of cases) {
          const values = loss.perSample(yTrue, yPred).dataSync();
          const gradient = tf.grad((p: tf.Tensor) => tf.sum(loss.perSample(yTrue, p)))(yPred).dataSync();
          expect(Array.from(values).every(Number.isFinite), `${label}: values ${values}`).to.equal(true);
          expect(gradient.every(Number.isFinite), `${label}: gradient`).to.equal(true);
          if (label.includes('identical')) expect(Math.max(...Array.from(values, Math.abs))).to.be.below(1e-6);
        }
      });
      loss.dispose();
    });
  }

  it('reluPow: relu(x) ** w with gradient 0 where x <= 0 (tf.pow gives NaN there) and the exact derivative elsewhere', () => {
    tf.tidy(() => {
      const x = tf.tensor1d([-0.5, 0, 1e-30, 0.25, 1]);
      const values = Array.from(reluPow(x, 0.3).dataSync());
      [0, 0, 1e-30 ** 0.3, 0.25 ** 0.3, 1].forEach((v, i) => expect(values[i]).to.be.closeTo(v, 1e-6));
      const gradient = Array.from(tf.grad((t: tf.Tensor) => tf.sum(reluPow(t, 0.3)))(x).dataSync());
      expect(gradient.slice(0, 2)).to.deep.equal([0, 0]);
      expect(Number.isFinite(gradient[2]!)).to.equal(true);
      expect(gradient[3]).to.be.closeTo(0.3 * 0.25 ** -0.7, 1e-5);
      const naive = tf.grad((t: tf.Tensor) => tf.sum(tf.pow(tf.relu(t), 0.3)))(x).dataSync();
      expect(Number.isNaN(naive[1]!)).to.equal(true); // what the naive form gives at 0
    });
  });

  it('refuses images too small for the scales, naming the minimum size and how many scales fit', () => {
    const loss = getLossRegistry().resolveSync('ms-ssim');
    const images = tf.zeros([1, 28, 28, 1]);
    expect(() => loss.perSample(images, images)).to.throw(ShapeMismatchError, /28x28, but 5 scales with the 11x11 window need at least 161x161.*pass 2 weights/);
    expect(() => getLossRegistry().resolveSync('ssim').perSample(tf.zeros([1, 8, 28, 1]), tf.zeros([1, 8, 28, 1]))).to.throw(ShapeMismatchError, /at least 11x11.*shortSides: 'skip-blur'/);
    expect(() => getLossRegistry().resolveSync('ssim').perSample(tf.zeros([1, 28, 1]), tf.zeros([1, 28, 1]))).to.throw(ShapeMismatchError, /rank 4/);
    images.dispose();
    loss.dispose();
  });
});
