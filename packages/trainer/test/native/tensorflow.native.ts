// Native-run-only tests (pnpm test:native, with tfjs-node built by `pnpm native`): backend
// selection picks 'tensorflow', saves move between wasm and tensorflow with the same
// predictions, and TensorFlow's AvgPool gradient is the one the layer matrix there cannot
// compare (see the AveragePooling2D note in packages/wasm-training/test/layers.test.ts).
import '@losskit/loss-mse';
import * as tf from '@tensorflow/tfjs';
import { expect } from 'chai';
import fs from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { selectBackend, Trainer } from '@losskit/trainer';
import { buildMlp, formulaData, makeTempDir } from '../support/persistence-models.js';

const quiet = { verbose: false as const };
const fitOptions = { batchSize: 8, seed: 3, verbose: 0 as const };

async function predictions(model: tf.LayersModel, x: tf.Tensor): Promise<Float32Array> {
  const out = model.predict(x) as tf.Tensor;
  const values = (await out.data()) as Float32Array;
  out.dispose();
  return values;
}

/** Max abs difference, and the value scale (max abs of `a`, at least 1). */
function maxDiff(a: Float32Array, b: Float32Array): { diff: number; scale: number } {
  expect(b.length).to.equal(a.length);
  let diff = 0;
  let scale = 1;
  a.forEach((v, i) => {
    diff = Math.max(diff, Math.abs(v - b[i]!));
    scale = Math.max(scale, Math.abs(v));
  });
  return { diff, scale };
}

describe("native: the 'tensorflow' backend (tfjs-node built by losskit-native)", function () {
  this.timeout(120_000);
  let dir: string;
  beforeEach(() => {
    dir = makeTempDir('native');
  });
  afterEach(async () => {
    fs.rmSync(dir, { recursive: true, force: true });
    await tf.setBackend('tensorflow');
  });

  it("auto selection picks 'tensorflow' first, and LOSSKIT_BACKEND=tensorflow forces it", async () => {
    const lines: string[] = [];
    const auto = await selectBackend('auto', { env: {}, logger: (line) => lines.push(line) });
    expect(auto).to.deep.equal({ backend: 'tensorflow', reason: 'auto: best available' });
    const forced = await selectBackend('auto', { env: { LOSSKIT_BACKEND: 'tensorflow' }, logger: (line) => lines.push(line) });
    expect(forced.reason).to.equal('forced by LOSSKIT_BACKEND=tensorflow');
    expect(tf.getBackend()).to.equal('tensorflow');
    expect(lines).to.deep.equal(['[losskit] backend: tensorflow (auto: best available)', '[losskit] backend: tensorflow (forced by LOSSKIT_BACKEND=tensorflow)']);
  });

  it("a Trainer forced to 'tensorflow' trains there and keeps the tensor count flat", async () => {
    await tf.setBackend('tensorflow');
    const { x, y } = formulaData(48);
    const trainer = new Trainer({ model: buildMlp(), optimizer: tf.train.adam(0.02), loss: 'mse', backend: 'tensorflow', ...quiet });
    await trainer.fit(x, y, { ...fitOptions, epochs: 1 });
    const tensors = tf.memory().numTensors;
    const { history } = await trainer.fit(x, y, { ...fitOptions, epochs: 6 });
    expect(trainer.backend.backend).to.equal('tensorflow');
    expect(tf.memory().numTensors).to.equal(tensors);
    expect(history.loss![5]).to.be.lessThan(history.loss![0]! * 0.8);
    tf.dispose([x, y]);
  });

  it('a save made on wasm loads on tensorflow with the same predictions, and back', async () => {
    // Train and save on wasm.
    await selectBackend('wasm', { env: {}, logger: () => {} });
    const { x, y } = formulaData(48);
    const onWasm = new Trainer({ model: buildMlp(), optimizer: tf.train.adam(0.02), loss: 'mse', backend: 'wasm', ...quiet });
    await onWasm.fit(x, y, { ...fitOptions, epochs: 3 });
    const wasmPredictions = await predictions(onWasm.model, x);
    await onWasm.save(path.join(dir, 'from-wasm'));

    // Load on tensorflow: same predictions (float32 matmuls of two libraries: 1e-5 of the scale).
    const onTensorflow = await Trainer.load(path.join(dir, 'from-wasm'), { backend: 'tensorflow', ...quiet });
    expect(tf.getBackend()).to.equal('tensorflow');
    const tfPredictions = await predictions(onTensorflow.model, x);
    const loaded = maxDiff(wasmPredictions, tfPredictions);
    expect(loaded.diff, 'wasm save -> tensorflow predictions').to.be.at.most(1e-5 * loaded.scale);
    // tfjs-node's own file:// handler reads the same save.
    const plain = await tf.loadLayersModel(pathToFileURL(path.join(dir, 'from-wasm', 'model.json')).href);
    const plainDiff = maxDiff(wasmPredictions, await predictions(plain, x));
    expect(plainDiff.diff, "tf.loadLayersModel('file://...') predictions").to.be.at.most(1e-5 * plainDiff.scale);
    plain.dispose();

    // Train on, save on tensorflow, load on wasm: the same predictions again.
    await onTensorflow.fit(x, y, { ...fitOptions, epochs: 5, initialEpoch: onTensorflow.epochsCompleted });
    const trainedPredictions = await predictions(onTensorflow.model, x);
    await onTensorflow.save(path.join(dir, 'from-tensorflow'));
    const backOnWasm = await Trainer.load(path.join(dir, 'from-tensorflow'), { backend: 'wasm', ...quiet });
    expect(tf.getBackend()).to.equal('wasm');
    expect(backOnWasm.epochsCompleted).to.equal(5);
    const back = maxDiff(trainedPredictions, await predictions(backOnWasm.model, x));
    expect(back.diff, 'tensorflow save -> wasm predictions').to.be.at.most(1e-5 * back.scale);
    tf.dispose([x, y]);
    for (const t of [onWasm, onTensorflow, backOnWasm]) t.model.dispose();
  });

  it("AvgPool's gradient with 'same' padding equals the hand-computed one (windows cut by the padding average fewer cells)", async () => {
    await tf.setBackend('tensorflow');
    const [size, window, stride] = [5, 3, 2];
    // 'same', stride 2 on 5: outputs 3 per axis, window starts at -1, 1, 3 (padding 1 on each side).
    const starts = [-1, 1, 3];
    const inside = (start: number) => [start, start + 1, start + 2].filter((i) => i >= 0 && i < size);
    const expected = new Float32Array(size * size);
    for (const r of starts) {
      for (const c of starts) {
        const rows = inside(r);
        const cols = inside(c);
        for (const i of rows) for (const j of cols) expected[i * size + j]! += 1 / (rows.length * cols.length);
      }
    }
    const x = tf.randomUniform([1, size, size, 1], 0, 1, 'float32', 1);
    const grad = tf.grad((v: tf.Tensor) => tf.avgPool(v as tf.Tensor4D, window, stride, 'same').sum())(x);
    const { diff } = maxDiff(expected, (await grad.data()) as Float32Array);
    expect(diff).to.be.at.most(1e-6);
    tf.dispose([x, grad]);
  });
});
