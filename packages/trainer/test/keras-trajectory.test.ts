import * as tf from '@tensorflow/tfjs';
import { expect } from 'chai';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { fromKerasConfig, type KerasLossConfig } from '@losskit/core';
import { Trainer } from '@losskit/trainer';

// The same model, initial weights, data and SGD steps in Keras 3 (JAX, float32; made by
// scripts/fixtures/keras_trajectory.py) and in losskit: a classifier trained with Keras's
// CategoricalCrossentropy(from_logits=True, label_smoothing=0.1), given as the Keras config.
interface Trajectory {
  loss: KerasLossConfig;
  x: number[];
  xShape: number[];
  y: number[];
  yShape: number[];
  initialWeights: { shape: number[]; values: number[] }[];
  epochs: { loss: number; weights: number[][] }[];
}
const fixture: Trajectory = JSON.parse(readFileSync(fileURLToPath(new URL('./fixtures/keras-trajectory.json', import.meta.url)), 'utf8'));

function closeRelative(actual: number, expected: number, rtol: number): boolean {
  return Math.abs(actual - expected) <= rtol * Math.abs(expected);
}

describe('Trainer: a Keras 3 training trajectory (fromLogits, labelSmoothing)', () => {
  before(async () => {
    await tf.setBackend('cpu');
  });

  it('matches Keras per epoch within 1e-6: the epoch loss and every weight', async () => {
    const [features, hidden, classes] = [fixture.xShape[1]!, fixture.initialWeights[0]!.shape[1]!, fixture.yShape[1]!];
    const model = tf.sequential({
      layers: [tf.layers.dense({ inputShape: [features], units: hidden, activation: 'tanh' }), tf.layers.dense({ units: classes })],
    });
    model.setWeights(fixture.initialWeights.map((w) => tf.tensor(w.values, w.shape)));
    const x = tf.tensor(fixture.x, fixture.xShape);
    const y = tf.tensor(fixture.y, fixture.yShape);
    const spec = fromKerasConfig(fixture.loss);
    expect(spec).to.deep.equal({ name: 'CategoricalCrossentropy', options: { fromLogits: true, labelSmoothing: 0.1 }, reduction: 'sum_over_batch_size' });
    // the Keras config itself, as a Keras compile() configuration would hold it
    const trainer = new Trainer({ model, optimizer: tf.train.sgd(0.1), loss: fixture.loss, backend: 'cpu', verbose: false });
    try {
      await trainer.ready();
      expect(trainer.lossSpecs).to.deep.include({ name: 'categorical-crossentropy', options: { fromLogits: true, labelSmoothing: 0.1, axis: -1 } });
      for (const [epoch, expected] of fixture.epochs.entries()) {
        const history = await trainer.fit(x, y, { epochs: epoch + 1, initialEpoch: epoch, batchSize: 8, shuffle: false });
        const loss = history.history.loss!.at(-1)!;
        expect(closeRelative(loss, expected.loss, 1e-6), `epoch ${epoch}: loss ${loss}, Keras ${expected.loss}`).to.equal(true);
        model.getWeights().forEach((weight, i) => {
          const values = weight.dataSync();
          const scale = Math.max(...expected.weights[i]!.map(Math.abs));
          expected.weights[i]!.forEach((e, j) => {
            expect(Math.abs(values[j]! - e) <= 1e-6 * scale, `epoch ${epoch}, weight ${i}[${j}]: ${values[j]} vs Keras ${e}`).to.equal(true);
          });
        });
      }
    } finally {
      trainer.dispose();
      tf.dispose([x, y]);
    }
  });
});
