import * as tf from '@tensorflow/tfjs';
import { expect } from 'chai';
import { getLossRegistry, type ResolvedLoss } from '@losskit/core';
import '@losskit/loss-ssim';
import { makeImages as makeImagesFor } from './fixture-images.js';
import { describeCase, measureCase, readFixture } from './reference-cases.js';

// Fixtures from pytorch_msssim and keras.ops.image.ssim (scripts/fixtures/image_losses.py).
const fixture = readFixture(new URL('./fixtures/ssim-reference.json', import.meta.url));

describe('loss-ssim against pytorch_msssim and Keras 3 (float64 references)', () => {
  const resolved = new Map<string, ResolvedLoss>();
  const resolve = (loss: string, options: Record<string, unknown>) => {
    const key = JSON.stringify([loss, options]);
    if (!resolved.has(key)) resolved.set(key, getLossRegistry().resolveSync({ name: loss, options }));
    return resolved.get(key)!;
  };

  before(async () => {
    await tf.setBackend('cpu');
  });
  after(() => resolved.forEach((loss) => loss.dispose()));

  for (const loss of ['ssim', 'ms-ssim', 'ms-ssim-l1']) {
    const cases = fixture.cases.filter((c) => c.loss === loss);
    it(`${loss}: ${cases.length} cases, values within 1e-5 relative and gradients within 1e-4`, () => {
      expect(cases.length).to.be.greaterThan(10);
      for (const c of cases) {
        const errors = measureCase(c, resolve(c.loss, c.options));
        expect(errors.value, `value of ${describeCase(c)} (${c.reference})`).to.be.at.most(1);
        expect(errors.gradient, `gradient of ${describeCase(c)} (${c.reference})`).to.be.at.most(1);
      }
    });
  }

  it('agrees with keras.ops.image.ssim itself within 3e-5 (Keras builds its window at float32 precision)', () => {
    const cases = fixture.cases.filter((c) => 'keras' in c);
    expect(cases.length).to.be.greaterThan(10);
    for (const c of cases) {
      const keras = (c as unknown as { keras: number[] }).keras;
      tf.tidy(() => {
        const perSample = resolve(c.loss, c.options).perSample(
          ...([c.yTrue, c.yPred].map((spec) => makeImagesFor(spec, c.shape)) as [tf.Tensor, tf.Tensor]),
        );
        // the fixture holds the SSIM Keras computed; the loss is 1 - SSIM
        Array.from(perSample.dataSync()).forEach((v, i) => expect(v).to.be.closeTo(1 - keras[i]!, 3e-5 * Math.abs(1 - keras[i]!) + 1e-6));
      });
    }
  });
});
