/**
 * @losskit/wasm-training: makes @tensorflow/tfjs-backend-wasm a complete, fast training backend.
 *
 * Importing this module registers the kernels (an import side effect):
 *
 *   import * as tf from '@tensorflow/tfjs';
 *   import '@losskit/wasm-training';
 *   await tf.setBackend('wasm');
 */
import { registerWasmTrainingKernels } from './register.js';

export {
  registerWasmTrainingKernels,
  isWasmTrainingKernel,
  WASM_TRAINING_KERNELS,
  type RegisterOptions,
  type MatMulPath,
  type WasmTrainingKernelName,
} from './register.js';
export { matMulCounts } from './kernels/batch-matmul.js';
export { gemmBuild, type GemmBuild } from './kernels/gemm/module.js';
export { wasmTrainingSupport, canTrainOnWasm, type WasmTrainingSupport } from './support.js';

registerWasmTrainingKernels();
