/**
 * fitParallel: the same history as one worker and as a single-thread reference loop, on a model
 * with sample weights and on a sum of two losses; bit-identical across two 2-worker runs; a
 * failing replica ends the fit with a named error and leaves no tensors or threads; losses that
 * cannot cross to a worker are refused with what to do.
 */
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import { expect } from 'chai';
import { fileURLToPath } from 'node:url';
import { getLossRegistry, registerLossFunction, type LossSpec } from '@losskit/core';
import '@losskit/loss-mse';
import { chooseWorkers, fitParallel, NonCrossableLossError, ReplicaFailedError, type NamedValues } from '@losskit/parallel';

const FIXTURE = fileURLToPath(new URL('./fixtures/test-losses.mjs', import.meta.url));
await import(FIXTURE);
const PLUGINS = ['@losskit/loss-mse', FIXTURE];

function model(): tf.LayersModel {
  return tf.sequential({
    layers: [
      tf.layers.dense({ inputShape: [6], units: 12, activation: 'relu', kernelInitializer: tf.initializers.glorotUniform({ seed: 1 }) }),
      tf.layers.dense({ units: 3, kernelInitializer: tf.initializers.glorotUniform({ seed: 2 }) }),
    ],
  });
}

let x: tf.Tensor;
let y: tf.Tensor;
let sampleWeight: tf.Tensor;
const BATCH = 32; // the last batch (26 rows) splits unevenly too

interface Setup {
  build: () => tf.LayersModel;
  x: tf.Tensor;
  y: tf.Tensor | tf.Tensor[];
  spec: LossSpec | LossSpec[];
  lossWeights?: number[];
  sampleWeight?: tf.Tensor;
  batch: number;
  epochs: number;
  learningRate: number;
}

/** The same training in this thread with core's reduction (the independent reference). */
async function referenceLosses(c: Setup): Promise<number[]> {
  const previous = tf.getBackend();
  await tf.setBackend('wasm');
  const net = c.build();
  const ys = Array.isArray(c.y) ? c.y : [c.y];
  const specs = Array.isArray(c.spec) ? c.spec : ys.map(() => c.spec as LossSpec);
  const losses = await Promise.all(specs.map((spec) => getLossRegistry().resolveAsync(spec)));
  const optimizer = tf.train.sgd(c.learningRate);
  const n = c.x.shape[0]!;
  const out: number[] = [];
  for (let e = 0; e < c.epochs; e++) {
    let total = 0;
    for (let start = 0; start < n; start += c.batch) {
      const size = Math.min(c.batch, n - start);
      const cost = optimizer.minimize(() => {
        const out = net.apply(c.x.slice(start, size), { training: true });
        const preds = (Array.isArray(out) ? out : [out]) as tf.Tensor[];
        return tf.addN(preds.map((pred, o) => tf.mul(losses[o]!.compute(ys[o]!.slice(start, size), pred, c.sampleWeight?.slice(start, size)),
          c.lossWeights?.[o] ?? 1))) as tf.Scalar;
      }, true)!;
      total += cost.dataSync()[0]! * size;
      cost.dispose();
    }
    out.push(total / n);
  }
  net.dispose();
  optimizer.dispose();
  losses.forEach((l) => l.dispose());
  await tf.setBackend(previous);
  return out;
}

async function parallelRun(c: Setup, workers: number, plugins = PLUGINS): Promise<{ loss: number[]; weights: Float32Array[] }> {
  const net = c.build();
  const history = await fitParallel(net, c.x, c.y, {
    loss: c.spec, optimizer: tf.train.sgd(c.learningRate), epochs: c.epochs, batchSize: c.batch, workers, plugins,
    ...(c.sampleWeight ? { sampleWeight: c.sampleWeight } : {}),
    ...(c.lossWeights ? { lossWeights: c.lossWeights } : {}),
  });
  const weights = net.getWeights().map((w) => w.dataSync() as Float32Array);
  net.dispose();
  return { loss: history.loss, weights };
}

const denseSetup = (spec: LossSpec, withWeights: boolean): Setup =>
  ({ build: model, x, y, spec, batch: BATCH, epochs: 3, learningRate: 0.1, ...(withWeights ? { sampleWeight } : {}) });

function expectClose(actual: number[], expected: number[], label: string): void {
  expect(actual.length, label).to.equal(expected.length);
  actual.forEach((v, i) => expect(Math.abs(v - expected[i]!) / Math.abs(expected[i]!), `${label} epoch ${i + 1}: ${v} vs ${expected[i]}`).to.be.at.most(1e-5));
}

