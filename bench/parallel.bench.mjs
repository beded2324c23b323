// @losskit/parallel: samples/s of fitParallel with 1 and with 2 workers, side by side in one run
// (runs alternate 1, 2, 2, 1 so a drift of the shared machine favours neither; the ratio is the
// median of the two paired ratios). Throughput is timed between the end of epoch 1 and the end
// of epoch 3, so worker start-up (loading tfjs and wasm in each thread) is not counted. Also
// checks the loss after 3 epochs: 1 vs 2 workers within 1e-5 relative, two 2-worker runs
// bit-identical.
import { WASM_TRAINING, convAutoencoder, load, median, mlp, mlpBatch, randomData, round } from './common.mjs';

const tf = await load('@tensorflow/tfjs');
await load('@tensorflow/tfjs-backend-wasm');
const { fitParallel } = await import(new URL('../packages/parallel/dist/index.js', import.meta.url).href);
await tf.setBackend('cpu'); // the parent only holds data and the model; the replicas compute
void WASM_TRAINING;

const EPOCHS = 3;
const CASES = [
  { name: 'mlp', batch: 256, steps: 6, target: 1.7, loss: 'categorical-crossentropy', optimizer: () => tf.train.sgd(0.05),
    build: () => mlp(tf), data: (n) => mlpBatch(tf, n, 11) },
  { name: 'conv-autoencoder', batch: 128, steps: 6, target: 1.5, loss: 'mse', optimizer: () => tf.train.adam(0.001),
    build: () => convAutoencoder(tf), data: (n) => { const x = tf.tensor4d(randomData(n * 784, 5), [n, 28, 28, 1]); return { x, y: x }; } },
];

async function run(c, workers, x, y, weights) {
  const net = c.build();
  net.setWeights(weights);
  const ends = [];
  const history = await fitParallel(net, x, y, {
    loss: c.loss, optimizer: c.optimizer(), epochs: EPOCHS, batchSize: c.batch, workers,
    plugins: ['@losskit/loss-mse'], onEpochEnd: () => ends.push(performance.now()),
  });
  net.dispose();
  const samples = x.shape[0] * (EPOCHS - 1);
  const t = history.timing;
  const total = t.gradient + t.wait + t.exchange;
  return {
    sps: samples / ((ends[EPOCHS - 1] - ends[0]) / 1000), loss: history.loss[EPOCHS - 1],
    split: { gradient: round(t.gradient / total, 3), wait: round(t.wait / total, 3), exchange: round(t.exchange / total, 3) },
  };
}

for (const c of CASES) {
  const { x, y } = c.data(c.batch * c.steps);
  const init = c.build();
  const weights = init.getWeights().map((w) => w.clone());
  init.dispose();
  const order = [1, 2, 2, 1];
  const results = [];
  for (const workers of order) results.push({ workers, ...(await run(c, workers, x, y, weights)) });
  const one = results.filter((r) => r.workers === 1);
  const two = results.filter((r) => r.workers === 2);
  const ratio = median([two[0].sps / one[0].sps, two[1].sps / one[1].sps]);
  const lossDiff = Math.abs(two[0].loss - one[0].loss) / Math.abs(one[0].loss);
  console.log(JSON.stringify({
    bench: 'parallel', case: c.name, batch: c.batch, epochs: EPOCHS,
    one_worker_sps: round(median(one.map((r) => r.sps))), two_workers_sps: round(median(two.map((r) => r.sps))),
    ratio: round(ratio, 3), target: c.target, pass: ratio >= c.target,
    loss_one_worker: one[0].loss, loss_two_workers: two[0].loss, loss_rel_diff: lossDiff, loss_within_1e5: lossDiff <= 1e-5,
    replica0_time_split_two_workers: two[0].split, replica0_time_split_one_worker: one[0].split,
    two_worker_runs_bit_identical: two[0].loss === two[1].loss, one_worker_runs_identical: one[0].loss === one[1].loss,
  }));
  tf.dispose([x, y, ...weights]);
}
