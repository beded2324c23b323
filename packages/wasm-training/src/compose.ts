/**
 * Helpers to compose new wasm kernels out of the wasm backend's own kernels.
 *
 * Every helper returns a TensorInfo that the caller owns: it must either be
 * returned from the kernel or released with `release(backend, info)`.
 * "Views" (`view`) share their dataId with their source and are never released
 * on their own.
 */
import * as tf from '@tensorflow/tfjs';

export type TensorInfo = tf.TensorInfo;
export type Attrs = Record<string, unknown>;

/** The part of the wasm backend (`BackendWasm`) that the composed kernels use. */
export interface WasmBackendLike {
  disposeData(dataId: object, force?: boolean): boolean;
  readSync(dataId: object): unknown;
  makeOutput(shape: number[], dtype: tf.DataType): TensorInfo;
  typedArrayFromHeap(info: TensorInfo): Float32Array | Int32Array | Uint8Array;
}

/** What the engine passes a kernel function of this package. */
export interface KernelArgs {
  inputs: Record<string, TensorInfo>;
  backend: WasmBackendLike;
  attrs: Attrs;
}

/** Stock kernel functions captured before this package replaced any of them. */
const stockKernels = new Map<string, tf.KernelFunc>();

export function rememberStockKernel(name: string, fn: tf.KernelFunc): void {
  if (!stockKernels.has(name)) stockKernels.set(name, fn);
}

/** Runs a kernel of the wasm backend: the stock one if we replaced it, else whatever is registered. */
export function run(
  name: string,
  backend: WasmBackendLike,
  inputs: Record<string, TensorInfo>,
  attrs: Attrs = {},
): TensorInfo {
  let fn = stockKernels.get(name);
  if (fn === undefined) {
    const config = tf.getKernel(name, 'wasm');
    if (config === undefined) throw new Error(`@losskit/wasm-training: wasm kernel '${name}' is not registered`);
    fn = config.kernelFunc;
  }
  const out = fn({ inputs, backend: backend as unknown as object, attrs } as Parameters<tf.KernelFunc>[0]);
  if (Array.isArray(out)) throw new Error(`@losskit/wasm-training: kernel '${name}' returned several outputs`);
  return out;
}

/** A reshaped view of `x`: same data, new shape. Never release a view; release its source. */
export function view(x: TensorInfo, shape: number[]): TensorInfo {
  return { dataId: x.dataId, shape, dtype: x.dtype };
}

export function release(backend: WasmBackendLike, ...infos: Array<TensorInfo | undefined>): void {
  for (const info of infos) if (info !== undefined) backend.disposeData(info.dataId);
}

export function transpose(backend: WasmBackendLike, x: TensorInfo, perm: number[]): TensorInfo {
  return run('Transpose', backend, { x }, { perm });
}

export function slice(backend: WasmBackendLike, x: TensorInfo, begin: number[], size: number[]): TensorInfo {
  return run('Slice', backend, { x }, { begin, size });
}

export function pad(backend: WasmBackendLike, x: TensorInfo, paddings: Array<[number, number]>): TensorInfo {
  return run('PadV2', backend, { x }, { paddings, constantValue: 0 });
}

export function sum(backend: WasmBackendLike, x: TensorInfo, axis: number[]): TensorInfo {
  return run('Sum', backend, { x }, { axis, keepDims: false });
}

/**
 * Pads (positive amounts) or crops (negative amounts) the spatial axes 1 and 2 of an NHWC tensor.
 * Returns `x` itself when nothing changes, otherwise a new tensor the caller owns.
 */
export function padOrCrop(
  backend: WasmBackendLike,
  x: TensorInfo,
  [top, bottom]: [number, number],
  [left, right]: [number, number],
): TensorInfo {
  const [n, h, w, c] = x.shape as [number, number, number, number];
  let cur = x;
  if (top < 0 || bottom < 0 || left < 0 || right < 0) {
    const ct = Math.max(0, -top), cb = Math.max(0, -bottom), cl = Math.max(0, -left), cr = Math.max(0, -right);
    cur = slice(backend, x, [0, ct, cl, 0], [n, h - ct - cb, w - cl - cr, c]);
  }
  const pt = Math.max(0, top), pb = Math.max(0, bottom), pl = Math.max(0, left), pr = Math.max(0, right);
  if (pt + pb + pl + pr > 0) {
    const padded = pad(backend, cur, [[0, 0], [pt, pb], [pl, pr], [0, 0]]);
    if (cur !== x) release(backend, cur);
    cur = padded;
  }
  return cur;
}

/** Explicit NHWC padding in the form the tfjs conv kernels accept. */
export type ExplicitPadding = [[number, number], [number, number], [number, number], [number, number]];

export function explicitPad(top: number, bottom: number, left: number, right: number): ExplicitPadding {
  return [[0, 0], [top, bottom], [left, right], [0, 0]];
}
