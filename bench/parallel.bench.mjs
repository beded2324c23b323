// The Trainer's `workers` option: samples/s of Trainer.fit with 1 and with 2 workers on wasm,
// side by side in one run (runs alternate 1, 2, 2, 1 so a drift of the shared machine favours
// neither; the ratio is the geometric mean of the two paired ratios, samples/s the means). Throughput is timed between the
// end of epoch 1 and the end of epoch 3, so worker start-up (tfjs and wasm loading in each
// thread) is not counted. Also: the loss after 3 epochs, 1 vs 2 workers (1e-5 relative), and
// two 2-worker runs bit-identical (loss and weights). For the design choice, the same case with
// @losskit/parallel's fitParallel, where every replica applies the update itself (the Trainer's
// thread applies it once and publishes the weights). The machine's load average is in each
// line: on a shared machine two workers do not get two cores, and so is what two threads of wasm
// GEMM give at that moment, and the case's zero-exchange ceiling: two threads training their own
// copies on half batches at once vs one on whole batches, which no exchange scheme can beat
// (two-core-probe.mjs; the GEMM before and after each case's runs, the ceiling before, between
// and after its two pairs of runs). Then, when
// torch imports (a JSON note otherwise): PyTorch's own gain from a second thread on the same two
// models and batches (1, 2, 2, 1 threads), the reference for what the targets ask of two cores,
// and losskit's best as a ratio to PyTorch on all cores.
import { createRequire } from 'node:module';
import os from 'node:os';
import { pathToFileURL } from 'node:url';
import { convAutoencoder, mlp, randomData, round, torchFigures, torchThreadScaling } from './common.mjs';
import { twoThreadGemmScaling, zeroExchangeCeiling } from './two-core-probe.mjs';

const TRAINER = new URL('../packages/trainer/', import.meta.url);
const requireFromTrainer = createRequire(new URL('package.json', TRAINER));
const load = (name) => import(pathToFileURL(requireFromTrainer.resolve(name)).href);
const tf = await load('@tensorflow/tfjs');
// The workers import the same file, so 'mse' is known in every thread.
const LOSS_MSE = requireFromTrainer.resolve('@losskit/loss-mse');
await import(pathToFileURL(LOSS_MSE).href);
const { Trainer, selectBackend } = await import(new URL('dist/index.js', TRAINER).href);
const { fitParallel } = await import(new URL('../packages/parallel/dist/index.js', import.meta.url).href);
await selectBackend('wasm', { logger: () => {} });

const EPOCHS = 3;
const CASES = [
  { name: 'mlp', batch: 256, steps: 16, ceilingReps: 40, target: 1.7, loss: 'categorical-crossentropy', optimizer: () => tf.train.sgd(0.05),
    build: () => mlp(tf), data: (n) => {
      const labels = tf.tensor1d(Array.from(randomData(n, 12), (v) => Math.floor(v * 10)), 'int32');
      const out = { x: tf.tensor2d(randomData(n * 784, 11), [n, 784]), y: tf.oneHot(labels, 10).toFloat() };
      labels.dispose();
      return out;
    } },
  { name: 'conv-autoencoder', batch: 128, steps: 6, ceilingReps: 10, target: 1.5, loss: 'mse', optimizer: () => tf.train.adam(0.001),
    build: () => convAutoencoder(tf), data: (n) => { const x = tf.tensor4d(randomData(n * 784, 5), [n, 28, 28, 1]); return { x, y: x }; } },
];

/** Glorot-uniform kernels and zero biases from fixed seeds: the same start in every run, so the loss figures repeat. */
function seededWeights(model) {
  return model.getWeights().map((w, i) => {
    if (w.rank < 2) return tf.zeros(w.shape);
    const receptive = w.shape.slice(0, -2).reduce((p, d) => p * d, 1);
    const limit = Math.sqrt(6 / ((w.shape.at(-2) + w.shape.at(-1)) * receptive));
    return tf.randomUniform(w.shape, -limit, limit, 'float32', 100 + i);
  });
}

const mean = (values) => values.reduce((s, v) => s + v, 0) / values.length;
const samplesPerSecond = (samples, ends) => (samples * (EPOCHS - 1)) / ((ends[EPOCHS - 1] - ends[0]) / 1000);

async function trainerRun(c, workers, x, y, weights) {
  const model = c.build();
  model.setWeights(weights);
  const ends = [];
  const lines = [];
  const trainer = new Trainer({ model, optimizer: c.optimizer(), loss: c.loss, backend: 'wasm', logger: (line) => lines.push(line) });
  const { history } = await trainer.fit(x, y, {
    epochs: EPOCHS, batchSize: c.batch, seed: 1, workers, workerImports: [LOSS_MSE], verbose: 0,
    callbacks: [{ onEpochEnd: () => ends.push(performance.now()) }],
  });
  const finalWeights = model.getWeights().map((w) => Array.from(w.dataSync()));
  trainer.dispose();
  model.dispose();
  const split = lines.find((line) => line.includes('this thread spent'))?.replace(/^.*spent /, '').replace(/ \([^)]*\)/, '');
  return { sps: samplesPerSecond(x.shape[0], ends), loss: history.loss[EPOCHS - 1], finalWeights, split };
}

async function everyReplicaApplies(c, x, y, weights) {
  const model = c.build();
  model.setWeights(weights);
  const ends = [];
  await fitParallel(model, x, y, {
    loss: c.loss, optimizer: c.optimizer(), epochs: EPOCHS, batchSize: c.batch, workers: 2,
    plugins: [LOSS_MSE], onEpochEnd: () => ends.push(performance.now()),
  });
  model.dispose();
  return samplesPerSecond(x.shape[0], ends);
}

