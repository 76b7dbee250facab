/**
 * Gated recurrent unit (Cho et al. 2014):
 *   z = σ(x W_xz + h_{t-1} W_hz + b_z),  r = σ(x W_xr + h_{t-1} W_hr + b_r)
 *   n = tanh(x W_xn + (r ⊙ h_{t-1}) W_hn + b_n)
 *   h_t = (1 − z) ⊙ h_{t-1} + z ⊙ n
 * Blocks of z: [update z, reset r, candidate n].
 */
import * as tf from '@tensorflow/tfjs-core';
import type { Cell } from './cell';

const dsig = (s: tf.Tensor) => tf.mul(s, tf.sub(1, s));

export const gru: Cell = {
  type: 'gru',
  blocks: 3,
  hasCellState: false,
  peepholes: false,
  gateNames: ['update', 'reset', 'candidate'],
  sigmoidGates: ['update', 'reset'],
  initialBias: () => 0,

  /** [W_h(z,r), W_h(n), W_h(z,r)ᵀ, W_h(n)ᵀ] */
  prepare(Wh, H) {
    const zr = tf.slice(Wh, [0, 0], [H, 2 * H]) as tf.Tensor2D;
    const n = tf.slice(Wh, [0, 2 * H], [H, H]) as tf.Tensor2D;
    return [zr, n, tf.transpose(zr), tf.transpose(n)];
  },

  step(zx, prev, w) {
    const H = prev.h.shape[1];
    const [WhZr, WhN] = w.extra;
    const [zxZr, zxN] = tf.split(zx, [2 * H, H], 1) as tf.Tensor2D[];
    const zr = tf.sigmoid(tf.add(zxZr, tf.matMul(prev.h, WhZr)));
    const [z, r] = tf.split(zr, 2, 1) as tf.Tensor2D[];
    const rh = tf.mul(r, prev.h) as tf.Tensor2D;
    const n = tf.tanh(tf.add(zxN, tf.matMul(rh, WhN))) as tf.Tensor2D;
    const h = tf.add(prev.h, tf.mul(z, tf.sub(n, prev.h))) as tf.Tensor2D;
    return { h, c: null, saved: [z, r, n, rh], gates: { update: z, reset: r, candidate: n } };
  },

  backStep(dh, _dc, [z, r, n], prev, _c, w) {
    const [, , WhZrT, WhNT] = w.extra;
    const hPrev = prev.h;
    const dzz = tf.mul(tf.mul(dh, tf.sub(n, hPrev)), dsig(z));
    const dzn = tf.mul(tf.mul(dh, z), tf.sub(1, tf.square(n)));
    const drh = tf.matMul(dzn, WhNT);
    const dzr = tf.mul(tf.mul(drh, hPrev), dsig(r));
    const dzZr = tf.concat([dzz, dzr], 1) as tf.Tensor2D;
    // h_{t-1} reaches h_t directly (1 − z), through r ⊙ h_{t-1}, and through z and r.
    const dhPrev = tf.add(tf.add(tf.mul(dh, tf.sub(1, z)), tf.mul(drh, r)), tf.matMul(dzZr, WhZrT)) as tf.Tensor2D;
    return { dz: tf.concat([dzZr, dzn], 1) as tf.Tensor2D, dc: null, dhPrev, dcPrev: null };
  },

  weightGrads(g) {
    const H = g.hPrev.shape[1];
    const [dZr, dN] = tf.split(g.dZ, [2 * H, H], 1) as tf.Tensor2D[];
    const rhAll = g.saved[3];
    return { dWh: tf.concat([tf.matMul(g.hPrev, dZr, true, false), tf.matMul(rhAll, dN, true, false)], 1) as tf.Tensor2D, dp: null };
  },
};
