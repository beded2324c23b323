/**
 * BatchMatMul and _FusedMatMul for the wasm backend.
 *
 * The stock wasm kernels run transposed products about ten times slower than plain ones
 * (94.6 ms vs 7.2 ms for the [128,784]^T x [128,512] product of an MLP's backward pass), and
 * their fast path (XNNPACK) re-packs the weights whenever the weight tensor is new, which after
 * every optimizer update it is. Both kernels therefore run the strided GEMM of ./gemm (every
 * transpose read in place, bias and relu/relu6 fused). Where it cannot run (inputs it does not
 * take, or a backend without the heap internals it needs) they fall back to the composed path:
 * transpose the operand with the wasm Transpose kernel, then the stock untransposed product.
 */
import { release, run, transpose, type Attrs, type KernelArgs, type TensorInfo, type WasmBackendLike } from '../compose.js';
import { isRowBias, stridedMatMul, type GemmClamp } from './gemm/strided-matmul.js';

/** 'strided': the GEMM of ./gemm; 'transpose': Transpose + stock product (see RegisterOptions). */
export type MatMulPath = 'strided' | 'transpose';
let matMulPath: MatMulPath = 'strided';

/** How many products each path has computed in this process (see matMulCounts). */
const counts = { strided: 0, transpose: 0 };

/**
 * Products computed so far by the strided GEMM and by the transpose-then-stock path, so a user
 * (or a test) can see that a model's matrix products take the fast path.
 */
export function matMulCounts(): { strided: number; transpose: number } {
  return { ...counts };
}

export function setMatMulPath(path: MatMulPath): void {
  if (path !== 'strided' && path !== 'transpose') {
    throw new Error(`@losskit/wasm-training: matmul must be 'strided' or 'transpose', got ${JSON.stringify(path)}`);
  }
  matMulPath = path;
}

function swapLastTwo(rank: number): number[] {
  const perm = Array.from({ length: rank }, (_, i) => i);
  perm[rank - 2] = rank - 1;
  perm[rank - 1] = rank - 2;
  return perm;
}

/** Materialises the transpose of the last two axes when asked to, otherwise passes x through. */
function untranspose(backend: WasmBackendLike, x: TensorInfo, transposed: boolean): TensorInfo {
  if (!transposed || x.shape.length < 2) return x;
  return transpose(backend, x, swapLastTwo(x.shape.length));
}

export function batchMatMulKernel({ inputs, backend, attrs }: KernelArgs): TensorInfo {
  const a = inputs['a']!;
  const b = inputs['b']!;
  const transposeA = Boolean(attrs['transposeA']);
  const transposeB = Boolean(attrs['transposeB']);
  const fast = matMulPath === 'strided' ? stridedMatMul(backend, { a, b, transposeA, transposeB }) : null;
  if (fast !== null) {
    counts.strided++;
    return fast;
  }
  counts.transpose++;
  if ((!transposeA && !transposeB) || a.dtype !== 'float32' || b.dtype !== 'float32') {
    return run('BatchMatMul', backend, inputs, attrs);
  }
  const a2 = untranspose(backend, a, transposeA);
  const b2 = untranspose(backend, b, transposeB);
  try {
    return run('BatchMatMul', backend, { a: a2, b: b2 }, { ...attrs, transposeA: false, transposeB: false });
  } finally {
    if (a2 !== a) release(backend, a2);
    if (b2 !== b) release(backend, b2);
  }
}

/** The wasm kernel (and its attributes) that applies a fused activation, if any. */
function activationKernel(activation: string, attrs: Attrs, prelu: TensorInfo | undefined):
  { name: string; inputs: Record<string, TensorInfo>; attrs: Attrs } | null {
  switch (activation) {
    case 'linear': return null;
    case 'relu': return { name: 'Relu', inputs: {}, attrs: {} };
    case 'relu6': return { name: 'Relu6', inputs: {}, attrs: {} };
    case 'elu': return { name: 'Elu', inputs: {}, attrs: {} };
    case 'sigmoid': return { name: 'Sigmoid', inputs: {}, attrs: {} };
    case 'leakyrelu': return { name: 'LeakyRelu', inputs: {}, attrs: { alpha: attrs['leakyreluAlpha'] ?? 0.2 } };
    case 'prelu': return { name: 'Prelu', inputs: { alpha: prelu! }, attrs: {} };
    default: throw new Error(`@losskit/wasm-training: fused activation '${activation}' is not supported`);
  }
}

