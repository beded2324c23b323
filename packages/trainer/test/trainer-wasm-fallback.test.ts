import '@losskit/loss-mse';
import * as tf from '@tensorflow/tfjs';
import { expect } from 'chai';
import { wasmTrainingSupport } from '@losskit/wasm-training';
import { selectBackend, Trainer } from '@losskit/trainer';
import { uniform } from './trainer-helpers.js';

// The trainer asks @losskit/wasm-training whether wasm can train the model and falls back to
// cpu when it cannot. That check looks up the wasm kernels registered at the time, so taking
// away the kernel conv layers need for their weight gradient makes wasm unable to train a conv
// model -- for real, with no mock. The kernel is put back afterwards.

const KERNEL = 'Conv2DBackpropFilter';


function convModel(): tf.Sequential {
  const model = tf.sequential();
  model.add(tf.layers.conv2d({ name: 'the_conv', inputShape: [6, 6, 1], filters: 2, kernelSize: 3, kernelInitializer: tf.initializers.glorotUniform({ seed: 5 }) }));
  model.add(tf.layers.flatten({ name: 'flat' }));
  model.add(tf.layers.dense({ name: 'out', units: 2, kernelInitializer: tf.initializers.glorotUniform({ seed: 6 }) }));
  return model;
}

function denseModel(): tf.Sequential {
  const model = tf.sequential();
  model.add(tf.layers.dense({ name: 'only_dense', inputShape: [4], units: 2, kernelInitializer: tf.initializers.glorotUniform({ seed: 7 }) }));
  return model;
}

async function wasmAvailable(): Promise<boolean> {
  try {
    await import('@tensorflow/tfjs-backend-wasm');
    return await tf.setBackend('wasm');
  } catch {
    return false;
  }
}

describe('Trainer: wasm -> cpu fallback for a model wasm cannot train', function () {
  let saved: tf.KernelConfig | undefined;
  let tfjsNode = true;

  before(async function () {
    if (!(await wasmAvailable())) this.skip();
    try {
      await import('@tensorflow/tfjs-node' as string);
    } catch {
      tfjsNode = false;
    }
    // The trainer imports @losskit/wasm-training itself (dynamically, as ESM). tsx runs this
    // file as CommonJS, so the static import above is a second instance of the package, and
    // the trainer's first import would register the kernels again -- after we removed one.
    // Let the trainer load its copy now, by selecting wasm once, so that the kernel taken
    // away below stays away.
    await selectBackend('wasm', { env: {}, logger: () => {} });
    await tf.setBackend('cpu');
    saved = tf.getKernel(KERNEL, 'wasm');
    expect(saved, `${KERNEL} registered for wasm by @losskit/wasm-training`).to.not.equal(undefined);
  });

  beforeEach(() => {
    if (tf.getKernel(KERNEL, 'wasm') !== undefined) tf.unregisterKernel(KERNEL, 'wasm');
  });

  // Restore after each test, so that a failing assertion cannot leave wasm without the kernel.
  afterEach(async () => {
    if (saved !== undefined && tf.getKernel(KERNEL, 'wasm') === undefined) tf.registerKernel(saved);
    await tf.setBackend('cpu');
  });

  after(() => {
    if (saved !== undefined) expect(tf.getKernel(KERNEL, 'wasm')).to.equal(saved);
  });

  it('the support check itself reports the conv layer, and only it', () => {
    const model = convModel();
    const support = wasmTrainingSupport(model);
    expect(support.ok).to.equal(false);
    expect(support.unsupported).to.deep.equal([`the_conv (Conv2D): wasm has no ${KERNEL} kernel`]);
    expect(wasmTrainingSupport(denseModel()).ok, 'a dense model is unaffected').to.equal(true);
    model.dispose();
  });

  it("selectBackend('auto') picks cpu for the conv model, and its one log line names the layer and the kernel", async function () {
    const model = convModel();
    const lines: string[] = [];
    const choice = await selectBackend('auto', { model, env: {}, logger: (line) => lines.push(line) });
    if (tfjsNode) {
      // tfjs-node trains anything: wasm is never considered.
      expect(choice.backend).to.equal('tensorflow');
      model.dispose();
      this.skip();
    }
    expect(choice.backend).to.equal('cpu');
    expect(tf.getBackend()).to.equal('cpu');
    expect(lines).to.have.length(1);
    expect(lines[0]).to.match(/^\[losskit\] backend: cpu \(auto fallback; .*wasm: the model has layers wasm cannot train \(the_conv \(Conv2D\): wasm has no Conv2DBackpropFilter kernel\)\)$/);
    model.dispose();
  });

  it('forcing wasm also falls back to cpu for the conv model, saying why', async () => {
    const model = convModel();
    const lines: string[] = [];
    const choice = await selectBackend('wasm', { model, env: {}, logger: (line) => lines.push(line) });
    expect(choice.backend).to.equal('cpu');
    expect(tf.getBackend()).to.equal('cpu');
    expect(lines).to.deep.equal([
      `[losskit] backend: cpu (wasm forced by the backend option, but the model has layers wasm cannot train (the_conv (Conv2D): wasm has no ${KERNEL} kernel); falling back to cpu)`,
    ]);
    model.dispose();
  });

  it('a Trainer asked for wasm trains the conv model on cpu, and logs the fallback', async () => {
    const model = convModel();
    const lines: string[] = [];
    const trainer = new Trainer({ model, optimizer: tf.train.sgd(0.05), loss: 'mse', backend: 'wasm', logger: (line) => lines.push(line) });
    const x = uniform([8, 6, 6, 1], 201);
    const y = uniform([8, 2], 202);
    const before = model.getWeights().map((w) => w.dataSync().slice());
    await trainer.fit(x, y, { epochs: 2, batchSize: 4, seed: 1 });
    expect(trainer.backend.backend).to.equal('cpu');
    expect(tf.getBackend()).to.equal('cpu');
    const backendLines = lines.filter((line) => line.startsWith('[losskit] backend:'));
    expect(backendLines).to.have.length(1);
    expect(backendLines[0]).to.match(/backend: cpu \(.*the_conv \(Conv2D\): wasm has no Conv2DBackpropFilter kernel.*falling back to cpu\)/);
    const convKernelMoved = model.getLayer('the_conv').getWeights()[0]!.dataSync().some((v, i) => v !== before[0]![i]);
    expect(convKernelMoved, 'the conv layer trained (on cpu)').to.equal(true);
    tf.dispose([x, y]);
    model.dispose();
  });

  it('with the kernel restored, forcing wasm selects wasm for the same conv model (the fallback was the kernel)', async () => {
    tf.registerKernel(saved!);
    const model = convModel();
    const lines: string[] = [];
    const choice = await selectBackend('wasm', { model, env: {}, logger: (line) => lines.push(line) });
    expect(choice.backend).to.equal('wasm');
    expect(lines).to.deep.equal(['[losskit] backend: wasm (forced by the backend option)']);
    model.dispose();
  });
});
