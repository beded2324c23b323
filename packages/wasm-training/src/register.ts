import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import { rememberStockKernel } from './compose.js';
import { batchMatMulKernel, fusedMatMulKernel, setMatMulPath, type MatMulPath } from './kernels/batch-matmul.js';

export type { MatMulPath };
import { conv2DBackpropFilterKernel } from './kernels/conv2d-backprop-filter.js';
import { gatherKernel } from './kernels/gather.js';
import { identityKernel } from './kernels/identity.js';
import { depthwiseBackpropFilterKernel, depthwiseBackpropInputKernel } from './kernels/depthwise-backprop.js';
import { maxPoolGradKernel } from './kernels/max-pool-grad.js';
import { unsortedSegmentSumKernel } from './kernels/unsorted-segment-sum.js';

/** Marks kernel configs registered by this package (shared across copies of the package). */
const MARK = Symbol.for('@losskit/wasm-training/kernel');

/** The kernels this package registers for the 'wasm' backend. */
export const WASM_TRAINING_KERNELS = [
  'Conv2DBackpropFilter',
  'DepthwiseConv2dNativeBackpropFilter',
  'DepthwiseConv2dNativeBackpropInput',
  'UnsortedSegmentSum',
  'MaxPoolGrad',
  'BatchMatMul',
  '_FusedMatMul',
  'GatherV2',
  'Identity',
] as const;
export type WasmTrainingKernelName = (typeof WASM_TRAINING_KERNELS)[number];

const implementations: Record<WasmTrainingKernelName, (args: never) => tf.TensorInfo> = {
  Conv2DBackpropFilter: conv2DBackpropFilterKernel,
  DepthwiseConv2dNativeBackpropFilter: depthwiseBackpropFilterKernel,
  DepthwiseConv2dNativeBackpropInput: depthwiseBackpropInputKernel,
  UnsortedSegmentSum: unsortedSegmentSumKernel,
  MaxPoolGrad: maxPoolGradKernel,
  BatchMatMul: batchMatMulKernel,
  _FusedMatMul: fusedMatMulKernel,
  GatherV2: gatherKernel,
  Identity: identityKernel,
};

export interface RegisterOptions {
  /**
   * Kernel names to leave alone (keep the stock wasm kernel, or none). Used by the benchmark
   * to measure stock wasm; normal users pass nothing.
   */
  skip?: readonly WasmTrainingKernelName[];
  /**
   * How BatchMatMul and _FusedMatMul compute: 'strided' (the default: this package's GEMM, every
   * transpose read in place, nothing re-packed per weight tensor) or 'transpose' (the earlier
   * path: an explicit wasm Transpose, then the stock XNNPACK product). For benchmarks; applies
   * process-wide from this call on.
   */
  matmul?: MatMulPath;
}

/** True when `name` for 'wasm' is currently the kernel registered by this package. */
export function isWasmTrainingKernel(name: string): boolean {
  const config = tf.getKernel(name, 'wasm') as (tf.KernelConfig & { [MARK]?: true }) | undefined;
  return config?.[MARK] === true;
}

/**
 * Registers, for the 'wasm' backend, the kernels training needs that tfjs-backend-wasm lacks,
 * and faster transposed matrix products. Idempotent: calling it again (or importing a second
 * copy of this package) changes nothing. Safe before or after `tf.setBackend('wasm')`.
 *
 * Returns the names of the kernels registered by this call.
 */
export function registerWasmTrainingKernels(options: RegisterOptions = {}): string[] {
  const skip = new Set<string>(options.skip ?? []);
  if (options.matmul !== undefined) setMatMulPath(options.matmul);
  const registered: string[] = [];
  for (const name of WASM_TRAINING_KERNELS) {
    if (skip.has(name) || isWasmTrainingKernel(name)) continue;
    const stock = tf.getKernel(name, 'wasm');
    if (stock !== undefined) {
      rememberStockKernel(name, stock.kernelFunc);
      tf.unregisterKernel(name, 'wasm');
    }
    const config: tf.KernelConfig & { [MARK]: true } = {
      kernelName: name,
      backendName: 'wasm',
      kernelFunc: implementations[name] as unknown as tf.KernelFunc,
      // The stock kernel we call into binds its wasm function in its setupFunc, which the
      // engine runs when the backend initialises: keep it, or the stock kernel is unusable.
      ...(stock?.setupFunc !== undefined ? { setupFunc: stock.setupFunc } : {}),
      ...(stock?.disposeFunc !== undefined ? { disposeFunc: stock.disposeFunc } : {}),
      [MARK]: true,
    };
    tf.registerKernel(config);
    registered.push(name);
  }
  return registered;
}
