/**
 * Loads the fused-kernel WebAssembly module (wasm/lstm, built by wasm/build.mjs) into its own
 * linear memory and hands out 16-byte aligned buffers in it.
 *
 * Two builds exist: plain 128-bit SIMD and SIMD + relaxed SIMD (one FMA per multiply-add). V8
 * ≥ 11.4 (VS Code's Electron) accepts relaxed SIMD by default; Node 20 (V8 11.3) only after a
 * flag that must be set before the first module using it is compiled. Which build runs is decided
 * by WebAssembly.validate on the relaxed bytes, never by version numbers.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { setFlagsFromString } from 'node:v8';

export type SimdVariant = 'relaxed' | 'simd';

export const VARIANT_FILES: Record<SimdVariant, string> = { relaxed: 'lstm-relaxed.wasm', simd: 'lstm-simd.wasm' };

// The project compiles without the DOM library, which is where TypeScript declares the
// WebAssembly global; the few members used here are typed locally instead.
interface WasmMemory {
  readonly buffer: ArrayBuffer;
  grow(pages: number): number;
}
interface WasmApi {
  validate(bytes: Uint8Array): boolean;
  instantiate(bytes: Uint8Array, imports: Record<string, Record<string, unknown>>): Promise<{ instance: { exports: unknown } }>;
}
const wasm = (globalThis as unknown as { WebAssembly: WasmApi }).WebAssembly;

/** The module's exports. Pointers are byte offsets into `memory`. */
export interface FusedExports {
  memory: WasmMemory;
  heapBase(): number;
  layerForward(desc: number, T: number): void;
  layerBackward(desc: number, T: number, accumulate: number): void;
  layerBackwardState(desc: number, T: number, accumulate: number, carryIn: number, stateOut: number): void;
  layerLastStepNorms(desc: number, T: number): void;
  setProfiling(on: number): void;
  profileMs(phase: number): number;
  gemm(M: number, N: number, K: number, a: number, aPanel: number, aStep: number, b: number, c: number, ldc: number, accumulate: number): void;
  matmul(M: number, N: number, K: number, a: number, b: number, c: number, scratchA: number, scratchB: number): void;
  matmulTransA(M: number, N: number, K: number, a: number, b: number, c: number, scratchB: number): void;
  packA(src: number, ld: number, M: number, K: number, dst: number): void;
  packB(src: number, ld: number, rows: number, N: number, dst: number, K: number, k0: number): void;
  mapArray(kind: number, src: number, dst: number, n: number): void;
  headForwardBackward(
    N: number, Hd: number, V: number, Vp: number, h: number, targets: number, wy: number, by: number,
    logits: number, dH: number, dWy: number, dby: number, scratchA: number, scratchB: number,
  ): number;
  sumSquares(x: number, n: number): number;
  adamStep(p: number, g: number, m: number, v: number, n: number, lr: number, beta1: number, beta2: number, eps: number, step: number, gradScale: number): void;
}

/**
 * Lets Node 20 compile relaxed SIMD. Harmless where it is already on; must run before the
 * relaxed module is compiled (also in worker threads started afterwards, which inherit it).
 */
export function enableRelaxedSimd(): void {
  try {
    setFlagsFromString('--experimental-wasm-relaxed-simd');
  } catch {
    // Flags locked (e.g. an embedder that forbids them): WebAssembly.validate decides below.
  }
}

const PAGE = 65536;

export class FusedModule {
  private top: number;

  private constructor(readonly exports: FusedExports, readonly variant: SimdVariant) {
    this.top = align(exports.heapBase(), 64);
  }

  /**
   * Compiles the best variant found in `dir` (relaxed when this runtime validates it), or the one
   * asked for. Phase timing calls `now` only while profiling is on.
   */
  static async load(dir: string, want?: SimdVariant): Promise<FusedModule> {
    const read = (v: SimdVariant) => fs.readFileSync(path.join(dir, VARIANT_FILES[v]));
    let variant: SimdVariant = want ?? 'relaxed';
    let bytes = read(variant);
    // V8's flags are touched only where relaxed SIMD is not on already (Node 20, not VS Code's Electron).
    if (variant === 'relaxed' && !wasm.validate(bytes)) enableRelaxedSimd();
    if (!wasm.validate(bytes)) {
      if (want === 'relaxed') throw new Error('this runtime does not support relaxed SIMD');
      variant = 'simd';
      bytes = read(variant);
      if (!wasm.validate(bytes)) throw new Error('this runtime does not support WebAssembly SIMD');
    }
    const { instance } = await wasm.instantiate(bytes, { env: { now: () => performance.now() } });
    return new FusedModule(instance.exports as unknown as FusedExports, variant);
  }

  /** Reserves `bytes` (rounded up to 64) and returns the byte offset; grows memory as needed. */
  alloc(bytes: number): number {
    const at = this.top;
    this.top = align(at + bytes, 64);
    const have = this.exports.memory.buffer.byteLength;
    if (this.top > have) this.exports.memory.grow(Math.ceil((this.top - have) / PAGE));
    return at;
  }

  /** A view of n floats at `ptr`. Views die when memory grows: take them after allocating. */
  f32(ptr: number, n: number): Float32Array {
    return new Float32Array(this.exports.memory.buffer, ptr, n);
  }

  i32(ptr: number, n: number): Int32Array {
    return new Int32Array(this.exports.memory.buffer, ptr, n);
  }
}

function align(n: number, to: number): number {
  return Math.ceil(n / to) * to;
}
