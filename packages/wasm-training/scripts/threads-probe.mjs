// Investigation, not part of the package: can tfjs-backend-wasm 4.22.0 use more than one thread
// under Node? Usage: node scripts/threads-probe.mjs [threads|default]
//
// tfjs refuses threads in Node (the WASM_HAS_MULTITHREAD_SUPPORT flag returns false when IS_NODE),
// and forcing the flag fails: the threaded build starts its pthread workers from blob: URLs, which
// Node's worker_threads reject (ERR_WORKER_PATH). The shims below write the worker and the
// module factory to temp files instead (and define the bundler globals the factory closes over).
// With them the threaded-simd binary loads and computes correctly, but XNNPACK's pool reports one
// thread (getThreadsCount() === 1 whatever setThreadsCount says), and the threaded binary's
// 1024x1024 matmul is slower than the plain SIMD build's. See the package README for figures.
import * as tf from '@tensorflow/tfjs';
import * as wasm from '@tensorflow/tfjs-backend-wasm';
import fs from 'node:fs'; import os from 'node:os'; import path from 'node:path';
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'wasm-threads-'));
const NativeBlob = globalThis.Blob; const nativeCreate = URL.createObjectURL;
let n = 0;
globalThis.Blob = function (parts, opts) {
  const text = parts.map(String).join('');
  const file = path.join(dir, `f${n++}.js`);
  if (text.startsWith('var WasmBackendModuleThreadedSimd')) { fs.writeFileSync(file, "var require$$0=require('fs'),require$$1=require('path'),require$$2=require('worker_threads'),require$$3=require('perf_hooks'),require$$4=require('os'),commonjsGlobal=globalThis;" + text); return { __losskitPath: file }; }
  const b = new NativeBlob(parts, opts); b.__text = text; return b;
};
URL.createObjectURL = (blob) => {
  if (blob && blob.__text !== undefined) {
    const file = path.join(dir, `w${n++}.js`);
    const patch = 'const __o=URL.createObjectURL;URL.createObjectURL=(o)=>o&&o.__losskitPath?o.__losskitPath:__o(o);';
    fs.writeFileSync(file, patch + blob.__text); return file;
  }
  return nativeCreate(blob);
};
if (typeof navigator === 'undefined') globalThis.navigator = { hardwareConcurrency: 2 };
tf.env().set('WASM_HAS_MULTITHREAD_SUPPORT', true);
if (process.argv[2] !== 'default') wasm.setThreadsCount(Number(process.argv[2] ?? 2));
const ok = await tf.setBackend('wasm');
globalThis.Blob = NativeBlob; URL.createObjectURL = nativeCreate;
console.log('setBackend', ok, 'threads', (() => { try { return wasm.getThreadsCount(); } catch (e) { return e.message; } })());
const a = tf.randomNormal([1024,1024]); tf.matMul(a,a).dataSync();
const t0 = performance.now(); for (let i=0;i<8;i++) tf.matMul(a,a).dataSync(); const dt=(performance.now()-t0)/8;
console.log('GFLOP/s', (2*1024**3/dt/1e6).toFixed(1));
console.log(JSON.stringify({ threads: wasm.getThreadsCount(), matmul_1024_gflops: Number((2*1024**3/dt/1e6).toFixed(1)) }));
fs.rmSync(dir, { recursive: true, force: true });
process.exit(0);