/** Applies the fused activation that the GEMM does not (anything but linear, relu, relu6). */
function applyActivation(backend: WasmBackendLike, out: TensorInfo, attrs: Attrs, prelu: TensorInfo | undefined): TensorInfo {
  const act = activationKernel(String(attrs['activation'] ?? 'linear'), attrs, prelu);
  if (act === null) return out;
  try {
    return run(act.name, backend, { x: out, ...act.inputs }, act.attrs);
  } finally {
    release(backend, out);
  }
}

const GEMM_CLAMPS: readonly string[] = ['linear', 'relu', 'relu6'] satisfies GemmClamp[];

/**
 * _FusedMatMul on the strided GEMM: a rank-1 bias and relu/relu6 are fused into it; another
 * bias shape is added, and other activations applied, by the wasm kernels after it.
 */
function gemmFusedMatMul({ inputs, backend, attrs }: KernelArgs): TensorInfo | null {
  if (matMulPath !== 'strided') return null;
  const a = inputs['a']!;
  const b = inputs['b']!;
  const bias = inputs['bias'];
  const activation = String(attrs['activation'] ?? 'linear');
  const transposeA = Boolean(attrs['transposeA']);
  const transposeB = Boolean(attrs['transposeB']);
  const n = transposeB ? b.shape[b.shape.length - 2]! : b.shape[b.shape.length - 1]!;
  const fuseBias = bias !== undefined && isRowBias(bias, n);
  const fuseClamp = GEMM_CLAMPS.includes(activation) && (bias === undefined || fuseBias);
  let out = stridedMatMul(backend, {
    a, b, transposeA, transposeB,
    ...(fuseBias ? { bias } : {}),
    clamp: fuseClamp ? (activation as GemmClamp) : 'linear',
  });
  if (out === null) return null;
  if (bias !== undefined && !fuseBias) {
    const withBias = run('Add', backend, { a: out, b: bias });
    release(backend, out);
    out = withBias;
  }
  return fuseClamp ? out : applyActivation(backend, out, attrs, inputs['preluActivationWeights']);
}

/**
 * _FusedMatMul. Runs gemmFusedMatMul where it can; otherwise, besides the transposes, this fixes a stock bug: with a batch of more than one
 * matrix, the stock kernel adds the bias to the first matrix only. When b is shared across the
 * batch the rows of a are folded into one matrix (one larger, faster product); otherwise the
 * product, the bias and the activation run as separate wasm kernels.
 */
export function fusedMatMulKernel(args: KernelArgs): TensorInfo {
  const fast = gemmFusedMatMul(args);
  if (fast !== null) {
    counts.strided++;
    return fast;
  }
  counts.transpose++;
  const { inputs, backend, attrs } = args;
  const a = inputs['a']!;
  const b = inputs['b']!;
  const bias = inputs['bias'];
  const prelu = inputs['preluActivationWeights'];
  const transposeA = Boolean(attrs['transposeA']);
  const transposeB = Boolean(attrs['transposeB']);
  const batchA = a.shape.slice(0, -2).reduce((p, v) => p * v, 1);
  const batchB = b.shape.slice(0, -2).reduce((p, v) => p * v, 1);
  const batched = Math.max(batchA, batchB) > 1;
  const stockOk = a.dtype === 'float32' && b.dtype === 'float32' && a.shape.length === 3 && b.shape.length === 3
    && (bias === undefined || bias.shape.length === 1);
  if (stockOk && !transposeA && !transposeB && (!batched || bias === undefined)) {
    return run('_FusedMatMul', backend, inputs, attrs);
  }
  const a2 = untranspose(backend, a, transposeA);
  const b2 = untranspose(backend, b, transposeB);
  const owned: TensorInfo[] = [];
  if (a2 !== a) owned.push(a2);
  if (b2 !== b) owned.push(b2);
  try {
    const plain = { ...attrs, transposeA: false, transposeB: false };
    if (stockOk && (!batched || bias === undefined)) {
      return run('_FusedMatMul', backend, { ...inputs, a: a2, b: b2 }, plain);
    }
    if (stockOk && batchB === 1) {
      const [, m, k] = a2.shape as [number, number, number];
      const n = b2.shape[2]!;
      const out = run('_FusedMatMul', backend, { ...inputs, a: { ...a2, shape: [1, batchA * m, k] }, b: b2 }, plain);
      return { ...out, shape: [batchA, m, n] };
    }
    let out = run('BatchMatMul', backend, { a: a2, b: b2 }, plain);
    if (bias !== undefined) {
      const withBias = run('Add', backend, { a: out, b: bias });
      release(backend, out);
      out = withBias;
    }
    return applyActivation(backend, out, attrs, prelu);
  } finally {
    release(backend, ...owned);
  }
}
