/**
 * UnsortedSegmentSum for the wasm backend, which has none. It is the gradient of GatherV2,
 * so without it an Embedding layer (or any tf.gather on a trained tensor) cannot train on
 * wasm. A scatter-add is a single pass over the data, so it is written directly over the
 * wasm heap (as the stock wasm Slice kernel does) rather than composed.
 */
import type { KernelArgs, TensorInfo } from '../compose.js';

export function unsortedSegmentSumKernel({ inputs, backend, attrs }: KernelArgs): TensorInfo {
  const x = inputs['x']!;
  const segmentIds = inputs['segmentIds']!;
  const numSegments = attrs['numSegments'] as number;
  const idsCount = segmentIds.shape.reduce((p, v) => p * v, 1);
  const inner = x.shape.slice(segmentIds.shape.length).reduce((p, v) => p * v, 1);
  const out = backend.makeOutput([numSegments, ...x.shape.slice(segmentIds.shape.length)], x.dtype);
  // Views are taken after makeOutput: allocating may grow (and so move) the wasm heap.
  const dst = backend.typedArrayFromHeap(out);
  const src = backend.typedArrayFromHeap(x);
  const ids = backend.typedArrayFromHeap(segmentIds);
  dst.fill(0);
  for (let i = 0; i < idsCount; i++) {
    const s = ids[i]!;
    if (s < 0 || s >= numSegments) continue; // TensorFlow drops out-of-range ids
    const from = i * inner;
    const to = s * inner;
    for (let j = 0; j < inner; j++) dst[to + j]! += src[from + j]!;
  }
  return out;
}
