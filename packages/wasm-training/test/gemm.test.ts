/**
 * The strided GEMM behind BatchMatMul and _FusedMatMul: every transpose combination, batched and
 * broadcast, fused with bias and every activation, against the tfjs cpu backend (within 1e-4 of
 * the value scale), at sizes that cross its blocking (k > 512 in two or three equal k-blocks, m > 128, n > 1024, n not a multiple of 8);
 * that it really runs (no Transpose kernel), leaves the rest of the heap alone, and that the
 * committed module is what its source compiles to.
 */
import * as tf from '@tensorflow/tfjs';
import { expect } from 'chai';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { gemmBuild, matMulCounts, registerWasmTrainingKernels } from '@losskit/wasm-training';
import { expectSameOnBothBackends, randomTensor, useBackend, useBackendDuring } from './helpers.js';

const TRANSPOSES = [[false, false], [true, false], [false, true], [true, true]] as const;
const ACTIVATIONS = ['linear', 'relu', 'relu6', 'elu', 'sigmoid', 'leakyrelu', 'prelu'] as const;

/** `shape` with its last two axes swapped when `on`. */
const t = (shape: number[], on: boolean) => (on ? [...shape.slice(0, -2), shape.at(-1)!, shape.at(-2)!] : shape);

describe('@losskit/wasm-training: strided GEMM (BatchMatMul, _FusedMatMul)', function () {
  this.timeout(120000);
  useBackendDuring('wasm');

  it('the committed module is what assembly/gemm.ts compiles to with the pinned assemblyscript', () => {
    const script = fileURLToPath(new URL('../scripts/build-gemm.mjs', import.meta.url));
    const r = spawnSync(process.execPath, [script, '--check'], { encoding: 'utf8' });
    expect(r.status, r.stderr).to.equal(0);
  });

  it('loads a GEMM build here, and the relaxed-SIMD (FMA) build where the runtime has it, matching cpu', () => {
    expect(gemmBuild()).to.be.oneOf(['simd', 'relaxed-simd']);
    const script = fileURLToPath(new URL('./fixtures/relaxed-simd-check.mjs', import.meta.url));
    const r = spawnSync(process.execPath, ['--experimental-wasm-relaxed-simd', script], { encoding: 'utf8' });
    expect(r.status, r.stderr).to.equal(0);
    const result = JSON.parse(r.stdout.trim().split('\n').pop()!) as { build: string; worst: number; counts: { strided: number; transpose: number } };
    expect(result.build).to.equal('relaxed-simd');
    expect(result.counts).to.deep.equal({ strided: 16, transpose: 0 });
    expect(result.worst).to.be.at.most(1e-4);
  });

  describe('matMul against cpu', () => {
    // [a, b] logical shapes (before transposition): blocking edges, broadcasting, rank 4, tiny
    const shapes: Array<[number[], number[]]> = [
      [[130, 300], [300, 13]],
      [[130, 1100], [1100, 13]], // two row blocks x three k-blocks of 367, 367, 366
      [[5, 520], [520, 9]],
      [[9, 40], [40, 2100]], // wider than two 1024-column blocks of B
      [[1, 7], [7, 1]],
      [[3, 37, 260], [3, 260, 17]],
      [[3, 9, 20], [20, 11]],
      [[9, 20], [4, 20, 11]],
      [[1, 6, 5], [3, 5, 7]],
      [[2, 3, 6, 5], [2, 3, 5, 4]],
      [[2, 3, 6, 5], [5, 4]],
    ];
    shapes.forEach(([sa, sb], i) => {
      for (const [ta, tb] of TRANSPOSES) {
        it(`a ${t(sa, ta)} b ${t(sb, tb)} transposeA=${ta} transposeB=${tb}`, async () => {
          await expectSameOnBothBackends('matMul', () =>
            tf.matMul(randomTensor(t(sa, ta), 10 + i), randomTensor(t(sb, tb), 60 + i), ta, tb));
        });
      }
    });
    it('an empty inner dimension gives zeros', async () => {
      await expectSameOnBothBackends('k = 0', () => tf.matMul(tf.zeros([4, 0]), tf.zeros([0, 3])));
    });
  });

  describe('fused matMul against cpu', () => {
    for (const [ta, tb] of TRANSPOSES) {
      for (const activation of ACTIVATIONS) {
        for (const [ba, bb] of [[1, 1], [2, 2], [3, 1]]) {
          it(`batches ${ba}x${bb}, [33, 530] x [530, 21], bias + ${activation}, transposeA=${ta} transposeB=${tb}`, async () => {
            await expectSameOnBothBackends('fused', () => tf.fused.matMul({
              a: randomTensor(t([ba, 33, 530], ta), 1) as tf.Tensor3D,
              b: randomTensor(t([bb, 530, 21], tb), 2) as tf.Tensor3D,
              transposeA: ta, transposeB: tb, bias: randomTensor([21], 3).mul(3), activation,
              ...(activation === 'prelu' ? { preluActivationWeights: randomTensor([21], 4) } : {}),
              leakyreluAlpha: 0.15,
            }));
          });
        }
      }
    }
    it('a bias that is not one value per column ([m, n]) is added after the product', async () => {
      await expectSameOnBothBackends('fused', () => tf.fused.matMul({
        a: randomTensor([2, 6, 5], 1) as tf.Tensor3D, b: randomTensor([2, 5, 4], 2) as tf.Tensor3D,
        bias: randomTensor([6, 4], 3), activation: 'relu',
      }));
    });
    it('no bias, relu6', async () => {
      await expectSameOnBothBackends('fused', () => tf.fused.matMul({
        a: randomTensor([40, 9], 1).mul(20) as tf.Tensor2D, b: randomTensor([9, 12], 2) as tf.Tensor2D, activation: 'relu6',
      }));
    });
  });

  describe('what runs', () => {
    after(() => registerWasmTrainingKernels({ matmul: 'strided' }));

    it('every transpose combination, batched or fused, takes the strided GEMM; the transpose path is still there', async () => {
      await useBackend('wasm');
      const a = randomTensor([2, 5, 5], 1); // square, so every transpose combination fits
      const b = randomTensor([2, 5, 5], 2);
      const products = () => {
        for (const [ta, tb] of TRANSPOSES) {
          tf.matMul(a, b, ta, tb).dispose();
          tf.fused.matMul({ a: a as tf.Tensor3D, b: b as tf.Tensor3D, transposeA: ta, transposeB: tb, bias: tf.ones([5]), activation: 'relu' }).dispose();
        }
      };
      const before = matMulCounts();
      tf.tidy(products);
      const strided = matMulCounts();
      expect(strided).to.deep.equal({ strided: before.strided + 8, transpose: before.transpose });
      registerWasmTrainingKernels({ matmul: 'transpose' });
      tf.tidy(products);
      registerWasmTrainingKernels({ matmul: 'strided' });
      expect(matMulCounts()).to.deep.equal({ strided: strided.strided, transpose: strided.transpose + 8 });
      tf.dispose([a, b]);
    });

    it('mixed batch broadcasting ([2, 1] x [1, 3] batches) falls back to the transpose path, matching cpu', async () => {
      const before = matMulCounts();
      await expectSameOnBothBackends('broadcast', () =>
        tf.matMul(randomTensor([2, 1, 4, 5], 1), randomTensor([1, 3, 6, 5], 2), false, true));
      expect(matMulCounts().transpose).to.equal(before.transpose + 1);
    });

    it('rejects an unknown matmul path by name', () => {
      expect(() => registerWasmTrainingKernels({ matmul: 'fast' as never }))
        .to.throw(/matmul must be 'strided' or 'transpose', got "fast"/);
    });

    it('writes only its output: neighbouring tensors are intact, buffers and tensors flat', async () => {
      await useBackend('wasm');
      const backend = tf.engine().backend as unknown as { numDataIds(): number };
      const sentinelBefore = randomTensor([1000], 7);
      // two row blocks, two k-blocks, and two column blocks of B (the first a full 1024): every part of the scratch in use
      const a = randomTensor([131, 530], 8);
      const b = randomTensor([530, 1030], 9);
      const bias = randomTensor([1030], 10);
      const sentinelAfter = randomTensor([1000], 11);
      const expected = [await sentinelBefore.data(), await sentinelAfter.data()].map((d) => Array.from(d));
      const run = () => {
        for (const [ta, tb] of TRANSPOSES) {
          const x = ta ? a.transpose() : a.clone();
          const w = tb ? b.transpose() : b.clone();
          tf.fused.matMul({ a: x as tf.Tensor2D, b: w as tf.Tensor2D, transposeA: ta, transposeB: tb, bias, activation: 'relu' }).dispose();
          tf.dispose([x, w]);
        }
      };
      run();
      const buffers = backend.numDataIds();
      const tensors = tf.memory().numTensors;
      for (let i = 0; i < 5; i++) run();
      expect(backend.numDataIds()).to.equal(buffers);
      expect(tf.memory().numTensors).to.equal(tensors);
      expect(Array.from(await sentinelBefore.data())).to.deep.equal(expected[0]);
      expect(Array.from(await sentinelAfter.data())).to.deep.equal(expected[1]);
      tf.dispose([sentinelBefore, sentinelAfter, a, b, bias]);
    });
  });
});
