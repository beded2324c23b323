/**
 * GatherV2 (replaced) for the wasm backend. The stock kernel computes every output element's
 * source offset with strided index arithmetic: gathering x and y of a shuffled batch of 256
 * MNIST rows (200K values) took about 10 ms, a quarter of a 256-row MLP training step, on the
 * trainer's thread before every step (so it is also what a `workers` fit cannot spread). A
 * gather copies whole contiguous slices, so here each slice is one copy over the wasm heap.
 * Only `batchDims` 0 is handled here; other gathers run the stock kernel.
 */
import { run, type KernelArgs, type TensorInfo } from '../compose.js';

/** Below this many values per slice, a plain loop beats a subarray copy per slice. */
const COPY_THRESHOLD = 32;

export function gatherKernel(args: KernelArgs): TensorInfo {
  const { inputs, backend, attrs } = args;
  const x = inputs['x']!;
  const indices = inputs['indices']!;
  if (((attrs['batchDims'] as number | undefined) ?? 0) !== 0) return run('GatherV2', backend, inputs, attrs);
  const rank = x.shape.length;
  const requested = attrs['axis'] as number;
  const axis = requested < 0 ? requested + rank : requested;
  const outer = x.shape.slice(0, axis).reduce((p, v) => p * v, 1);
  const dimSize = x.shape[axis]!;
  const sliceSize = x.shape.slice(axis + 1).reduce((p, v) => p * v, 1);
  const count = indices.shape.reduce((p, v) => p * v, 1);
  const ids = backend.typedArrayFromHeap(indices);
  // Out-of-range indices are an error, as in the stock wasm kernel (cpu agrees).
  for (let i = 0; i < count; i++) {
    const index = ids[i]!;
    if (!(index >= 0 && index <= dimSize - 1)) throw new Error(`GatherV2: the index value ${index} is not in [0, ${dimSize - 1}]`);
  }
  const out = backend.makeOutput([...x.shape.slice(0, axis), ...indices.shape, ...x.shape.slice(axis + 1)], x.dtype);
  if (outer * count * sliceSize === 0) return out;
  // Views are taken after makeOutput: allocating may grow (and so move) the wasm heap.
  const dst = backend.typedArrayFromHeap(out);
  const src = backend.typedArrayFromHeap(x);
  const at = backend.typedArrayFromHeap(indices);
  for (let o = 0; o < outer; o++) {
    for (let i = 0; i < count; i++) {
      const from = (o * dimSize + at[i]!) * sliceSize;
      const to = (o * count + i) * sliceSize;
      if (sliceSize >= COPY_THRESHOLD) dst.set(src.subarray(from, from + sliceSize), to);
      else for (let k = 0; k < sliceSize; k++) dst[to + k] = src[from + k]!;
    }
  }
  return out;
}
