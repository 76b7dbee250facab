/**
 * Vanilla (Elman) RNN: h_t = tanh(x_t W_x + h_{t-1} W_h + b).
 */
import * as tf from '@tensorflow/tfjs-core';
import type { Cell } from './cell';

export const simpleRnn: Cell = {
  type: 'rnn',
  blocks: 1,
  hasCellState: false,
  peepholes: false,
  gateNames: [],
  sigmoidGates: [],
  initialBias: () => 0,
  prepare: () => [],

  step(zx, prev, w) {
    const h = tf.tanh(tf.add(zx, tf.matMul(prev.h, w.Wh))) as tf.Tensor2D;
    return { h, c: null, saved: [h], gates: {} };
  },

  backStep(dh, _dc, [h], _prev, _c, w) {
    // dz = dh ⊙ (1 − h²)
    const dz = tf.mul(dh, tf.sub(1, tf.square(h))) as tf.Tensor2D;
    return { dz, dc: null, dhPrev: tf.matMul(dz, w.WhT), dcPrev: null };
  },

  weightGrads(g) {
    return { dWh: tf.matMul(g.hPrev, g.dZ, true, false), dp: null };
  },
};