describe('@losskit/parallel: fitParallel', function () {
  this.timeout(180000);
  before(async () => {
    // The reference loop trains on wasm in this thread with the kernels the replicas use. Imported
    // dynamically, as ESM, like fitParallel imports plugins: a static import in this file (run
    // as CommonJS by tsx) would be a second instance of the package, owning the kernel
    // registrations other test files count on.
    await import('@losskit/wasm-training' as string);
    await tf.ready();
    x = tf.randomUniform([90, 6], 0, 1, 'float32', 3);
    y = tf.randomUniform([90, 3], 0, 1, 'float32', 4);
    sampleWeight = tf.randomUniform([90], 0.2, 2, 'float32', 5);
  });
  after(() => tf.dispose([x, y, sampleWeight]));

  const cases: Array<{ label: string; spec: LossSpec; weights: boolean }> = [
    { label: "'mse' with sample weights", spec: 'mse', weights: true },
    { label: 'a sum of mse and 0.5 x an l1 from a plugin module', spec: { sum: ['mse', { name: 'test-parallel-l1', weight: 0.5 }] }, weights: false },
  ];
  for (const c of cases) {
    it(`${c.label}: 1 and 2 workers give the reference loop's history (1e-5), two 2-worker runs are bit-identical`, async () => {
      const setup = denseSetup(c.spec, c.weights);
      const reference = await referenceLosses(setup);
      const one = await parallelRun(setup, 1);
      const two = await parallelRun(setup, 2);
      const again = await parallelRun(setup, 2);
      expectClose(one.loss, reference, '1 worker');
      expectClose(two.loss, reference, '2 workers');
      expect(again.loss).to.deep.equal(two.loss);
      again.weights.forEach((w, i) => expect(Buffer.from(w.buffer).equals(Buffer.from(two.weights[i]!.buffer)), `weight ${i}`).to.equal(true));
      expect(reference[2]).to.be.below(reference[0]!); // it trains
    });
  }

  it('a two-output model (mse and an l1, loss weights 1 and 0.5, sample weights): 2 workers match 1 and the reference', async () => {
    const build = () => {
      const input = tf.input({ shape: [6] });
      const hidden = tf.layers.dense({ units: 10, activation: 'relu', kernelInitializer: tf.initializers.glorotUniform({ seed: 7 }) }).apply(input) as tf.SymbolicTensor;
      const a = tf.layers.dense({ units: 3, kernelInitializer: tf.initializers.glorotUniform({ seed: 8 }) }).apply(hidden) as tf.SymbolicTensor;
      const b = tf.layers.dense({ units: 2, kernelInitializer: tf.initializers.glorotUniform({ seed: 9 }) }).apply(hidden) as tf.SymbolicTensor;
      return tf.model({ inputs: input, outputs: [a, b] });
    };
    const y2 = tf.randomUniform([90, 2], -1, 1, 'float32', 12);
    const setup: Setup = {
      build, x, y: [y, y2], spec: ['mse', 'test-parallel-l1'], lossWeights: [1, 0.5], sampleWeight, batch: BATCH, epochs: 2, learningRate: 0.1,
    };
    const reference = await referenceLosses(setup);
    const one = await parallelRun(setup, 1);
    const two = await parallelRun(setup, 2);
    expectClose(one.loss, reference, '1 worker');
    expectClose(two.loss, reference, '2 workers');
    y2.dispose();
  });

  it('continuing with another worker count (weights and Adam state carried over) gives the same run as one fit', async () => {
    const fit = (net: tf.LayersModel, workers: number, epochs: number, optimizerState?: NamedValues[]) => fitParallel(net, x, y, {
      loss: 'mse', optimizer: tf.train.adam(0.01), epochs, batchSize: BATCH, workers, plugins: PLUGINS, sampleWeight,
      ...(optimizerState ? { optimizerState } : {}),
    });
    const whole = model();
    const straight = await fit(whole, 2, 3);
    const split = model();
    const first = await fit(split, 2, 2);
    const fresh = model();
    fresh.setWeights(split.getWeights()); // copies: the same weights after epoch 2, without Adam's state
    const rest = await fit(split, 1, 1, first.optimizerState);
    expectClose([...first.loss, ...rest.loss], straight.loss, 'resumed');
    const [a, b] = [whole, split].map((m) => m.getWeights().map((w) => Array.from(w.dataSync())).flat());
    a!.forEach((v, i) => expect(Math.abs(v - b![i]!), `weight ${i}`).to.be.at.most(1e-5));
    // without the optimizer state the third epoch is a different run (Adam restarts its moments)
    const restarted = await fit(fresh, 1, 1);
    expect(Math.abs(restarted.loss[0]! - straight.loss[2]!) / straight.loss[2]!).to.be.above(1e-4);
    [whole, split, fresh].forEach((m) => m.dispose());
  });

  it("'combined' (L1 + perceptual in the packaged MobileNetV2, resolved by name in each worker): 2 workers match 1 and the reference", async () => {
    const images = tf.randomUniform([16, 8, 8, 1], 0, 1, 'float32', 6);
    const setup: Setup = {
      build: () => tf.sequential({ layers: [tf.layers.conv2d({ inputShape: [8, 8, 1], filters: 1, kernelSize: 3, padding: 'same', activation: 'sigmoid', kernelInitializer: tf.initializers.glorotUniform({ seed: 1 }) })] }),
      x: images, y: images, batch: 8, epochs: 2, learningRate: 0.5,
      spec: { name: 'combined', options: { alpha: 0.5, layers: [{ name: 'block_1_expand_relu', weight: 1 }] } },
    };
    await import('@losskit/loss-combined' as string); // as fitParallel does for its plugins (see before)
    const reference = await referenceLosses(setup);
    const one = await parallelRun(setup, 1, ['@losskit/loss-combined']);
    const two = await parallelRun(setup, 2, ['@losskit/loss-combined']);
    expectClose(one.loss, reference, '1 worker');
    expectClose(two.loss, reference, '2 workers');
    images.dispose();
  });

  it('a replica whose loss throws ends the fit with an error naming it; no tensors or threads are left', async () => {
    const buffer = y.bufferSync();
    buffer.set(999, 50, 0); // batch 2 is rows 32..63: worker 0 gets 32..47, worker 1 48..63
    const marked = buffer.toTensor();
    const net = model();
    const optimizer = tf.train.sgd(0.1); // holds its learning rate as a tensor: made before counting
    const tensors = tf.memory().numTensors;
    // threads alive before (the test runner's own, e.g. tsx's module-loader thread)
    const liveWorkers = () => (process.report.getReport() as unknown as { workers: unknown[] }).workers.length;
    const threads = liveWorkers();
    const before = net.getWeights().map((w) => Array.from(w.dataSync()));
    let error: unknown;
    try {
      await fitParallel(net, x, marked, { loss: 'test-parallel-fails-on-marker', optimizer, epochs: 1, batchSize: BATCH, workers: 2, plugins: PLUGINS });
    } catch (e) {
      error = e;
    }
    expect(error).to.be.instanceOf(ReplicaFailedError);
    expect((error as Error).message).to.match(/^worker 1 of 2 failed at epoch 1, batch 2: Error: this slice holds the marker row/);
    expect(tf.memory().numTensors).to.equal(tensors);
    expect(liveWorkers(), 'worker threads alive after the failed fit').to.equal(threads);
    expect(net.getWeights().map((w) => Array.from(w.dataSync()))).to.deep.equal(before);
    marked.dispose();
    optimizer.dispose();
    net.dispose();
  });

  it('refuses a loss registered in this process only, and an in-memory DI container, saying how to fix it', async () => {
    registerLossFunction({ name: 'test-parallel-parent-only', description: 'registered in the test, not in a module' },
      (t, p) => tf.mean(tf.abs(tf.sub(t, p)), -1));
    const net = model();
    let error: unknown;
    try {
      await fitParallel(net, x, y, { loss: 'test-parallel-parent-only', optimizer: tf.train.sgd(0.1), epochs: 1, batchSize: BATCH, workers: 1 });
    } catch (e) {
      error = e;
    }
    expect(error).to.be.instanceOf(NonCrossableLossError);
    expect((error as Error).message).to.match(/test-parallel-parent-only[\s\S]*list it in `plugins`/);
    let containerError: unknown;
    try {
      await fitParallel(net, x, y, { loss: 'mse', optimizer: tf.train.sgd(0.1), epochs: 1, batchSize: BATCH, container: {} });
    } catch (e) {
      containerError = e;
    }
    expect(containerError).to.be.instanceOf(NonCrossableLossError);
    expect((containerError as Error).message).to.match(/in-memory DI container[\s\S]*`plugins`/);
    net.dispose();
  });

  it('unknown options and bad counts fail before any worker starts', async () => {
    const net = model();
    await fitParallel(net, x, y, { loss: 'mse', optimizer: tf.train.sgd(0.1), epochs: 1, batchsize: 8 } as never)
      .then(() => expect.fail('accepted batchsize'), (e: Error) => expect(e.message).to.match(/unknown option 'batchsize' \(did you mean 'batchSize'\?\)/));
    await fitParallel(net, x, y, { loss: 'mse', optimizer: tf.train.sgd(0.1), epochs: 1, batchSize: 8, workers: 0 })
      .then(() => expect.fail('accepted 0 workers'), (e: Error) => expect(e.message).to.match(/'workers' must be a positive integer, got 0/));
    net.dispose();
  });

  it("'auto' uses the cores, but at least 32 rows per worker", () => {
    expect(chooseWorkers('auto', 8).count).to.equal(1);
    expect(chooseWorkers('auto', 64).count).to.be.within(1, 2);
    expect(chooseWorkers(3, 8)).to.deep.include({ count: 3 });
    expect(chooseWorkers('auto', 4096).why).to.match(/availableParallelism \d+/);
  });
});
