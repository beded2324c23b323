// A strided single-precision matrix product for the tfjs wasm backend's own heap (AssemblyScript,
// compiled by scripts/build-gemm.mjs into src/kernels/gemm/gemm-wasm.generated.ts).
//
// Why: XNNPACK (behind the stock kernels) re-packs the weights whenever their tensor id changes,
// i.e. after every optimizer update, with a slow strided transposing pack; and it cannot take a
// transposed operand at all, so dX = dy * W^T and dW = x^T * dy need an explicit Transpose first.
// This kernel reads both operands through (row, column) strides, so every transpose combination
// is the same code, and packs only the current k-block of B with a cheap sequential copy.
//
// Scheme (GotoBLAS-style, one thread): for each block of KC rows and NC columns of B, pack it into
// panels of 8 columns (zero-padded past n); for each block of MC rows of A, pack it into panels
// of 4 rows; for each B panel and each A panel, a 4x8 register tile accumulates over the block, then the epilogue adds the bias (first block) or
// the partial sums already in C (later blocks) and clamps (relu / relu6) after the last block.
//
// The module imports the backend's memory and owns none of it: no data segments, no globals
// written to memory, no allocation. The caller passes every pointer, including the scratch.

// 512-deep k-blocks, split evenly (k = 784 runs as 2 x 392): each block is one more pass of
// read-modify-write over C and one more packing of A, so fewer, even blocks are about 10%
// faster on the MLP's products than 256-deep ones with a short last block. A 512 x 8 B panel
// (16 KB) still fits L1 and a 128 x 512 A block (256 KB) L2.
const KC: i32 = 512;
const NR: i32 = 8;
const MR: i32 = 4;
const MC: i32 = 128;
/** Columns of B packed at a time, so the scratch stays small (2.3 MB) however wide B is. */
const NC: i32 = 1024;

/** Scratch floats gemm needs for an output with n columns (packed B block plus one 4x8 tile). */
export function scratchFloats(n: i32): i32 {
  return KC * ((min(n, NC) + NR - 1) / NR) * NR + MC * KC + MR * NR;
}

/**
 * Copies rows [i0, i0 + mc) x columns [k0, k0 + kc) of A (strides in bytes) into 4-row panels at
 * `pack`, k-major: the 4 values a tile needs at each k are one vector load. Rows past m are 0.
 */
function packA(a: usize, aRow: usize, aCol: usize, m: i32, i0: i32, mc: i32, k0: i32, kc: i32, pack: usize): void {
  for (let ip = 0; ip < mc; ip += MR) {
    const dst = pack + <usize>(ip * kc) * 4;
    const rows = min(MR, m - i0 - ip);
    const base = a + <usize>(i0 + ip) * aRow + <usize>k0 * aCol;
    if (rows == MR && aRow == 4) {
      // A stored transposed: the 4 rows at one k are adjacent
      let src = base;
      for (let kk = 0; kk < kc; kk++) {
        v128.store(dst + <usize>(kk * MR) * 4, v128.load(src));
        src += aCol;
      }
    } else {
      for (let r = 0; r < MR; r++) {
        let d = dst + <usize>r * 4;
        if (r < rows) {
          let src = base + <usize>r * aRow;
          for (let kk = 0; kk < kc; kk++) {
            store<f32>(d, load<f32>(src));
            src += aCol;
            d += MR * 4;
          }
        } else {
          for (let kk = 0; kk < kc; kk++) {
            store<f32>(d, 0);
            d += MR * 4;
          }
        }
      }
    }
  }
}

