/**
 * Identity (replaced) for the wasm backend. The stock kernel copies its input into a new buffer;
 * `tf.clone` and TF.js's own gradient and layer code call it about thirty times per
 * training step of a small MLP (0.8 ms of a 128-row step's kernel time). Tensors are immutable
 * and every kernel writes only outputs it allocated, so the output can share the input's memory,
 * as the stock wasm `Reshape` and the cpu and webgl backends' `Identity` already do: one more
 * reference to the same data, freed when the last reference is disposed. Strings keep the stock
 * kernel.
 */
import { run, type KernelArgs, type TensorInfo } from '../compose.js';

/** The reference counting of tfjs-backend-wasm's BackendWasm (public methods, absent from its typings). */
interface RefCounted {
  incRef(dataId: object): void;
}

export function identityKernel(args: KernelArgs): TensorInfo {
  const { inputs, backend, attrs } = args;
  const x = inputs['x']!;
  if (x.dtype === 'string') return run('Identity', backend, inputs, attrs);
  (backend as unknown as RefCounted).incRef(x.dataId);
  return { dataId: x.dataId, shape: [...x.shape], dtype: x.dtype };
}
