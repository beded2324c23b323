import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import fs from 'node:fs';
await tf.setBackend('wasm');
const be = tf.backend();
const mem = be.wasm.asm.memory;
const mods = {};
for (const name of ['plain', 'relaxed']) mods[name] = new WebAssembly.Instance(new WebAssembly.Module(fs.readFileSync(`/tmp/i15/gemm-${name}.wasm`)), { env: { memory: mem } }).exports;
const off = (t) => be.dataIdMap.get(t.dataId).memoryOffset;
function mm(G, a, b, ta, tb, o) {
  const [ar, ac] = a.shape, [br, bc] = b.shape;
  const M = ta ? ac : ar, K = ta ? ar : ac, N = tb ? br : bc;
  const sp = be.wasm._malloc(G.scratchFloats(N) * 4);
  G.gemm(1, M, N, K, off(a), 0, ta ? 1 : ac, ta ? ac : 1, off(b), 0, tb ? 1 : bc, tb ? bc : 1, off(o), 0, 0, sp);
  be.wasm._free(sp);
}
const cases = [[128, 784, 512, false, false], [128, 512, 512, false, true], [784, 128, 512, true, false], [512, 128, 512, true, false]];
for (const [M, K, N, ta, tb] of cases) {
  const a = tf.randomNormal(ta ? [K, M] : [M, K]); const b = tf.randomNormal(tb ? [N, K] : [K, N]);
  const o = tf.zeros([M, N]);
  const ref = tf.matMul(a, b, ta, tb);
  const time = (G) => { const t = performance.now(); for (let i = 0; i < 10; i++) mm(G, a, b, ta, tb, o); return (performance.now() - t) / 10; };
  mm(mods.relaxed, a, b, ta, tb, o); const d = tf.max(tf.abs(tf.sub(ref, o))).dataSync()[0];
  const ratios = [];
  for (let r = 0; r < 9; r++) { const p = time(mods.plain), q = time(mods.relaxed); ratios.push(p / q); }
  ratios.sort((x, y) => x - y);
  console.log(M, K, N, ta, tb, 'relaxed maxdiff', d.toExponential(2), 'plain/relaxed median', ratios[4].toFixed(3));
}