/** Copies rows [k0, k0 + kc) of B (strides in bytes) into 8-column panels at `pack`. */
function packB(b: usize, bRow: usize, bCol: usize, n: i32, k0: i32, kc: i32, pack: usize): void {
  const panels = (n + NR - 1) / NR;
  for (let p = 0; p < panels; p++) {
    const j0 = p * NR;
    const dst = pack + <usize>(p * kc * NR) * 4;
    const cols = min(NR, n - j0);
    if (cols == NR && bCol == 4) {
      // rows of B are contiguous: two vector copies per k
      let src = b + <usize>k0 * bRow + <usize>j0 * 4;
      for (let kk = 0; kk < kc; kk++) {
        const d = dst + <usize>(kk * NR) * 4;
        v128.store(d, v128.load(src));
        v128.store(d, v128.load(src, 16), 16);
        src += bRow;
      }
    } else {
      // transposed or ragged B: walk each source column along k (sequential reads when B is
      // stored transposed), writing every 8th float of the panel
      for (let jj = 0; jj < NR; jj++) {
        let d = dst + <usize>jj * 4;
        if (jj < cols) {
          let src = b + <usize>k0 * bRow + <usize>(j0 + jj) * bCol;
          for (let kk = 0; kk < kc; kk++) {
            store<f32>(d, load<f32>(src));
            src += bRow;
            d += NR * 4;
          }
        } else {
          for (let kk = 0; kk < kc; kk++) {
            store<f32>(d, 0);
            d += NR * 4;
          }
        }
      }
    }
  }
}

/**
 * a * b + c. Built twice (scripts/build-gemm.mjs): with relaxed SIMD it is one fused
 * multiply-add, about 1.15-1.35x faster per product on AVX2 + FMA machines; without it, a
 * multiply and an add. The loader picks the relaxed build where the runtime validates it.
 */
// @ts-ignore: decorator
@inline function madd(a: v128, b: v128, c: v128): v128 {
  if (ASC_FEATURE_RELAXED_SIMD) return f32x4.relaxed_madd(a, b, c);
  return f32x4.add(c, f32x4.mul(a, b));
}

/**
 * One 4x8 tile of C: panel `ap` of packed A, panel `bp` of packed B, kc steps. Writes the 8
 * partial sums of each row into `tile` (4 rows of 8 floats).
 */
function tile4x8(kc: i32, ap: usize, bp: usize, tile: usize): void {
  let c00 = f32x4.splat(0), c01 = f32x4.splat(0);
  let c10 = f32x4.splat(0), c11 = f32x4.splat(0);
  let c20 = f32x4.splat(0), c21 = f32x4.splat(0);
  let c30 = f32x4.splat(0), c31 = f32x4.splat(0);
  let pa = ap, pb = bp;
  // Each A value is broadcast straight from memory (load32_splat, one load-port op on x64)
  // rather than loaded once and shuffled four times: shuffles compete with the multiplies and
  // adds for the vector ALUs, loads do not.
  for (let kk = 0; kk < kc; kk++) {
    const b0 = v128.load(pb);
    const b1 = v128.load(pb, 16);
    let av = v128.load32_splat(pa);
    c00 = madd(av, b0, c00);
    c01 = madd(av, b1, c01);
    av = v128.load32_splat(pa, 4);
    c10 = madd(av, b0, c10);
    c11 = madd(av, b1, c11);
    av = v128.load32_splat(pa, 8);
    c20 = madd(av, b0, c20);
    c21 = madd(av, b1, c21);
    av = v128.load32_splat(pa, 12);
    c30 = madd(av, b0, c30);
    c31 = madd(av, b1, c31);
    pa += MR * 4;
    pb += NR * 4;
  }
  v128.store(tile, c00); v128.store(tile, c01, 16);
  v128.store(tile, c10, 32); v128.store(tile, c11, 48);
  v128.store(tile, c20, 64); v128.store(tile, c21, 80);
  v128.store(tile, c30, 96); v128.store(tile, c31, 112);
}

/** Adds the tile to C (or the bias on the first block), clamps on the last, for rows x cols valid. */
function epilogue(tile: usize, c: usize, ldc: usize, rows: i32, cols: i32, first: bool, last: bool,
  bias: usize, act: i32): void {
  const lo: f32 = act == 0 ? -Infinity : 0;
  const hi: f32 = act == 2 ? 6 : Infinity;
  if (cols == NR) {
    const vlo = f32x4.splat(lo), vhi = f32x4.splat(hi);
    for (let r = 0; r < rows; r++) {
      const t = tile + <usize>(r * NR) * 4;
      const d = c + <usize>r * ldc;
      let v0 = v128.load(t), v1 = v128.load(t, 16);
      if (first) {
        if (bias != 0) { v0 = f32x4.add(v0, v128.load(bias)); v1 = f32x4.add(v1, v128.load(bias, 16)); }
      } else {
        v0 = f32x4.add(v0, v128.load(d)); v1 = f32x4.add(v1, v128.load(d, 16));
      }
      if (last && act != 0) {
        v0 = f32x4.min(f32x4.max(v0, vlo), vhi); v1 = f32x4.min(f32x4.max(v1, vlo), vhi);
      }
      v128.store(d, v0); v128.store(d, v1, 16);
    }
    return;
  }
  for (let r = 0; r < rows; r++) {
    for (let j = 0; j < cols; j++) {
      const d = c + <usize>r * ldc + <usize>j * 4;
      let v = load<f32>(tile + <usize>(r * NR + j) * 4);
      if (first) {
        if (bias != 0) v += load<f32>(bias + <usize>j * 4);
      } else {
        v += load<f32>(d);
      }
      if (last && act != 0) v = min(max(v, lo), hi);
      store<f32>(d, v);
    }
  }
}

