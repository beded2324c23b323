/**
 * The rows of a batch a worker computes, through a SharedArrayBuffer each worker keeps for the
 * whole fit (parallel-pool.ts writes, parallel-worker.ts reads). Every tensor starts on an
 * 8-byte boundary so each dtype's typed array can view it in place.
 */
import * as tf from '@tensorflow/tfjs';
import { wasmHeapView } from '../tfjs-internals.js';
import type { PlainTensor, SharedRows } from './parallel-protocol.js';

type Values = PlainTensor['values'];
const ARRAYS = { float32: Float32Array, int32: Int32Array, bool: Uint8Array } as const;

const aligned = (bytes: number) => Math.ceil(bytes / 8) * 8;
const rowSize = (t: tf.Tensor) => t.shape.slice(1).reduce((p, d) => p * d, 1);

function viewOf(buffer: SharedArrayBuffer, rows: SharedRows): Values {
  const size = rows.shape.reduce((p, d) => p * d, 1);
  if (rows.dtype === 'int32') return new Int32Array(buffer, rows.offset, size);
  if (rows.dtype === 'bool') return new Uint8Array(buffer, rows.offset, size);
  return new Float32Array(buffer, rows.offset, size);
}

/** Rows [start, end) of `tensors` (undefined stays null), written into `buffer`, or a larger one when it is too small. */
export function writeRows(
  buffer: SharedArrayBuffer,
  tensors: readonly (tf.Tensor | undefined)[],
  start: number,
  end: number,
): { buffer: SharedArrayBuffer; rows: (SharedRows | null)[] } {
  let bytes = 0;
  const rows = tensors.map((t): SharedRows | null => {
    if (!t) return null;
    const dtype = t.dtype as SharedRows['dtype'];
    if (!(dtype in ARRAYS)) throw new TypeError(`fit: workers cannot send ${t.dtype} batch tensors to a worker; use float32, int32 or bool`);
    const entry = { offset: bytes, shape: [end - start, ...t.shape.slice(1)], dtype };
    bytes += aligned((end - start) * rowSize(t) * ARRAYS[dtype].BYTES_PER_ELEMENT);
    return entry;
  });
  // Grown by half again so a fit whose batches vary in size stops growing it soon.
  const target = buffer.byteLength >= bytes ? buffer : new SharedArrayBuffer(Math.ceil(bytes * 1.5));
  tensors.forEach((t, i) => {
    if (!t) return;
    const size = rowSize(t);
    const values = wasmHeapView(t, start * size, end * size) ?? (t.dataSync() as Values).subarray(start * size, end * size);
    viewOf(target, rows[i]!).set(values);
  });
  return { buffer: target, rows };
}

/**
 * A tensor of the rows in `buffer`. The wasm backend copies them into its heap; the cpu backend
 * keeps the view, which is safe because the step's tensors are freed before the worker replies.
 */
export function readRows(buffer: SharedArrayBuffer, rows: SharedRows): tf.Tensor {
  return tf.tensor(viewOf(buffer, rows), rows.shape, rows.dtype);
}
