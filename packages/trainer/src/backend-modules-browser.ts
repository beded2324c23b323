import * as tf from '@tensorflow/tfjs';
import type * as node from './backend-modules.js';

// What '#backend-modules' resolves to outside Node. A bundle cannot import a package the page
// did not import itself, and should not hold backends it never uses; so here a backend is
// available when the page registered it by importing its package (as tfjs's own docs do), and
// the reason given otherwise says which import to add.

export const loadTensorflow: typeof node.loadTensorflow = async () => '@tensorflow/tfjs-node runs only in Node';

export const loadWebgpu: typeof node.loadWebgpu = async () =>
  tf.findBackendFactory('webgpu') ? undefined : "@tensorflow/tfjs-backend-webgpu is not installed in this page: add `import '@tensorflow/tfjs-backend-webgpu'` to train on webgpu";

export const loadWasm: typeof node.loadWasm = async () =>
  tf.findBackendFactory('wasm')
    ? undefined
    : "@tensorflow/tfjs-backend-wasm is not installed in this page: add `import '@tensorflow/tfjs-backend-wasm'` and `import '@losskit/wasm-training'` (its training kernels) to train on wasm";

/**
 * The page imported @losskit/wasm-training when its kernels are registered; without its module
 * object, a layer counts as trainable when every kernel wasm-training adds is there.
 */
export const loadWasmTraining: typeof node.loadWasmTraining = async () =>
  tf.getKernel('Conv2DBackpropFilter', 'wasm') === undefined ? undefined : { wasmTrainingSupport: () => ({ ok: true, unsupported: [] }) };
