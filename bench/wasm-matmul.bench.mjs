// @losskit/wasm-training's strided GEMM: one single-thread MLP 784-512-512-10 training step at
// batch 128 with BatchMatMul/_FusedMatMul on the GEMM vs on the earlier path (explicit wasm
// Transpose, then the stock XNNPACK product, which re-packs each new weight tensor). Both paths
// live in one process (registerWasmTrainingKernels({ matmul }) switches them), so rounds
// alternate back to back and the ratio is the median of per-round ratios.
// Then, if PyTorch imports (LOSSKIT_TORCH_PYTHON, else python3), the same MLP and the conv
// autoencoder in PyTorch on all cores vs losskit's best single-process configuration; without
// torch that line is a JSON note. Python is never needed for the tests or CI.
import { WASM_TRAINING, convAutoencoder, load, median, mlp, mlpBatch, randomData, rate, round, torchFigures } from './common.mjs';

const MLP_BATCH = 128;
const AE_BATCH = 128;
const TARGET = 1.25;
const ROUNDS = 9;

const tf = await load('@tensorflow/tfjs');
await load('@tensorflow/tfjs-backend-wasm');
const { registerWasmTrainingKernels, matMulCounts } = await import(new URL('dist/index.js', WASM_TRAINING).href);
if (!(await tf.setBackend('wasm'))) throw new Error('the wasm backend did not initialise');

async function mlpStepRatio() {
  const net = mlp(tf);
  net.compile({ optimizer: tf.train.sgd(0.01), loss: 'categoricalCrossentropy' });
  const { x, y } = mlpBatch(tf, MLP_BATCH);
  const msPerStep = async (path) => {
    registerWasmTrainingKernels({ matmul: path });
    await net.trainOnBatch(x, y); // the first step after a switch is not timed
    return 1000 / (await rate(() => net.trainOnBatch(x, y), { warmup: 0, minSteps: 4, minSeconds: 0.8 }));
  };
  const times = { strided: [], transpose: [] };
  for (let r = 0; r < ROUNDS; r++) {
    // alternate which path goes first, so a drift of the shared machine favours neither
    for (const path of r % 2 ? ['strided', 'transpose'] : ['transpose', 'strided']) times[path].push(await msPerStep(path));
  }
  registerWasmTrainingKernels({ matmul: 'strided' });
  const before = matMulCounts();
  await net.trainOnBatch(x, y);
  const after = matMulCounts();
  tf.dispose([x, y]);
  net.dispose();
  const ratio = median(times.transpose.map((t, r) => t / times.strided[r]));
  return {
    bench: 'wasm-matmul', case: 'mlp-step', batch: MLP_BATCH, threads: 1,
    strided_ms: round(median(times.strided), 2), transpose_then_xnnpack_ms: round(median(times.transpose), 2),
    ratio: round(ratio, 3), target: TARGET, pass: ratio >= TARGET, rounds: ROUNDS,
    products_per_step_on_gemm: after.strided - before.strided, products_per_step_elsewhere: after.transpose - before.transpose,
    strided_sps: round((1000 / median(times.strided)) * MLP_BATCH),
  };
}

async function aeSps() {
  const net = convAutoencoder(tf);
  net.compile({ optimizer: tf.train.adam(0.001), loss: 'meanSquaredError' });
  const x = tf.tensor4d(randomData(AE_BATCH * 784, 5), [AE_BATCH, 28, 28, 1]);
  const sps = (await rate(() => net.trainOnBatch(x, x), { minSeconds: 4 })) * AE_BATCH;
  tf.dispose(x);
  net.dispose();
  return sps;
}

const mlpLine = await mlpStepRatio();
console.log(JSON.stringify(mlpLine));
const losskitAe = await aeSps();
const torch = torchFigures(MLP_BATCH, AE_BATCH);
console.log(JSON.stringify({
  bench: 'wasm-matmul', case: 'vs-pytorch', losskit_config: 'wasm + @losskit/wasm-training, 1 thread',
  mlp_batch: MLP_BATCH, ae_batch: AE_BATCH,
  losskit_mlp_sps: mlpLine.strided_sps, losskit_ae_sps: round(losskitAe),
  ...(torch.skipped ? { skipped: torch.skipped } : {
    torch_threads: torch.threads, torch_version: torch.torch,
    torch_mlp_sps: round(torch.mlp_sps), torch_ae_sps: round(torch.ae_sps),
    mlp_ratio_to_torch: round(mlpLine.strided_sps / torch.mlp_sps, 3), ae_ratio_to_torch: round(losskitAe / torch.ae_sps, 3),
  }),
}));
