/**
 * Vector helpers shared by the kernels: multiply-add that becomes one FMA where relaxed SIMD is
 * compiled in, and 4-lane exp / sigmoid / tanh approximations.
 *
 * Accuracy of the approximations (against float64 Math.exp / Math.tanh on 2^20 points of
 * [−40, 40], bench/fused-proto.mjs `check`): exp relative error ≤ 2.5e-7; sigmoid absolute error
 * ≤ 1e-7 (relative ≤ 2.5e-7); tanh absolute error ≤ 1.4e-7, relative ≤ 2.9e-6 where |tanh| > 0.01.
 * tanh is accurate in absolute, not relative, terms near 0 (1 − e^−2x cancels); the cell only
 * adds these values to others of order 1, so absolute error is what matters.
 */

/** a·b + c. With relaxed SIMD this is one f32x4.relaxed_madd (a fused FMA on x86-FMA3 and ARM). */
// @ts-ignore: decorator
@inline export function madd(a: v128, b: v128, c: v128): v128 {
  if (ASC_FEATURE_RELAXED_SIMD) return f32x4.relaxed_madd(a, b, c);
  return f32x4.add(f32x4.mul(a, b), c);
}

/** Sum of the four lanes. */
// @ts-ignore: decorator
@inline export function hsum(v: v128): f32 {
  return f32x4.extract_lane(v, 0) + f32x4.extract_lane(v, 1) + f32x4.extract_lane(v, 2) + f32x4.extract_lane(v, 3);
}

// exp(x) = 2^n · e^r with n = round(x / ln2), r = x − n·ln2 ∈ [−ln2/2, ln2/2]. ln2 is split in a
// short high part (9 significant bits, so n·LN2_HI is exact for |n| < 2^15) and a low correction:
// r is then computed to full float precision even without FMA (Cody–Waite reduction).
const LOG2E: f32 = 1.44269504088896341;
const LN2_HI: f32 = 0.693359375;
const LN2_LO: f32 = -2.12194440e-4;
// Taylor coefficients of e^r to degree 6; the truncation error r^7/7! is < 1.2e-7 relative.
const E2: f32 = 0.5;
const E3: f32 = 0.16666666666666666;
const E4: f32 = 0.041666666666666664;
const E5: f32 = 0.008333333333333333;
const E6: f32 = 0.001388888888888889;
// Clamp so that 2^n stays a normal float: inputs beyond ±87 saturate (sigmoid/tanh are flat there).
const X_MAX: f32 = 87.0;

/** 4-lane e^x, inputs clamped to [−87, 87]. */
// @ts-ignore: decorator
@inline export function exp4(x0: v128): v128 {
  const x = f32x4.pmax(f32x4.splat(-X_MAX), f32x4.pmin(f32x4.splat(X_MAX), x0));
  const n = f32x4.nearest(f32x4.mul(x, f32x4.splat(LOG2E)));
  let r = f32x4.sub(x, f32x4.mul(n, f32x4.splat(LN2_HI)));
  r = f32x4.sub(r, f32x4.mul(n, f32x4.splat(LN2_LO)));
  let p = madd(f32x4.splat(E6), r, f32x4.splat(E5));
  p = madd(p, r, f32x4.splat(E4));
  p = madd(p, r, f32x4.splat(E3));
  p = madd(p, r, f32x4.splat(E2));
  p = madd(p, r, f32x4.splat(1.0));
  p = madd(p, r, f32x4.splat(1.0));
  // 2^n built directly in the exponent field.
  const scale = i32x4.shl(i32x4.add(i32x4.trunc_sat_f32x4_s(n), i32x4.splat(127)), 23);
  return f32x4.mul(p, scale);
}

/** 4-lane logistic sigmoid 1 / (1 + e^−x). */
// @ts-ignore: decorator
@inline export function sigmoid4(x: v128): v128 {
  const one = f32x4.splat(1.0);
  return f32x4.div(one, f32x4.add(one, exp4(f32x4.neg(x))));
}

/** 4-lane tanh x = (1 − e^−2x) / (1 + e^−2x); saturates to ±1 without overflow. */
// @ts-ignore: decorator
@inline export function tanh4(x: v128): v128 {
  const one = f32x4.splat(1.0);
  const e = exp4(f32x4.mul(x, f32x4.splat(-2.0)));
  return f32x4.div(f32x4.sub(one, e), f32x4.add(one, e));
}
