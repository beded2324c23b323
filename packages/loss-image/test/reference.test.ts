import 'reflect-metadata';
import * as tf from '@tensorflow/tfjs';
import { expect } from 'chai';
import { container as rootContainer } from 'tsyringe';
import { getLossRegistry, type ResolvedLoss } from '@losskit/core';
import { FEATURE_EXTRACTOR, layersModelExtractor } from '@losskit/loss-combined';
import '@losskit/loss-image';
import { describeCase, measureCase, readFixture } from '../../loss-ssim/test/reference-cases.js';
import { styleNet, type StyleNetWeights } from './style-net.js';

// Fixtures from kornia, piq and torch formulas (scripts/fixtures/image_losses.py).
const fixture = readFixture(new URL('./fixtures/image-reference.json', import.meta.url)) as ReturnType<typeof readFixture> & {
  styleNet: StyleNetWeights;
};

describe('loss-image against kornia, piq and float64 formulas', () => {
  const resolved = new Map<string, ResolvedLoss>();
  let container: ReturnType<typeof rootContainer.createChildContainer>;
  const resolve = async (loss: string, options: Record<string, unknown>) => {
    const key = JSON.stringify([loss, options]);
    if (!resolved.has(key)) resolved.set(key, await getLossRegistry().resolveAsync({ name: loss, options }, { container }));
    return resolved.get(key)!;
  };

  before(async () => {
    await tf.setBackend('cpu');
    container = rootContainer.createChildContainer();
    container.register(FEATURE_EXTRACTOR, { useValue: layersModelExtractor(styleNet(fixture.styleNet), { inputRange: [0, 1], minSize: 1 }) });
  });
  after(() => resolved.forEach((loss) => loss.dispose()));

  for (const loss of ['total-variation', 'charbonnier', 'style']) {
    it(`${loss}: values within 1e-5 relative and gradients within 1e-4 of the reference`, async () => {
      const cases = fixture.cases.filter((c) => c.loss === loss);
      expect(cases.length).to.be.greaterThan(10);
      for (const c of cases) {
        const errors = measureCase(c, await resolve(c.loss, c.options));
        expect(errors.value, `value of ${describeCase(c)} (${c.reference})`).to.be.at.most(1);
        expect(errors.gradient, `gradient of ${describeCase(c)} (${c.reference})`).to.be.at.most(1);
      }
    });
  }
});
