import '@losskit/loss-mse';
import * as tf from '@tensorflow/tfjs';
import { expect } from 'chai';
import { BackendUnavailableError, selectBackend, Trainer, TrainerInputError } from '@losskit/trainer';
import { seedModel, uniform } from './trainer-helpers.js';

describe('Trainer: backend selection', function () {
  after(async () => {
    await tf.setBackend('cpu');
  });

  it('LOSSKIT_BACKEND=cpu forces cpu, with exactly one log line saying why', async () => {
    const lines: string[] = [];
    const choice = await selectBackend('auto', { env: { LOSSKIT_BACKEND: 'cpu' }, logger: (line) => lines.push(line) });
    expect(choice.backend).to.equal('cpu');
    expect(tf.getBackend()).to.equal('cpu');
    expect(lines).to.deep.equal(['[losskit] backend: cpu (forced by LOSSKIT_BACKEND=cpu)']);
  });

  it('the backend option wins over the environment variable', async () => {
    const choice = await selectBackend('cpu', { env: { LOSSKIT_BACKEND: 'wasm' }, logger: () => {} });
    expect(choice).to.deep.equal({ backend: 'cpu', reason: 'forced by the backend option' });
  });

  it('auto skips tfjs-node where it is not installed and says so', async () => {
    let tfjsNode = true;
    try {
      await import('@tensorflow/tfjs-node' as string);
    } catch {
      tfjsNode = false;
    }
    const lines: string[] = [];
    const choice = await selectBackend('auto', { env: {}, logger: (line) => lines.push(line) });
    expect(lines).to.have.length(1);
    if (!tfjsNode) {
      expect(choice.backend).to.not.equal('tensorflow');
      expect(lines[0]).to.match(/tfjs-node is not installed/);
    }
  });

  it('forcing wasm trains on wasm (with the wasm training kernels) when it is available', async function () {
    const lines: string[] = [];
    let choice;
    try {
      choice = await selectBackend('wasm', { env: {}, logger: (line) => lines.push(line) });
    } catch (error) {
      expect(error).to.be.instanceOf(BackendUnavailableError);
      this.skip();
    }
    expect(choice!.backend).to.equal('wasm');
    expect(tf.getBackend()).to.equal('wasm');
    const model = seedModel(60, 4, 4, 2);
    const x = uniform([16, 4], 141);
    const y = uniform([16, 2], 142);
    const trainer = new Trainer({ model, optimizer: tf.train.adam(0.05), loss: 'mse', backend: 'wasm', verbose: false });
    const { history } = await trainer.fit(x, y, { epochs: 3, batchSize: 8, seed: 1 });
    expect(trainer.backend.backend).to.equal('wasm');
    expect(history.loss![2]).to.be.lessThan(history.loss![0]!);
    tf.dispose([x, y]);
  });

  it('an unknown backend name is an error naming the choices', async () => {
    try {
      await selectBackend('auto', { env: { LOSSKIT_BACKEND: 'gpu' }, logger: () => {} });
      expect.fail('expected an error');
    } catch (error) {
      expect(error).to.be.instanceOf(TrainerInputError);
      expect((error as Error).message).to.match(/Unknown backend 'gpu' \(LOSSKIT_BACKEND=gpu\); use one of auto, tensorflow, wasm, cpu/);
    }
  });

  it('verbose: false silences the backend line', async () => {
    const lines: string[] = [];
    const trainer = new Trainer({ model: seedModel(61, 4, 4, 2), optimizer: 'sgd', loss: 'mse', backend: 'cpu', verbose: false, logger: (l) => lines.push(l) });
    await trainer.ready();
    expect(lines).to.deep.equal([]);
  });
});
