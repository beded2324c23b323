// What two threads of this machine give right now, next to the `workers` ratios (which cannot
// exceed it). Not a benchmark itself (run-all only runs *.bench.mjs): parallel.bench.mjs calls it.
// - twoThreadGemmScaling: the MLP slice's 128x784x512 wasm product on one thread alone, then on
//   this thread and a worker thread at once. 2.0 means two full cores; near 1.0 means the two
//   threads share one (a virtual machine whose two vCPUs land on one physical core's
//   hyperthreads, or other load).
// - zeroExchangeCeiling: one thread training the case's model on whole batches, vs two threads
//   each training its own copy on half batches at once, exchanging nothing. No data-parallel
//   scheme on this machine, whatever its exchange, beats that ratio at that moment: it keeps
//   each thread's fixed cost per step and the slowdown two busy threads cause each other.
import { Worker, isMainThread, parentPort, workerData } from 'node:worker_threads';
import { convAutoencoder, load, mlp, mlpBatch, randomData } from './common.mjs';

async function wasmTf() {
  const tf = await load('@tensorflow/tfjs');
  await load('@tensorflow/tfjs-backend-wasm');
  await load('@losskit/wasm-training');
  await tf.setBackend('wasm');
  await tf.ready();
  return tf;
}

/** Mean ms per call of `fn` over `reps` calls. */
function meanMs(fn, reps) {
  const start = performance.now();
  for (let i = 0; i < reps; i++) fn();
  return (performance.now() - start) / reps;
}

/** A GEMM loop: run(reps) is the mean ms per 128x784x512 product. */
async function gemmLoop() {
  const tf = await wasmTf();
  const a = tf.randomUniform([128, 784], -1, 1, 'float32', 1);
  const b = tf.randomUniform([784, 512], -1, 1, 'float32', 2);
  const run = (reps) => meanMs(() => tf.matMul(a, b).dispose(), reps);
  run(20);
  return { run, dispose: () => tf.dispose([a, b]) };
}

/** A training loop of the case's model (its own weights and optimizer): run(reps) is the mean ms per step on `rows` rows. */
async function trainingLoop(caseName, rows) {
  const tf = await wasmTf();
  const isMlp = caseName === 'mlp';
  const model = isMlp ? mlp(tf) : convAutoencoder(tf);
  const optimizer = isMlp ? tf.train.sgd(0.05) : tf.train.adam(0.001);
  const { x, y } = isMlp ? mlpBatch(tf, rows) : (() => { const t = tf.tensor4d(randomData(rows * 784, 5), [rows, 28, 28, 1]); return { x: t, y: t }; })();
  const lossOf = (p) => (isMlp ? tf.metrics.categoricalCrossentropy(y, p).mean() : tf.losses.meanSquaredError(y, p));
  const step = () => tf.tidy(() => {
    const { value, grads } = tf.variableGrads(() => lossOf(model.apply(x, { training: true })));
    optimizer.applyGradients(grads);
    value.dataSync();
  });
  const run = (reps) => meanMs(step, reps);
  run(3);
  return { run, dispose: () => { tf.dispose(isMlp ? [x, y] : [x]); optimizer.dispose(); model.dispose(); } };
}

const loops = { gemm: () => gemmLoop(), training: ({ caseName, rows }) => trainingLoop(caseName, rows) };

if (!isMainThread) {
  const { run, dispose } = await loops[workerData.kind](workerData);
  parentPort.postMessage('ready');
  parentPort.once('message', () => {
    parentPort.postMessage(run(workerData.reps));
    dispose();
  });
}

const nextMessage = (worker) => new Promise((resolve, reject) => { worker.once('message', resolve); worker.once('error', reject); });

/** This thread's loop alone (before and after) vs its concurrent loop next to a worker running `workerLoop`. */
async function aloneAndConcurrent(alone, concurrent, workerSetup) {
  const before = alone.run(workerSetup.reps);
  const worker = new Worker(new URL(import.meta.url), { workerData: workerSetup });
  try {
    await nextMessage(worker);
    const theirs = nextMessage(worker);
    worker.postMessage('go');
    const ours = concurrent.run(workerSetup.reps);
    return { alone: (before + alone.run(workerSetup.reps)) / 2, ours, theirs: await theirs };
  } finally {
    await worker.terminate();
  }
}

/** { alone_ms, concurrent_ms, two_thread_gemm_scaling }. */
export async function twoThreadGemmScaling() {
  const loop = await gemmLoop();
  try {
    const { alone, ours, theirs } = await aloneAndConcurrent(loop, loop, { kind: 'gemm', reps: 150 });
    const concurrent = (ours + theirs) / 2;
    return { alone_ms: alone, concurrent_ms: concurrent, two_thread_gemm_scaling: (2 * alone) / concurrent };
  } finally {
    loop.dispose();
  }
}

/**
 * { one_thread_ms, two_threads_ms, ceiling, half_alone_ms }: a whole-batch step alone vs the
 * slower of two concurrent half-batch steps; and a half-batch step alone (what is fixed per step).
 */
export async function zeroExchangeCeiling(caseName, batch, reps) {
  const whole = await trainingLoop(caseName, batch);
  const half = await trainingLoop(caseName, batch / 2);
  try {
    const halfAlone = half.run(reps);
    const { alone, ours, theirs } = await aloneAndConcurrent(whole, half, { kind: 'training', caseName, rows: batch / 2, reps });
    const slower = Math.max(ours, theirs);
    return { one_thread_ms: alone, two_threads_ms: slower, ceiling: alone / slower, half_alone_ms: halfAlone };
  } finally {
    whole.dispose();
    half.dispose();
  }
}
