/**
 * The GEMM's scratch contract: `gemm` writes no byte past the `scratchFloats(n)` floats it is
 * given. A kernel test cannot see an overrun (what follows the scratch on the heap is usually free
 * memory), so this calls the module directly with a canary right after the scratch, at a shape
 * that fills every part of it: a full 1024-column block of packed B at the deepest k-block (512),
 * two row blocks of packed A, and a second column block.
 */
import * as tf from '@tensorflow/tfjs';
import { expect } from 'chai';
import '@losskit/wasm-training';
import { heapGemm } from '../src/kernels/gemm/module.js';
import type { WasmBackendLike } from '../src/compose.js';
import { randomTensor, useBackendDuring } from './helpers.js';

const CANARY_FLOATS = 1 << 16;

describe('@losskit/wasm-training: the GEMM stays inside its scratch', function () {
  this.timeout(30000);
  useBackendDuring('wasm');

  it('writes nothing past scratchFloats(n), and computes the product it is asked for', () => {
    const backend = tf.backend() as unknown as WasmBackendLike & { wasm: { HEAPF32: Float32Array } };
    const gemm = heapGemm(backend);
    expect(gemm, 'the GEMM module loads on this backend').to.not.equal(null);
    const [m, k, n] = [131, 1024, 1030];
    const a = randomTensor([m, k], 1);
    const b = randomTensor([k, n], 2);
    const c = tf.zeros([m, n]);
    const floats = gemm!.exports.scratchFloats(n);
    const scratch = gemm!.malloc((floats + CANARY_FLOATS) * 4);
    try {
      const heap = () => new Float32Array(backend.wasm.HEAPF32.buffer, scratch + floats * 4, CANARY_FLOATS);
      heap().fill(-12345.5);
      gemm!.exports.gemm(1, m, n, k, gemm!.offset(a.dataId), 0, k, 1, gemm!.offset(b.dataId), 0, n, 1, gemm!.offset(c.dataId), 0, 0, scratch);
      const touched = heap().findIndex((v) => v !== -12345.5);
      expect(touched, `first canary float written (of ${CANARY_FLOATS}) after ${floats} scratch floats`).to.equal(-1);
      // 500 entries of C against float64 dot products (independent of any backend)
      const [av, bv, cv] = [a.dataSync(), b.dataSync(), c.dataSync()];
      let worst = 0;
      for (let s = 0; s < 500; s++) {
        const i = (s * 7919) % m;
        const j = (s * 104729) % n;
        let dot = 0;
        for (let p = 0; p < k; p++) dot += av[i * k + p]! * bv[p * n + j]!;
        worst = Math.max(worst, Math.abs(dot - cv[i * n + j]!));
      }
      expect(worst, 'max abs difference from float64 dot products').to.be.below(1e-3);
    } finally {
      gemm!.free(scratch);
      tf.dispose([a, b, c]);
    }
  });
});
