/**
 * Layouts of the encoder–decoder's arrays: time-major rows (t·B + b, as the recurrent kernels
 * read them) against b-major rows (b·T + t, as the attention layer reads them), time reversed
 * (the backward encoder), and an in-place sum.
 */

/** Rows of a time-major [T·B, W] array in b-major order [B·T, W]. */
export function bMajor<A extends Float32Array | Int32Array>(a: A, T: number, B: number, W: number): A {
  const out = new (a.constructor as { new (n: number): A })(a.length);
  for (let t = 0; t < T; t++) for (let b = 0; b < B; b++) out.set(a.subarray((t * B + b) * W, (t * B + b + 1) * W), (b * T + t) * W);
  return out;
}

/** The inverse of `bMajor`. */
export function timeMajor<A extends Float32Array | Int32Array>(a: A, T: number, B: number, W: number): A {
  const out = new (a.constructor as { new (n: number): A })(a.length);
  for (let t = 0; t < T; t++) for (let b = 0; b < B; b++) out.set(a.subarray((b * T + t) * W, (b * T + t + 1) * W), (t * B + b) * W);
  return out;
}

/** Rows of a time-major [T·B, W] array with time reversed. */
export function reverseTime<A extends Float32Array | Int32Array>(a: A, T: number, B: number, W: number): A {
  const out = new (a.constructor as { new (n: number): A })(T * B * W);
  for (let t = 0; t < T; t++) out.set(a.subarray(t * B * W, (t + 1) * B * W), (T - 1 - t) * B * W);
  return out;
}

export function addInto(dst: Float32Array, src: Float32Array): void {
  for (let k = 0; k < dst.length; k++) dst[k] += src[k];
}
