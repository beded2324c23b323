/**
 * The `workers` fit option with integer inputs: the rows of an int32 batch tensor (token ids
 * into an Embedding) reach the workers through their shared input buffer as int32, on cpu and
 * on wasm (where only float32 tensors are read from the heap in place). Compared against the
 * same fit in one thread: the same history within 1e-5 relative, and the same final weights.
 */
import '@losskit/loss-mse';
import * as tf from '@tensorflow/tfjs';
import { expect } from 'chai';
import { Trainer } from '@losskit/trainer';
import { silent, uniform } from './trainer-helpers.js';

function embeddingModel(): tf.LayersModel {
  return tf.sequential({
    layers: [
      tf.layers.embedding({ inputDim: 20, outputDim: 4, inputLength: 5, embeddingsInitializer: tf.initializers.randomUniform({ minval: -0.5, maxval: 0.5, seed: 3 }) }),
      tf.layers.flatten(),
      tf.layers.dense({ units: 2, kernelInitializer: tf.initializers.glorotUniform({ seed: 4 }) }),
    ],
  });
}

describe('Trainer: workers with int32 inputs (Embedding ids)', function () {
  this.timeout(120_000);

  for (const backend of ['cpu', 'wasm'] as const) {
    it(`on ${backend}: 2 workers give the 1-thread history and weights`, async () => {
      const ids = tf.tensor2d(Array.from({ length: 60 * 5 }, (_, i) => (i * 7 + (i >> 3)) % 20), [60, 5], 'int32');
      const target = uniform([60, 2], 71);
      const fit = async (workers: number) => {
        const model = embeddingModel();
        const optimizer = tf.train.adam(0.02);
        const trainer = new Trainer({ model, optimizer, loss: 'mse', backend, ...silent });
        const { history } = await trainer.fit(ids, target, { epochs: 2, batchSize: 20, seed: 1, workers, workerImports: ['@losskit/loss-mse'], verbose: 0 });
        const weights = model.getWeights().map((w) => Array.from(w.dataSync()));
        trainer.dispose();
        model.dispose();
        optimizer.dispose();
        return { loss: history['loss']!, weights };
      };
      try {
        const before = tf.memory().numTensors;
        const one = await fit(1);
        const two = await fit(2);
        expect(tf.memory().numTensors).to.equal(before);
        one.loss.forEach((v, i) => expect(Math.abs(two.loss[i]! - v) / Math.abs(v), `loss[${i}]`).to.be.at.most(1e-5));
        one.weights.flat().forEach((v, i) => expect(Math.abs(two.weights.flat()[i]! - v), `weight ${i}`).to.be.at.most(1e-5));
        // Trained: the embeddings moved from their initial values.
        expect(one.loss[1]).to.be.below(one.loss[0]!);
      } finally {
        tf.dispose([ids, target]);
        await tf.setBackend('cpu');
      }
    });
  }
});
