import '@losskit/loss-mse';
import * as tf from '@tensorflow/tfjs';
import { expect } from 'chai';
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { BackendUnavailableError, BACKEND_ENV_VAR, selectBackend, Trainer, TrainerInputError } from '@losskit/trainer';
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
      expect((error as Error).message).to.match(/Unknown backend 'gpu' \(LOSSKIT_BACKEND=gpu\); use one of auto, tensorflow, wasm, cpu, webgl, webgpu/);
    }
  });

  it('a Trainer reuses a backend selected before the model was built: one backend line in all', async () => {
    const lines: string[] = [];
    const logger = (line: string) => void lines.push(line);
    await selectBackend('cpu', { logger });
    await new Trainer({ model: seedModel(62, 4, 4, 2), optimizer: 'sgd', loss: 'mse', backend: 'cpu', logger }).ready();
    expect(lines).to.deep.equal(['[losskit] backend: cpu (forced by the backend option)']);

    // 'auto' twice (the Trainer's default): the second takes the first's choice.
    lines.length = 0;
    await selectBackend('auto', { logger });
    const trainer = new Trainer({ model: seedModel(63, 4, 4, 2), optimizer: 'sgd', loss: 'mse', logger });
    await trainer.ready();
    expect(lines).to.have.length(1);
    expect(lines[0]).to.contain(`backend: ${trainer.backend.backend} `);
  });

  it('a Trainer selects again when the backend was switched since, or was forced and the Trainer asks for auto', async () => {
    const lines: string[] = [];
    const logger = (line: string) => void lines.push(line);
    await selectBackend('cpu', { logger });
    // Another backend made active behind the selection's back (where wasm is installed): not reused.
    await import('@tensorflow/tfjs-backend-wasm');
    if (await tf.setBackend('wasm').catch(() => false)) {
      await new Trainer({ model: seedModel(64, 4, 4, 2), optimizer: 'sgd', loss: 'mse', backend: 'cpu', logger }).ready();
      expect(lines).to.have.length(2);
      expect(tf.getBackend()).to.equal('cpu');
    }
    if (process.env[BACKEND_ENV_VAR]) return; // the environment would force the same backend
    lines.length = 0;
    await selectBackend('cpu', { logger });
    await new Trainer({ model: seedModel(65, 4, 4, 2), optimizer: 'sgd', loss: 'mse', logger }).ready();
    expect(lines).to.have.length(2);
    expect(lines[1]).to.match(/backend: \S+ \(auto/);
  });

  it('selectBackend() first, then the model: one backend line and no TF.js cpu banner (child process)', async function () {
    const fixture = fileURLToPath(new URL('./fixtures/backend-first.mjs', import.meta.url));
    const env = { ...process.env };
    delete env[BACKEND_ENV_VAR];
    const { stdout, stderr } = await promisify(execFile)(process.execPath, [fixture], { env });
    const backend = stdout.trim();
    expect(stderr.match(/\[losskit\] backend:/g)).to.have.length(1);
    // On cpu itself the banner is TF.js's honest advice; elsewhere no cpu tensor may exist.
    if (backend !== 'cpu') expect(stderr).to.not.match(/looks like you are running TensorFlow\.js in Node\.js/);
  });

  it('verbose: false without a logger writes no backend line to stderr (a logger given explicitly gets it: trainer-logger.test.ts)', async () => {
    const written: string[] = [];
    const write = process.stderr.write;
    const trainer = new Trainer({ model: seedModel(61, 4, 4, 2), optimizer: 'sgd', loss: 'mse', backend: 'cpu', verbose: false });
    process.stderr.write = ((chunk: string | Uint8Array) => written.push(String(chunk)) > 0) as typeof process.stderr.write;
    try {
      await trainer.ready();
    } finally {
      process.stderr.write = write;
    }
    expect(written.filter((chunk) => chunk.includes('[losskit]'))).to.deep.equal([]);
  });
});
