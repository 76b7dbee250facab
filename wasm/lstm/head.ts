/**
 * The language model's output layer and optimizer, for training entirely inside this module:
 * logits = H·W_y + b_y, softmax cross-entropy against integer targets, the gradients of both
 * weights and of H, then clipping by global norm and Adam.
 *
 * The vocabulary is padded to Vp (a multiple of 8) so the products keep whole 8-column panels:
 * padded columns of W_y and b_y stay zero, their logits are masked to −∞ before the softmax and
 * their gradients are exactly zero, so Adam never moves them.
 */
import { gemm, packA, packB, packBT } from './gemm';
import { exp4, hsum } from './simd';

const NEG_BIG: f32 = -1e30;

/**
 * Forward and backward of the output layer for N = T·B rows of H [N, Hd] (row-major).
 * Writes dH [N, Hd] (= ∂L/∂H, L the mean cross-entropy), dWy [Hd, Vp], dby [Vp]; returns L.
 * Scratch: logits [N, Vp] (becomes ∂L/∂logits), packA [N·max(Hd, Vp)], packB [max(Hd·Vp, N·Vp)].
 */
export function headForwardBackward(
  N: i32, Hd: i32, V: i32, Vp: i32, h: usize, targets: usize, wy: usize, by: usize,
  logits: usize, dH: usize, dWy: usize, dby: usize, scratchA: usize, scratchB: usize,
): f64 {
  const vb = <usize>Vp << 2;
  // logits = b_y + H·W_y
  for (let r = 0; r < N; r++) memory.copy(logits + <usize>r * vb, by, vb);
  packA(h, Hd, N, Hd, scratchA);
  packB(wy, Vp, Hd, Vp, scratchB, Hd, 0);
  gemm(N, Vp, Hd, scratchA, <usize>Hd << 4, 16, scratchB, logits, Vp, true);

  // Softmax cross-entropy per row; the row becomes (softmax − onehot) / N in place.
  const inv = f32x4.splat(<f32>1 / <f32>N);
  let loss: f64 = 0;
  for (let r = 0; r < N; r++) {
    const row = logits + <usize>r * vb;
    for (let j = V; j < Vp; j++) store<f32>(row + (<usize>j << 2), NEG_BIG);
    let mx = f32x4.splat(NEG_BIG);
    for (let j = 0; j < Vp; j += 4) mx = f32x4.pmax(mx, v128.load(row + (<usize>j << 2)));
    const m = max(max(f32x4.extract_lane(mx, 0), f32x4.extract_lane(mx, 1)), max(f32x4.extract_lane(mx, 2), f32x4.extract_lane(mx, 3)));
    const ms = f32x4.splat(m);
    let s = f32x4.splat(0);
    for (let j = 0; j < Vp; j += 4) {
      const o = <usize>j << 2;
      const e = exp4(f32x4.sub(v128.load(row + o), ms));
      v128.store(row + o, e);
      s = f32x4.add(s, e);
    }
    const sum = hsum(s);
    const y = load<i32>(targets + (<usize>r << 2));
    const py = load<f32>(row + (<usize>y << 2));
    loss -= Math.log(<f64>py / <f64>sum);
    const k = f32x4.mul(f32x4.splat(<f32>1 / sum), inv);
    for (let j = 0; j < Vp; j += 4) {
      const o = <usize>j << 2;
      v128.store(row + o, f32x4.mul(v128.load(row + o), k));
    }
    store<f32>(row + (<usize>y << 2), load<f32>(row + (<usize>y << 2)) - <f32>1 / <f32>N);
    for (let j = V; j < Vp; j++) store<f32>(row + (<usize>j << 2), 0);
  }

  // db_y = Σ_rows dlogits; dW_y = Hᵀ·dlogits (H read in place as the transposed A operand).
  memory.fill(dby, 0, vb);
  for (let r = 0; r < N; r++) {
    const row = logits + <usize>r * vb;
    for (let j = 0; j < Vp; j += 4) {
      const o = <usize>j << 2;
      v128.store(dby + o, f32x4.add(v128.load(dby + o), v128.load(row + o)));
    }
  }
  packB(logits, Vp, N, Vp, scratchB, N, 0);
  gemm(Hd, Vp, N, h, 16, <usize>Hd << 2, scratchB, dWy, Vp, false);
  // dH = dlogits·W_yᵀ
  packA(logits, Vp, N, Vp, scratchA);
  packBT(wy, Vp, Vp, Hd, scratchB);
  gemm(N, Hd, Vp, scratchA, <usize>Vp << 4, 16, scratchB, dH, Hd, false);
  return loss / <f64>N;
}

/** Σ x² over n floats, each squared and summed in float64. */
export function sumSquares(x: usize, n: i32): f64 {
  // Squared in f64: a gradient of 1e20, which clipping can still rescue, squares past f32's range.
  let total: f64 = 0;
  for (let i = 0; i < n; i++) {
    const v = <f64>load<f32>(x + (<usize>i << 2));
    total += v * v;
  }
  return total;
}

/**
 * One Adam step on n floats (n % 4 == 0) with the gradient multiplied by `gradScale` (clipping):
 * m ← β1·m + (1−β1)·g, v ← β2·v + (1−β2)·g², p ← p − lr_t·m / (√v + ε̂), where
 * lr_t = lr·√(1−β2^t)/(1−β1^t) and ε̂ = ε·√(1−β2^t) (the bias corrections folded into two scalars).
 */
export function adamStep(p: usize, g: usize, m: usize, v: usize, n: i32, lr: f32, beta1: f32, beta2: f32, eps: f32, step: i32, gradScale: f32): void {
  const c1 = <f32>1 - <f32>Math.pow(<f64>beta1, <f64>step);
  const c2 = <f32>Math.sqrt(1 - Math.pow(<f64>beta2, <f64>step));
  const lrt = f32x4.splat(lr * c2 / c1);
  const epst = f32x4.splat(eps * c2);
  const b1 = f32x4.splat(beta1), b1c = f32x4.splat(1 - beta1);
  const b2 = f32x4.splat(beta2), b2c = f32x4.splat(1 - beta2);
  const gs = f32x4.splat(gradScale);
  for (let i = 0; i < n; i += 4) {
    const o = <usize>i << 2;
    const gi = f32x4.mul(v128.load(g + o), gs);
    const mi = f32x4.add(f32x4.mul(b1, v128.load(m + o)), f32x4.mul(b1c, gi));
    const vi = f32x4.add(f32x4.mul(b2, v128.load(v + o)), f32x4.mul(b2c, f32x4.mul(gi, gi)));
    v128.store(m + o, mi);
    v128.store(v + o, vi);
    v128.store(p + o, f32x4.sub(v128.load(p + o), f32x4.div(f32x4.mul(lrt, mi), f32x4.add(f32x4.sqrt(vi), epst))));
  }
}
