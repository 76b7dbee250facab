/**
 * The LSTM and the variants the literature compares it with:
 *
 *   lstm      i, f, o = σ(z_i), σ(z_f), σ(z_o); g = tanh(z_g); c_t = f ⊙ c_{t-1} + i ⊙ g;
 *             h_t = o ⊙ tanh(c_t)                         (forget-gate bias initialised to 1)
 *   noforget  f ≡ 1: c_t = c_{t-1} + i ⊙ g                (the 1997 original)
 *   cifg      coupled input and forget gates: i = 1 − f
 *   peephole  i and f also see c_{t-1}, o sees c_t, through diagonal weights p
 */
import * as tf from '@tensorflow/tfjs-core';
import type { BackStepResult, Cell } from './cell';
import type { CellName } from '../../protocol/runConfig';

type Forget = 'learned' | 'none' | 'coupled';

interface Variant {
  type: CellName;
  forget: Forget;
  peepholes: boolean;
}

/** Sigmoid derivative from its output: s(1 − s). */
const dsig = (s: tf.Tensor) => tf.mul(s, tf.sub(1, s));

function makeLstmCell(v: Variant): Cell {
  // Block order of z: [i, f, o, g], without i (cifg) or f (noforget).
  const names: ('i' | 'f' | 'o' | 'g')[] = v.forget === 'none' ? ['i', 'o', 'g'] : v.forget === 'coupled' ? ['f', 'o', 'g'] : ['i', 'f', 'o', 'g'];
  const gateNames = v.forget === 'none' ? ['input', 'output', 'candidate'] : ['input', 'forget', 'output', 'candidate'];
  const peep = (p: tf.Tensor2D, row: number) => tf.slice(p, [row, 0], [1, -1]);

  return {
    type: v.type,
    blocks: names.length,
    hasCellState: true,
    peepholes: v.peepholes,
    gateNames,
    sigmoidGates: gateNames.filter((n) => n !== 'candidate'),
    initialBias: (block) => (names[block] === 'f' ? 1 : 0),
    prepare: () => [],

    step(zx, prev, w) {
      const z = tf.add(zx, tf.matMul(prev.h, w.Wh)) as tf.Tensor2D;
      const parts = tf.split(z, names.length, 1) as tf.Tensor2D[];
      const block = (n: 'i' | 'f' | 'o' | 'g') => parts[names.indexOf(n)];
      const cPrev = prev.c!;
      let f: tf.Tensor2D | null = null;
      let i: tf.Tensor2D;
      if (v.forget === 'coupled') {
        f = tf.sigmoid(block('f'));
        i = tf.sub(1, f) as tf.Tensor2D;
      } else {
        const zi = v.peepholes ? tf.add(block('i'), tf.mul(peep(w.p!, 0), cPrev)) : block('i');
        i = tf.sigmoid(zi) as tf.Tensor2D;
        if (v.forget === 'learned') {
          const zf = v.peepholes ? tf.add(block('f'), tf.mul(peep(w.p!, 1), cPrev)) : block('f');
          f = tf.sigmoid(zf) as tf.Tensor2D;
        }
      }
      const g = tf.tanh(block('g'));
      const c = (f ? tf.add(tf.mul(f, cPrev), tf.mul(i, g)) : tf.add(cPrev, tf.mul(i, g))) as tf.Tensor2D;
      const zo = v.peepholes ? tf.add(block('o'), tf.mul(peep(w.p!, 2), c)) : block('o');
      const o = tf.sigmoid(zo) as tf.Tensor2D;
      const tc = tf.tanh(c) as tf.Tensor2D;
      const h = tf.mul(o, tc) as tf.Tensor2D;
      const gates: Record<string, tf.Tensor2D> = { input: i, output: o, candidate: g };
      if (f) gates.forget = f;
      return { h, c, saved: f ? [i, f, o, g, tc] : [i, o, g, tc], gates };
    },

    backStep(dh, dcIn, saved, prev, _c, w): BackStepResult {
      const [i, f, o, g, tc] = v.forget === 'none' ? [saved[0], null, saved[1], saved[2], saved[3]] : saved;
      const cPrev = prev.c!;
      const dzo = tf.mul(tf.mul(dh, tc), dsig(o));
      // ∂L/∂c_t: from later steps, through h_t = o ⊙ tanh(c_t), and (peephole) through o.
      let dc = tf.add(dcIn!, tf.mul(tf.mul(dh, o), tf.sub(1, tf.square(tc))));
      if (v.peepholes) dc = tf.add(dc, tf.mul(dzo, peep(w.p!, 2)));
      const dzg = tf.mul(tf.mul(dc, i), tf.sub(1, tf.square(g)));
      const di = tf.mul(dc, g);
      const dz: Record<string, tf.Tensor> = { o: dzo, g: dzg };
      let dcPrev: tf.Tensor;
      if (v.forget === 'coupled') {
        // i = 1 − f, so f receives its own gradient minus the input gate's.
        dz.f = tf.mul(tf.sub(tf.mul(dc, cPrev), di), dsig(f!));
        dcPrev = tf.mul(dc, f!);
      } else {
        dz.i = tf.mul(di, dsig(i));
        if (v.forget === 'learned') {
          dz.f = tf.mul(tf.mul(dc, cPrev), dsig(f!));
          dcPrev = tf.mul(dc, f!);
        } else {
          dcPrev = dc;
        }
      }
      if (v.peepholes) {
        dcPrev = tf.add(tf.add(dcPrev, tf.mul(dz.i, peep(w.p!, 0))), tf.mul(dz.f, peep(w.p!, 1)));
      }
      const dzAll = tf.concat(names.map((n) => dz[n]), 1) as tf.Tensor2D;
      return { dz: dzAll, dc: dc as tf.Tensor2D, dhPrev: tf.matMul(dzAll, w.WhT), dcPrev: dcPrev as tf.Tensor2D };
    },

    weightGrads(g) {
      const dWh = tf.matMul(g.hPrev, g.dZ, true, false) as tf.Tensor2D;
      if (!v.peepholes) return { dWh, dp: null };
      const H = g.hPrev.shape[1];
      const [dzi, dzf, dzo] = tf.split(g.dZ, [H, H, H, H], 1);
      const dp = tf.stack([
        tf.sum(tf.mul(dzi, g.cPrev!), 0),
        tf.sum(tf.mul(dzf, g.cPrev!), 0),
        tf.sum(tf.mul(dzo, g.c!), 0),
      ]) as tf.Tensor2D;
      return { dWh, dp };
    },
  };
}

export const lstm = makeLstmCell({ type: 'lstm', forget: 'learned', peepholes: false });
export const noForgetLstm = makeLstmCell({ type: 'noforget', forget: 'none', peepholes: false });
export const peepholeLstm = makeLstmCell({ type: 'peephole', forget: 'learned', peepholes: true });
export const cifgLstm = makeLstmCell({ type: 'cifg', forget: 'coupled', peepholes: false });
