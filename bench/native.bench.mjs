// The native backend (tfjs-node linked by losskit-native), side by side with losskit's wasm:
//  (a) the trainer-overhead bench again with LOSSKIT_BACKEND=tensorflow (Trainer.fit vs
//      model.fit and vs a hand-written loop, target at most 1.05), its lines passed through;
//  (b) training samples/s of the MLP 784-512-512-10 (batch 128) and the conv autoencoder
//      (batch 64) on 'tensorflow' and on losskit wasm, in one process, in alternating rounds
//      (each backend trains its own copy of the model, so no tensor moves between them); the
//      figure is the median round. Same models and steps (trainOnBatch) as wasm-training.bench.
// Where tfjs-node's addon is not built, one JSON line says so and nothing else runs.
import { spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { autoencoderBatch, buildAutoencoder, buildMlp, mlpBatch } from './models.mjs';

const TRAINER = new URL('../packages/trainer/', import.meta.url);
const requireFromTrainer = createRequire(new URL('package.json', TRAINER));
const load = (name) => import(pathToFileURL(requireFromTrainer.resolve(name)).href);
const ROUNDS = 5;

const tf = await load('@tensorflow/tfjs');
try {
  await load('@tensorflow/tfjs-node');
} catch (error) {
  console.log(JSON.stringify({ bench: 'native', skipped: `tfjs-node is not usable here (${error.message.split('\n')[0].slice(0, 160)}); pnpm native --download builds it` }));
  process.exit(0);
}
await load('@tensorflow/tfjs-backend-wasm');
await import(new URL('../packages/wasm-training/dist/index.js', import.meta.url).href);

// (a) In its own process, like every bench file: backends and kernels are process-wide.
const overhead = spawnSync(process.execPath, [fileURLToPath(new URL('trainer-overhead.bench.mjs', import.meta.url))], {
  stdio: ['ignore', 'inherit', 'inherit'],
  env: { ...process.env, LOSSKIT_BACKEND: 'tensorflow', TF_CPP_MIN_LOG_LEVEL: '2' },
});
if (overhead.status !== 0) console.log(JSON.stringify({ bench: 'native', case: 'trainer-overhead', error: `exited with ${overhead.status ?? overhead.signal}` }));

const CASES = {
  mlp: {
    batch: 128,
    build: () => {
      const net = buildMlp(tf);
      const { x, y } = mlpBatch(tf, 128);
      return () => net.trainOnBatch(x, y);
    },
  },
  'conv-autoencoder': {
    batch: 64,
    build: () => {
      const net = buildAutoencoder(tf);
      const x = autoencoderBatch(tf, 64);
      return () => net.trainOnBatch(x, x);
    },
  },
};

/** Steps per second of `step` for at least `seconds` and 3 steps. */
async function rate(step, seconds) {
  let steps = 0;
  const t0 = performance.now();
  while (steps < 3 || performance.now() - t0 < seconds * 1000) {
    await step();
    steps++;
  }
  return steps / ((performance.now() - t0) / 1000);
}

const median = (values) => [...values].sort((p, q) => p - q)[Math.floor(values.length / 2)];
const round = (v) => Number(v.toFixed(1));

// (b)
for (const [name, { batch, build }] of Object.entries(CASES)) {
  const steps = {};
  for (const backend of ['tensorflow', 'wasm']) {
    await tf.setBackend(backend);
    steps[backend] = build();
    await steps[backend](); // warm-up: kernel set-up, XNNPACK packing, TF's first-run graph work
    await steps[backend]();
  }
  const sps = { tensorflow: [], wasm: [] };
  for (let r = 0; r < ROUNDS; r++) {
    const order = r % 2 === 0 ? ['tensorflow', 'wasm'] : ['wasm', 'tensorflow'];
    for (const backend of order) {
      await tf.setBackend(backend);
      sps[backend].push((await rate(steps[backend], 1.5)) * batch);
    }
  }
  const [native, wasm] = [median(sps.tensorflow), median(sps.wasm)];
  console.log(JSON.stringify({
    bench: 'native', case: name, batch, step: 'trainOnBatch', rounds: ROUNDS,
    tensorflow_sps: round(native), losskit_wasm_sps: round(wasm), ratio_tensorflow_vs_wasm: Number((native / wasm).toFixed(2)),
    tensorflow_version: tf.engine().registry.tensorflow?.binding?.TF_Version,
  }));
}