// LOSSKIT_PARALLEL_CASES=mlp (comma-separated case names) runs only those, and skips PyTorch.
const only = process.env.LOSSKIT_PARALLEL_CASES?.split(',').map((s) => s.trim()).filter(Boolean);
const figures = {};
const ratios = {};
for (const c of CASES.filter((c) => !only || only.includes(c.name))) {
  const { x, y } = c.data(c.batch * c.steps);
  const init = c.build();
  const weights = seededWeights(init);
  init.dispose();
  const loadBefore = os.loadavg();
  const probeBefore = await twoThreadGemmScaling();
  // The ceiling before, between and after the two pairs of runs: the machine drifts within minutes.
  const ceilings = [await zeroExchangeCeiling(c.name, c.batch, c.ceilingReps)];
  const results = [];
  for (const workers of [1, 2, 2, 1]) {
    results.push({ workers, ...(await trainerRun(c, workers, x, y, weights)) });
    if (results.length % 2 === 0) ceilings.push(await zeroExchangeCeiling(c.name, c.batch, c.ceilingReps));
  }
  const replicasSps = await everyReplicaApplies(c, x, y, weights);
  const probeAfter = await twoThreadGemmScaling();
  const one = results.filter((r) => r.workers === 1);
  const two = results.filter((r) => r.workers === 2);
  const ratio = Math.sqrt((two[0].sps / one[0].sps) * (two[1].sps / one[1].sps));
  const lossDiff = Math.abs(two[0].loss - one[0].loss) / Math.abs(one[0].loss);
  const oneSps = mean(one.map((r) => r.sps));
  const twoSps = mean(two.map((r) => r.sps));
  figures[c.name] = Math.max(oneSps, twoSps);
  ratios[c.name] = ratio;
  console.log(JSON.stringify({
    bench: 'parallel', case: c.name, through: 'Trainer.fit', backend: 'wasm', batch: c.batch, epochs: EPOCHS,
    one_worker_sps: round(oneSps), two_workers_sps: round(twoSps),
    ratio: round(ratio, 3), target: c.target, pass: ratio >= c.target,
    loss_one_worker: one[0].loss, loss_two_workers: two[0].loss, loss_rel_diff: lossDiff, loss_within_1e5: lossDiff <= 1e-5,
    two_worker_runs_bit_identical: two[0].loss === two[1].loss && JSON.stringify(two[0].finalWeights) === JSON.stringify(two[1].finalWeights),
    trainer_thread_time_two_workers: two[0].split,
    every_replica_applies_two_workers_sps: round(replicasSps), trainer_vs_every_replica_applies: round(twoSps / replicasSps, 3),
    loadavg_before: loadBefore.map((v) => round(v, 2)), loadavg_after: os.loadavg().map((v) => round(v, 2)), cores: os.availableParallelism(),
    two_thread_gemm_scaling_before_after: [round(probeBefore.two_thread_gemm_scaling, 2), round(probeAfter.two_thread_gemm_scaling, 2)],
    zero_exchange_ceilings: ceilings.map((e) => round(e.ceiling, 3)), ratio_to_mean_ceiling: round(ratio / mean(ceilings.map((e) => e.ceiling)), 3),
    ceiling_step_ms_one_thread_two_threads_half_alone: ceilings.map((e) => [round(e.one_thread_ms, 2), round(e.two_threads_ms, 2), round(e.half_alone_ms, 2)]),
  }));
  tf.dispose([x, y, ...weights]);
}

if (only) process.exit(0);
const scaling = torchThreadScaling(CASES[0].batch, CASES[1].batch);
console.log(JSON.stringify({
  bench: 'parallel', case: 'torch-thread-scaling', what: 'PyTorch samples/s on 2 threads vs 1, the same models and batches',
  mlp_batch: CASES[0].batch, ae_batch: CASES[1].batch,
  ...(scaling.skipped ? { skipped: scaling.skipped } : {
    torch_version: scaling.torch, torch_mlp_two_vs_one_thread: round(scaling.mlp_ratio, 3), torch_ae_two_vs_one_thread: round(scaling.ae_ratio, 3),
    losskit_mlp_two_vs_one_worker: round(ratios.mlp, 3), losskit_ae_two_vs_one_worker: round(ratios['conv-autoencoder'], 3),
    targets: CASES.map((c) => c.target),
  }),
  loadavg: os.loadavg().map((v) => round(v, 2)),
}));
// On a 2-core machine the 2-thread runs above are the all-cores figures.
const torch = scaling.skipped || os.availableParallelism() !== 2 ? torchFigures(CASES[0].batch, CASES[1].batch) : scaling.two_threads;
console.log(JSON.stringify({
  bench: 'parallel', case: 'vs-pytorch', losskit_config: 'Trainer.fit on wasm, the better of 1 and 2 workers',
  mlp_batch: CASES[0].batch, ae_batch: CASES[1].batch, losskit_mlp_sps: round(figures.mlp), losskit_ae_sps: round(figures['conv-autoencoder']),
  ...(torch.skipped ? { skipped: torch.skipped } : {
    torch_threads: torch.threads, torch_version: torch.torch, torch_mlp_sps: round(torch.mlp_sps), torch_ae_sps: round(torch.ae_sps),
    mlp_ratio_to_torch: round(figures.mlp / torch.mlp_sps, 3), ae_ratio_to_torch: round(figures['conv-autoencoder'] / torch.ae_sps, 3),
  }),
  loadavg: os.loadavg().map((v) => round(v, 2)),
}));
