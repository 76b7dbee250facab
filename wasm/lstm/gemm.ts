/**
 * Single-precision matrix products C (+)= A·B with a 4×8 register tile.
 *
 * Operands are "panels" so that the inner loop reads both of them sequentially:
 * - A is read 4 rows at a time. Panel p (rows 4p..4p+3) starts at `a + p·aPanel` bytes and holds,
 *   for each k, the 4 values A[4p..4p+3, k] as 16 contiguous bytes; the next k is `aStep` bytes
 *   further. `packA` produces aStep = 16. A matrix stored transposed ([K, M] row-major, e.g. the
 *   window's h_{t-1} rows when forming hᵀ·dZ) already has that shape with aStep = M·4, so it is used
 *   in place.
 * - B is packed in 8-column panels: panel j holds B[k, 8j..8j+7] for k = 0..K−1 (32 bytes per k).
 *
 * The tile's 8 accumulators plus 2 B vectors and one broadcast A value fit the 16 SIMD registers
 * of x86-64 without spilling. K is walked in blocks of KC so that a B panel block (KC·32 bytes)
 * stays in L1 while every A panel passes over it.
 *
 * Shape requirements (checked by the callers): M % 4 == 0, N % 8 == 0, K % 4 == 0 for packA.
 * All pointers are byte offsets into this module's memory and 16-byte aligned.
 */
import { madd } from './simd';

const KC: i32 = 256;

/** Packs A [M, K] (row-major, `ld` floats per row) into 4-row panels, aStep = 16. */
export function packA(src: usize, ld: i32, M: i32, K: i32, dst: usize): void {
  const rowBytes = <usize>ld << 2;
  for (let p = 0; p < M; p += 4) {
    const r0 = src + <usize>p * rowBytes;
    const r1 = r0 + rowBytes;
    const r2 = r1 + rowBytes;
    const r3 = r2 + rowBytes;
    let out = dst + (<usize>p * <usize>K << 2);
    for (let k = 0; k < K; k += 4) {
      const off = <usize>k << 2;
      // 4×4 transpose: rows (a, b, c, d) → columns (a_k, b_k, c_k, d_k) for k..k+3.
      const a = v128.load(r0 + off);
      const b = v128.load(r1 + off);
      const c = v128.load(r2 + off);
      const d = v128.load(r3 + off);
      const t0 = i32x4.shuffle(a, b, 0, 4, 1, 5);
      const t1 = i32x4.shuffle(a, b, 2, 6, 3, 7);
      const t2 = i32x4.shuffle(c, d, 0, 4, 1, 5);
      const t3 = i32x4.shuffle(c, d, 2, 6, 3, 7);
      v128.store(out, i32x4.shuffle(t0, t2, 0, 1, 4, 5));
      v128.store(out, i32x4.shuffle(t0, t2, 2, 3, 6, 7), 16);
      v128.store(out, i32x4.shuffle(t1, t3, 0, 1, 4, 5), 32);
      v128.store(out, i32x4.shuffle(t1, t3, 2, 3, 6, 7), 48);
      out += 64;
    }
  }
}

/**
 * Packs rows k0..k0+rows−1 of B [K, N] (row-major, `ld` floats per row) into the 8-column panels
 * of a packed matrix with K rows in total. Packing a whole matrix is k0 = 0, rows = K; the
 * backward pass packs one time step's rows at a time.
 */
export function packB(src: usize, ld: i32, rows: i32, N: i32, dst: usize, K: i32, k0: i32): void {
  const rowBytes = <usize>ld << 2;
  const panelBytes = <usize>K << 5;
  for (let k = 0; k < rows; k++) {
    const s = src + <usize>k * rowBytes;
    let d = dst + (<usize>(k0 + k) << 5);
    for (let j = 0; j < N; j += 8) {
      v128.store(d, v128.load(s + (<usize>j << 2)));
      v128.store(d, v128.load(s + (<usize>j << 2), 16), 16);
      d += panelBytes;
    }
  }
}

