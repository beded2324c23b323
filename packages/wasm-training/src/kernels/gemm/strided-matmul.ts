/**
 * Batched matrix products on the wasm heap through the strided GEMM: a transposed operand is
 * read through swapped strides (no Transpose kernel, no copy), and nothing is cached per tensor
 * id, so an optimizer update (a new weight tensor every step) costs nothing extra.
 */
import type { TensorInfo, WasmBackendLike } from '../../compose.js';
import { heapGemm } from './module.js';

/** The clamps the GEMM applies itself; every other activation runs as its own kernel after it. */
export type GemmClamp = 'linear' | 'relu' | 'relu6';
const CLAMP_CODE: Record<GemmClamp, number> = { linear: 0, relu: 1, relu6: 2 };

export interface StridedMatMulArgs {
  a: TensorInfo;
  b: TensorInfo;
  transposeA: boolean;
  transposeB: boolean;
  /** A rank-1 bias of n values added to every row (see isRowBias), or undefined. */
  bias?: TensorInfo;
  clamp?: GemmClamp;
}

const size = (shape: readonly number[]) => shape.reduce((p, v) => p * v, 1);

/** True when `bias` is what the GEMM adds in place: float32, rank 1, one value per output column. */
export function isRowBias(bias: TensorInfo, n: number): boolean {
  return bias.dtype === 'float32' && bias.shape.length === 1 && bias.shape[0] === n;
}

/**
 * The batch dimensions of the output (tfjs broadcasting, aligned right), when the GEMM can walk
 * them with one stride per operand: equal batches, or one side a single matrix. Null otherwise
 * (mixed broadcasting such as [2, 1] x [1, 3] is left to the composed path).
 */
function outerShape(outerA: number[], outerB: number[]): number[] | null {
  const rank = Math.max(outerA.length, outerB.length);
  const dimA = (i: number) => outerA[i - rank + outerA.length] ?? 1;
  const dimB = (i: number) => outerB[i - rank + outerB.length] ?? 1;
  const outer: number[] = [];
  let sameBatches = true;
  for (let i = 0; i < rank; i++) {
    const [da, db] = [dimA(i), dimB(i)];
    if (da !== db && da !== 1 && db !== 1) return null;
    if (da !== db) sameBatches = false;
    outer.push(da === 1 ? db : da);
  }
  return sameBatches || size(outerA) === 1 || size(outerB) === 1 ? outer : null;
}

/**
 * act(op(a) * op(b) + bias) as a new wasm tensor the caller owns, where op transposes the last
 * two axes when asked. Returns null when the GEMM cannot take these inputs (non-float32, shapes
 * that do not match, general broadcasting, a backend without the heap internals); the caller
 * then runs the composed kernels, which also produce tfjs's own error messages.
 */
export function stridedMatMul(backend: WasmBackendLike, args: StridedMatMulArgs): TensorInfo | null {
  const { a, b, transposeA, transposeB, bias } = args;
  if (a.dtype !== 'float32' || b.dtype !== 'float32' || a.shape.length < 2 || b.shape.length < 2) return null;
  const gemm = heapGemm(backend);
  if (gemm === null) return null;
  const ra = a.shape.length;
  const rb = b.shape.length;
  const m = transposeA ? a.shape[ra - 1]! : a.shape[ra - 2]!;
  const k = transposeA ? a.shape[ra - 2]! : a.shape[ra - 1]!;
  const kB = transposeB ? b.shape[rb - 1]! : b.shape[rb - 2]!;
  const n = transposeB ? b.shape[rb - 2]! : b.shape[rb - 1]!;
  if (k !== kB || (bias !== undefined && !isRowBias(bias, n))) return null;
  const outerA = a.shape.slice(0, -2);
  const outerB = b.shape.slice(0, -2);
  const outer = outerShape(outerA, outerB);
  if (outer === null) return null;
  const batchA = size(outerA);
  const batchB = size(outerB);
  const out = backend.makeOutput([...outer, m, n], 'float32');
  if (m * n === 0 || size(outer) === 0) return out;

  // A stack of matrices times one shared B is one taller product: B is packed once.
  const fold = batchB === 1 && batchA > 1 && !transposeA;
  const batch = fold ? 1 : Math.max(batchA, batchB);
  const rows = fold ? batchA * m : m;
  const { exports } = gemm;
  const scratch = gemm.malloc(exports.scratchFloats(n) * 4);
  try {
    exports.gemm(
      batch, rows, n, k,
      k === 0 ? 0 : gemm.offset(a.dataId), batchA === 1 ? 0 : m * k, transposeA ? 1 : k, transposeA ? m : 1,
      k === 0 ? 0 : gemm.offset(b.dataId), batchB === 1 ? 0 : k * n, transposeB ? 1 : n, transposeB ? k : 1,
      gemm.offset(out.dataId), bias === undefined ? 0 : gemm.offset(bias.dataId),
      CLAMP_CODE[args.clamp ?? 'linear'], scratch,
    );
  } finally {
    gemm.free(scratch);
  }
  return out;
}