/**
 * C[bi] = act(A[bi] * B[bi] + bias) for bi < batch. A is m x k, B is k x n, C is m x n row-major
 * (contiguous). Pointers are byte offsets into the memory; strides are in elements, so a
 * transposed operand is the same matrix with its strides swapped, and a batch stride of 0
 * broadcasts. `bias` (n floats) is 0 for none; `act` is 0 linear, 1 relu, 2 relu6. `scratch`
 * holds scratchFloats(n) floats.
 */
export function gemm(
  batch: i32, m: i32, n: i32, k: i32,
  a: usize, aBatch: i32, aRow: i32, aCol: i32,
  b: usize, bBatch: i32, bRow: i32, bCol: i32,
  c: usize, bias: usize, act: i32, scratch: usize,
): void {
  const packedA = scratch + <usize>(KC * ((min(n, NC) + NR - 1) / NR) * NR) * 4;
  const tile = packedA + <usize>(MC * KC) * 4;
  const ldc = <usize>n * 4;
  const aRowB = <usize>aRow * 4, aColB = <usize>aCol * 4;
  const bRowB = <usize>bRow * 4, bColB = <usize>bCol * 4;
  for (let bi = 0; bi < batch; bi++) {
    const ab = a + <usize>bi * <usize>aBatch * 4;
    const bb = b + <usize>bi * <usize>bBatch * 4;
    const cb = c + <usize>bi * <usize>m * ldc;
    if (k == 0) {
      // an empty inner dimension: C is the bias (or zero), clamped
      for (let i = 0; i < m; i++) {
        for (let j = 0; j < n; j++) {
          let v: f32 = bias != 0 ? load<f32>(bias + <usize>j * 4) : 0;
          if (act != 0) v = min(max(v, <f32>0), act == 2 ? <f32>6 : <f32>Infinity);
          store<f32>(cb + <usize>i * ldc + <usize>j * 4, v);
        }
      }
      continue;
    }
    // k in equal blocks of at most KC (784 = 2 x 392, not 512 + 272): no short last block
    const blocks = (k + KC - 1) / KC;
    const kb = (k + blocks - 1) / blocks;
    for (let k0 = 0; k0 < k; k0 += kb) {
      const kc = min(kb, k - k0);
      const first = k0 == 0;
      const last = k0 + kc >= k;
      for (let jc = 0; jc < n; jc += NC) {
        const nc = min(NC, n - jc);
        const panels = (nc + NR - 1) / NR;
        packB(bb + <usize>jc * bColB, bRowB, bColB, nc, k0, kc, scratch);
        for (let i0 = 0; i0 < m; i0 += MC) {
          const mc = min(MC, m - i0);
          packA(ab, aRowB, aColB, m, i0, mc, k0, kc, packedA);
          // one B panel (kc x 8) stays in L1 while the A panels of this row block stream past it
          for (let p = 0; p < panels; p++) {
            const j0 = jc + p * NR;
            const bp = scratch + <usize>(p * kc * NR) * 4;
            for (let ir = 0; ir < mc; ir += MR) {
              tile4x8(kc, packedA + <usize>(ir * kc) * 4, bp, tile);
              epilogue(tile, cb + <usize>(i0 + ir) * ldc + <usize>j0 * 4, ldc, min(MR, mc - ir), min(NR, n - j0),
                first, last, bias != 0 ? bias + <usize>j0 * 4 : 0, act);
            }
          }
        }
      }
    }
  }
}
