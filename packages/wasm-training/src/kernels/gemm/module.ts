/**
 * Loads the strided GEMM module (assembly/gemm.ts) into a wasm backend's own memory, so it reads
 * the backend's tensors in place and writes the output tensor directly: no copies in or out.
 */
import type { WasmBackendLike } from '../../compose.js';
import { GEMM_RELAXED_WASM_BASE64, GEMM_WASM_BASE64 } from './gemm-wasm.generated.js';

export interface GemmExports {
  /** See assembly/gemm.ts: pointers are byte offsets into the backend heap, strides in elements. */
  gemm(
    batch: number, m: number, n: number, k: number,
    a: number, aBatch: number, aRow: number, aCol: number,
    b: number, bBatch: number, bRow: number, bCol: number,
    c: number, bias: number, act: number, scratch: number,
  ): void;
  scratchFloats(n: number): number;
}

/** The parts of tfjs-backend-wasm 4.x's BackendWasm that are not in its public typings. */
interface BackendInternals {
  wasm?: {
    asm?: { memory?: unknown };
    _malloc?: (bytes: number) => number;
    _free?: (ptr: number) => void;
  };
  dataIdMap?: { get(dataId: object): { memoryOffset?: number } | undefined };
}

/** What the kernels need from one backend: the module instance and the heap helpers. */
export interface HeapGemm {
  exports: GemmExports;
  malloc(bytes: number): number;
  free(ptr: number): void;
  /** Byte offset of a tensor's data in the heap. */
  offset(dataId: object): number;
}

/**
 * The WebAssembly JS API as this file uses it. The repo compiles against lib ES2022 without DOM
 * (whose typings declare it), and both Node and browsers provide it as a global.
 */
interface WasmApi {
  Memory: abstract new (...args: never[]) => object;
  Module: new (bytes: Uint8Array) => object;
  validate(bytes: Uint8Array): boolean;
  Instance: new (module: object, imports: object) => { exports: unknown };
}
const WebAssemblyApi = (globalThis as unknown as { WebAssembly?: WasmApi }).WebAssembly;

let compiled: object | null | undefined;
let build: GemmBuild = 'none';

/** Which GEMM build this runtime runs: relaxed SIMD (fused multiply-add), SIMD, or none (fallback path). */
export type GemmBuild = 'relaxed-simd' | 'simd' | 'none';

export function gemmBuild(): GemmBuild {
  compile();
  return build;
}

const decode = (b64: string) => Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));
const instances = new WeakMap<object, HeapGemm | null>();

function compile(): object | null {
  if (compiled === undefined) {
    if (WebAssemblyApi === undefined) return (compiled = null);
    try {
      // relaxed SIMD where the runtime has it (Chrome 114+, Node 22+, Node 20 with
      // --experimental-wasm-relaxed-simd), else plain SIMD
      const relaxed = decode(GEMM_RELAXED_WASM_BASE64);
      const useRelaxed = WebAssemblyApi.validate(relaxed);
      compiled = new WebAssemblyApi.Module(useRelaxed ? relaxed : decode(GEMM_WASM_BASE64));
      build = useRelaxed ? 'relaxed-simd' : 'simd';
    } catch {
      compiled = null; // a runtime without wasm SIMD: the kernels fall back to the composed path
    }
  }
  return compiled;
}

/**
 * The GEMM bound to `backend`'s heap, or null when this backend does not expose what it needs
 * (another tfjs-backend-wasm version, or no wasm SIMD); callers then use the composed kernels.
 */
export function heapGemm(backend: WasmBackendLike): HeapGemm | null {
  const internals = backend as unknown as BackendInternals;
  const memory = internals.wasm?.asm?.memory;
  if (WebAssemblyApi === undefined || !(memory instanceof WebAssemblyApi.Memory)) return null;
  const cached = instances.get(memory);
  if (cached !== undefined) return cached;
  const module = compile();
  const { _malloc: malloc, _free: free } = internals.wasm ?? {};
  const dataIdMap = internals.dataIdMap;
  let result: HeapGemm | null = null;
  if (module !== null && malloc !== undefined && free !== undefined && dataIdMap !== undefined) {
    const instance = new WebAssemblyApi.Instance(module, { env: { memory } });
    result = {
      exports: instance.exports as unknown as GemmExports,
      malloc: (bytes) => malloc(bytes),
      free: (ptr) => free(ptr),
      offset: (dataId) => {
        const off = dataIdMap.get(dataId)?.memoryOffset;
        if (off === undefined) throw new Error('@losskit/wasm-training: a matMul input has no data on the wasm heap');
        return off;
      },
    };
  }
  instances.set(memory, result);
  return result;
}
