import { readFileSync } from 'node:fs';
import * as tf from '@tensorflow/tfjs';
import { expect } from 'chai';
import { getLossRegistry } from '@losskit/core';
import { PACKAGE } from 'losskit-loss-huber';
import { describeLossPlugin, meanOverLastAxis } from '@losskit/testkit';

/** Huber of one error, written from the definition (not from the plugin's min/split form). */
function huberOf(error: number, delta: number): number {
  return Math.abs(error) <= delta ? 0.5 * error * error : delta * (Math.abs(error) - 0.5 * delta);
}

describe('losskit-loss-huber', () => {
  before(async () => {
    await tf.setBackend('cpu');
  });

  describeLossPlugin({
    name: 'huber',
    aliases: ['smooth-l1'],
    defaults: { delta: 1 },
    validOptions: [{ delta: 0.5 }, { delta: 3 }],
    invalidOptions: [{ delta: 0 }, { delta: -1 }, { delta: 'one' }, { delta: null }],
    inputs: [[4, 3], [2, 5], [3, 2, 4]],
    // errors up to 4 reach both branches for every delta above
    valueRange: { yTrue: [-2, 2], yPred: [-2, 2] },
    reference: meanOverLastAxis((t, p, options) => huberOf(p - t, options.delta as number)),
  });

  describe('math, against values worked by hand', () => {
    it('is quadratic up to delta and linear beyond (delta = 1)', () => {
      // errors 0.5, 2, -3: 0.5*0.25 = 0.125; 1*(2 - 0.5) = 1.5; 1*(3 - 0.5) = 2.5; mean 4.125/3 = 1.375
      // errors 0, 1, -1:   0; 0.5; 0.5; mean 1/3
      const resolved = getLossRegistry().resolveSync('huber');
      const yTrue = tf.tensor2d([[0, 0, 0], [2, 2, 2]]);
      const yPred = tf.tensor2d([[0.5, 2, -3], [2, 3, 1]]);
      const values = Array.from(resolved.perSample(yTrue, yPred).dataSync());
      expect(values[0]).to.be.closeTo(1.375, 1e-6);
      expect(values[1]).to.be.closeTo(1 / 3, 1e-6);
      tf.dispose([yTrue, yPred]);
    });

    it('moves the switch to delta (delta = 2, via the alias)', () => {
      // errors 1, 3: 0.5*1 = 0.5; 2*(3 - 1) = 4; mean 2.25
      const resolved = getLossRegistry().resolveSync({ name: 'smooth-l1', options: { delta: 2 } });
      expect(resolved.spec).to.deep.include({ name: 'huber', options: { delta: 2 } });
      const value = resolved.perSample(tf.tensor2d([[0, 0]]), tf.tensor2d([[1, -3]])).dataSync()[0];
      expect(value).to.be.closeTo(2.25, 1e-6);
    });

    it('has gradient e inside delta and delta * sign(e) outside (per element, divided by the axis length)', () => {
      const yTrue = tf.tensor2d([[0, 0, 0, 0]]);
      const yPred = tf.tensor2d([[0.25, -0.5, 3, -7]]);
      const gradient = tf.grad((p: tf.Tensor) => tf.sum(getLossRegistry().resolveSync('huber').perSample(yTrue, p)))(yPred);
      // d/dp of mean over 4 elements: [0.25, -0.5, 1, -1] / 4
      const expected = [0.0625, -0.125, 0.25, -0.25];
      Array.from(gradient.dataSync()).forEach((g, i) => expect(g).to.be.closeTo(expected[i]!, 1e-7));
    });

    it('declares the package.json name and version in its metadata', () => {
      const manifest = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8'));
      expect(PACKAGE).to.deep.equal({ name: manifest.name, version: manifest.version });
      expect(getLossRegistry().describe('huber').package).to.deep.equal(PACKAGE);
    });
  });
});
