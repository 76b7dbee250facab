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

/**
 * c [N] (+)= a [K] · B for one row (B packed in 8-column panels of K rows, as for `gemm`): the
 * product of a single stream's step, where a 4-row tile would do four times the work. Four panels
 * (32 columns) at a time keep eight independent sums in flight.
 * Requires N % 8 == 0; a and c 16-byte aligned.
 */
export function gemv(N: i32, K: i32, a: usize, b: usize, c: usize, accumulate: bool): void {
  const bPanel = <usize>K << 5;
  let j = 0;
  for (; j + 32 <= N; j += 32) {
    const p0 = b + (<usize>j >> 3) * bPanel;
    const p1 = p0 + bPanel;
    const p2 = p1 + bPanel;
    const p3 = p2 + bPanel;
    const pc = c + (<usize>j << 2);
    let s0 = f32x4.splat(0), s1 = s0, s2 = s0, s3 = s0, s4 = s0, s5 = s0, s6 = s0, s7 = s0;
    if (accumulate) {
      s0 = v128.load(pc); s1 = v128.load(pc, 16); s2 = v128.load(pc, 32); s3 = v128.load(pc, 48);
      s4 = v128.load(pc, 64); s5 = v128.load(pc, 80); s6 = v128.load(pc, 96); s7 = v128.load(pc, 112);
    }
    for (let k = 0; k < K; k++) {
      const x = v128.load32_splat(a + (<usize>k << 2));
      const o = <usize>k << 5;
      s0 = madd(x, v128.load(p0 + o), s0); s1 = madd(x, v128.load(p0 + o, 16), s1);
      s2 = madd(x, v128.load(p1 + o), s2); s3 = madd(x, v128.load(p1 + o, 16), s3);
      s4 = madd(x, v128.load(p2 + o), s4); s5 = madd(x, v128.load(p2 + o, 16), s5);
      s6 = madd(x, v128.load(p3 + o), s6); s7 = madd(x, v128.load(p3 + o, 16), s7);
    }
    v128.store(pc, s0); v128.store(pc, s1, 16); v128.store(pc, s2, 32); v128.store(pc, s3, 48);
    v128.store(pc, s4, 64); v128.store(pc, s5, 80); v128.store(pc, s6, 96); v128.store(pc, s7, 112);
  }
  for (; j < N; j += 8) {
    const p0 = b + (<usize>j >> 3) * bPanel;
    const pc = c + (<usize>j << 2);
    let s0 = accumulate ? v128.load(pc) : f32x4.splat(0);
    let s1 = accumulate ? v128.load(pc, 16) : f32x4.splat(0);
    for (let k = 0; k < K; k++) {
      const x = v128.load32_splat(a + (<usize>k << 2));
      const o = <usize>k << 5;
      s0 = madd(x, v128.load(p0 + o), s0);
      s1 = madd(x, v128.load(p0 + o, 16), s1);
    }
    v128.store(pc, s0);
    v128.store(pc, s1, 16);
  }
}