/** Packs B = Sᵀ, where S is [N, K] row-major with `ld` floats per row (B[k, n] = S[n, k]). */
export function packBT(src: usize, ld: i32, K: i32, N: i32, dst: usize): void {
  const rowBytes = <usize>ld << 2;
  for (let j = 0; j < N; j += 8) {
    const s0 = src + <usize>j * rowBytes;
    let d = dst + (<usize>j * <usize>K << 2);
    for (let k = 0; k < K; k += 4) {
      const off = <usize>k << 2;
      // Two 4×4 transposes: rows 8j..8j+3 give the low half of each packed k, rows +4..+7 the high.
      for (let half = 0; half < 2; half++) {
        const r0 = s0 + <usize>(half * 4) * rowBytes + off;
        const a = v128.load(r0);
        const b = v128.load(r0 + rowBytes);
        const c = v128.load(r0 + 2 * rowBytes);
        const e = v128.load(r0 + 3 * rowBytes);
        const t0 = i32x4.shuffle(a, b, 0, 4, 1, 5);
        const t1 = i32x4.shuffle(a, b, 2, 6, 3, 7);
        const t2 = i32x4.shuffle(c, e, 0, 4, 1, 5);
        const t3 = i32x4.shuffle(c, e, 2, 6, 3, 7);
        const o = d + (<usize>half << 4);
        v128.store(o, i32x4.shuffle(t0, t2, 0, 1, 4, 5));
        v128.store(o, i32x4.shuffle(t0, t2, 2, 3, 6, 7), 32);
        v128.store(o, i32x4.shuffle(t1, t3, 0, 1, 4, 5), 64);
        v128.store(o, i32x4.shuffle(t1, t3, 2, 3, 6, 7), 96);
      }
      d += 128;
    }
  }
}

/** One 4×8 tile of C over kc values of k. `ldc` is C's row stride in bytes. */
function tile4x8(kc: i32, pa0: usize, aStep: usize, pb0: usize, pc: usize, ldc: usize, accumulate: bool): void {
  let c00: v128, c01: v128, c10: v128, c11: v128, c20: v128, c21: v128, c30: v128, c31: v128;
  const r1 = pc + ldc;
  const r2 = r1 + ldc;
  const r3 = r2 + ldc;
  if (accumulate) {
    c00 = v128.load(pc); c01 = v128.load(pc, 16);
    c10 = v128.load(r1); c11 = v128.load(r1, 16);
    c20 = v128.load(r2); c21 = v128.load(r2, 16);
    c30 = v128.load(r3); c31 = v128.load(r3, 16);
  } else {
    c00 = f32x4.splat(0); c01 = c00; c10 = c00; c11 = c00; c20 = c00; c21 = c00; c30 = c00; c31 = c00;
  }
  let pa = pa0;
  let pb = pb0;
  for (let k = 0; k < kc; k++) {
    const b0 = v128.load(pb);
    const b1 = v128.load(pb, 16);
    let a = v128.load32_splat(pa);
    c00 = madd(a, b0, c00); c01 = madd(a, b1, c01);
    a = v128.load32_splat(pa, 4);
    c10 = madd(a, b0, c10); c11 = madd(a, b1, c11);
    a = v128.load32_splat(pa, 8);
    c20 = madd(a, b0, c20); c21 = madd(a, b1, c21);
    a = v128.load32_splat(pa, 12);
    c30 = madd(a, b0, c30); c31 = madd(a, b1, c31);
    pa += aStep;
    pb += 32;
  }
  v128.store(pc, c00); v128.store(pc, c01, 16);
  v128.store(r1, c10); v128.store(r1, c11, 16);
  v128.store(r2, c20); v128.store(r2, c21, 16);
  v128.store(r3, c30); v128.store(r3, c31, 16);
}

/**
 * C [M, N] (row-major, `ldc` floats per row) = A·B, or += A·B when `accumulate`.
 * A in 4-row panels (see the file comment), B packed in 8-column panels of K rows.
 */
export function gemm(M: i32, N: i32, K: i32, a: usize, aPanel: usize, aStep: usize, b: usize, c: usize, ldc: i32, accumulate: bool): void {
  const ldcBytes = <usize>ldc << 2;
  const bPanel = <usize>K << 5;
  for (let k0 = 0; k0 < K; k0 += KC) {
    const kc = min(KC, K - k0);
    const acc = accumulate || k0 > 0;
    const aOff = <usize>k0 * aStep;
    for (let j = 0; j < N; j += 8) {
      const pb = b + (<usize>j >> 3) * bPanel + (<usize>k0 << 5);
      const pc = c + (<usize>j << 2);
      for (let p = 0; p < M; p += 4) {
        tile4x8(kc, a + (<usize>p >> 2) * aPanel + aOff, aStep, pb, pc + <usize>p * ldcBytes, ldcBytes, acc);
      }
    }
  }
}

/** C [M, N] = A [M, K] · B [K, N], all row-major; packs both into the scratch areas given. */
export function matmul(M: i32, N: i32, K: i32, a: usize, b: usize, c: usize, scratchA: usize, scratchB: usize): void {
  packA(a, K, M, K, scratchA);
  packB(b, N, K, N, scratchB, K, 0);
  gemm(M, N, K, scratchA, <usize>K << 4, 16, scratchB, c, N, false);
}

/** C [M, N] = Aᵀ · B where A is stored [K, M] row-major (A used in place, no packing). */
export function matmulTransA(M: i32, N: i32, K: i32, a: usize, b: usize, c: usize, scratchB: usize): void {
  packB(b, N, K, N, scratchB, K, 0);
  gemm(M, N, K, a, 16, <usize>M << 2, scratchB, c, N, false);
}
