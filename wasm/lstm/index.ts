/**
 * Entry of the fused recurrent module: the layer kernels (every cell), the output layer and Adam, the matrix products
 * (exported for tests and measurement), and an elementwise helper used to check the approximations.
 */
import { exp4, sigmoid4, tanh4 } from './simd';

export { layerForward, layerBackward, layerBackwardState, layerLastStepNorms, setProfiling, profileMs } from './layer';
export { gemm, matmul, matmulTransA, packA, packB, packBT } from './gemm';
export { headForwardBackward, sumSquares, adamStep } from './head';

/** First byte after the module's static data: where the JS side may start allocating. */
export function heapBase(): usize {
  return __heap_base;
}

/** dst[i] = f(src[i]) for n floats (n % 4 == 0); f: 0 exp, 1 sigmoid, 2 tanh. For accuracy tests. */
export function mapArray(kind: i32, src: usize, dst: usize, n: i32): void {
  for (let i = 0; i < n; i += 4) {
    const o = <usize>i << 2;
    const x = v128.load(src + o);
    v128.store(dst + o, kind == 0 ? exp4(x) : kind == 1 ? sigmoid4(x) : tanh4(x));
  }
}
