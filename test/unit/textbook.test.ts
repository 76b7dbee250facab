/**
 * Every cell's forward pass against a textbook implementation: plain loops in float64 over the
 * equations as the literature (and the cell files' header comments) write them, sharing nothing
 * with the engine but the weights. Two layers, a nonzero random start state, a window of several
 * steps; the model's logits and final states must agree within float32 rounding.
 *
 * The equations (σ = logistic sigmoid, ⊙ elementwise, a_X = x_t W_xX + h_{t-1} W_hX + b_X the
 * pre-activation of block X, read out of the model's W_x [D, blocks·H], W_h [H, blocks·H], b):
 *
 *   rnn       h_t = tanh(a)                                                   blocks [a]
 *   lstm      i = σ(a_i), f = σ(a_f), o = σ(a_o), g = tanh(a_g)
 *             c_t = f ⊙ c_{t-1} + i ⊙ g,  h_t = o ⊙ tanh(c_t)                  blocks [i, f, o, g]
 *   noforget  as lstm with f ≡ 1: c_t = c_{t-1} + i ⊙ g                        blocks [i, o, g]
 *   cifg      as lstm with i = 1 − f                                          blocks [f, o, g]
 *   peephole  i = σ(a_i + p_i ⊙ c_{t-1}), f = σ(a_f + p_f ⊙ c_{t-1}),
 *             c_t as lstm, o = σ(a_o + p_o ⊙ c_t)  (p [3, H] rows i, f, o)    blocks [i, f, o, g]
 *   gru       z = σ(a_z), r = σ(a_r), n = tanh(x_t W_xn + (r ⊙ h_{t-1}) W_hn + b_n)
 *             h_t = (1 − z) ⊙ h_{t-1} + z ⊙ n                                 blocks [z, r, n]
 *
 * Output: logits = h_t(top) W_y + b_y for every step, rows ordered t·B + b like the model's.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import * as tf from '@tensorflow/tfjs-core';
import type { CellState } from '../../src/engine/cells/cell';
import { CELL_TYPES, type CellName } from '../../src/protocol/runConfig';
import { disposeStates, SequenceModel } from '../../src/engine/model';
import { randomArray, useWasm } from './helpers/backend';

const V = 7, H = 5, B = 3, T = 8, LAYERS = 2;
const ids = Int32Array.from({ length: T * B }, (_, k) => (k * 5 + 2 + (k >> 2)) % V);

/** Blocks of W_x, W_h and b, in the order the cell files document. */
const BLOCKS: Record<CellName, string[]> = {
  rnn: ['a'],
  lstm: ['i', 'f', 'o', 'g'],
  noforget: ['i', 'o', 'g'],
  peephole: ['i', 'f', 'o', 'g'],
  cifg: ['f', 'o', 'g'],
  gru: ['z', 'r', 'n'],
};

const sigmoid = (x: number) => 1 / (1 + Math.exp(-x));

interface Weights64 {
  /** [D, G·H] row-major */ Wx: Float64Array;
  /** [H, G·H] */ Wh: Float64Array;
  /** [G·H] */ b: Float64Array;
  /** [3, H] or null */ p: Float64Array | null;
  D: number;
}

interface State64 {
  /** [B, H] */ h: Float64Array;
  /** [B, H] or null */ c: Float64Array | null;
}

const f64 = (t: tf.Tensor) => Float64Array.from(t.dataSync());

/** x W for one row x [D] and W [D, n] (row-major), as a fresh array [n]. */
function rowTimes(x: ArrayLike<number>, W: Float64Array, D: number, n: number): Float64Array {
  const out = new Float64Array(n);
  for (let d = 0; d < D; d++) {
    const xd = x[d];
    if (xd === 0) continue;
    for (let j = 0; j < n; j++) out[j] += xd * W[d * n + j];
  }
  return out;
}

/**
 * One layer over the window: `input(t, b)` is the layer's input row x_t for stream b ([D]).
 * Returns h_t for every step (rows t·B + b, [T·B, H]) and the final state.
 */
function textbookLayer(cell: CellName, w: Weights64, input: (t: number, b: number) => Float64Array, start: State64): { hs: Float64Array; final: State64 } {
  const blocks = BLOCKS[cell];
  const G = blocks.length, n = G * H;
  const hs = new Float64Array(T * B * H);
  let hPrev = start.h.slice();
  let cPrev = start.c ? start.c.slice() : null;
  for (let t = 0; t < T; t++) {
    const hNew = new Float64Array(B * H);
    const cNew = cPrev ? new Float64Array(B * H) : null;
    for (let bb = 0; bb < B; bb++) {
      const x = input(t, bb);
      const hp = hPrev.subarray(bb * H, (bb + 1) * H);
      const xW = rowTimes(x, w.Wx, w.D, n);
      // The GRU's candidate sees r ⊙ h_{t-1}, not h_{t-1}: its recurrent part comes below.
      const hW = rowTimes(hp, w.Wh, H, n);
      const a = (name: string, k: number) => {
        const j = blocks.indexOf(name) * H + k;
        return xW[j] + (name === 'n' ? 0 : hW[j]) + w.b[j];
      };
      if (cell === 'rnn') {
        for (let k = 0; k < H; k++) hNew[bb * H + k] = Math.tanh(a('a', k));
      } else if (cell === 'gru') {
        const z = new Float64Array(H), r = new Float64Array(H), rh = new Float64Array(H);
        for (let k = 0; k < H; k++) {
          z[k] = sigmoid(a('z', k));
          r[k] = sigmoid(a('r', k));
          rh[k] = r[k] * hp[k];
        }
        const nOff = blocks.indexOf('n') * H;
        for (let k = 0; k < H; k++) {
          let s = a('n', k);
          for (let m = 0; m < H; m++) s += rh[m] * w.Wh[m * n + nOff + k];
          const cand = Math.tanh(s);
          hNew[bb * H + k] = (1 - z[k]) * hp[k] + z[k] * cand;
        }
      } else {
        const cp = cPrev!.subarray(bb * H, (bb + 1) * H);
        const peep = (row: number, k: number) => (cell === 'peephole' ? w.p![row * H + k] : 0);
        for (let k = 0; k < H; k++) {
          let i: number, f: number;
          if (cell === 'cifg') {
            f = sigmoid(a('f', k));
            i = 1 - f;
          } else {
            i = sigmoid(a('i', k) + peep(0, k) * cp[k]);
            f = cell === 'noforget' ? 1 : sigmoid(a('f', k) + peep(1, k) * cp[k]);
          }
          const g = Math.tanh(a('g', k));
          const c = f * cp[k] + i * g;
          const o = sigmoid(a('o', k) + peep(2, k) * c);
          cNew![bb * H + k] = c;
          hNew[bb * H + k] = o * Math.tanh(c);
        }
      }
    }
    hs.set(hNew, t * B * H);
    hPrev = hNew;
    cPrev = cNew;
  }
  return { hs, final: { h: hPrev, c: cPrev } };
}

function textbookModel(m: SequenceModel, start: State64[]): { logits: Float64Array; final: State64[] } {
  const cell = m.shape.cell;
  let below: Float64Array | null = null;
  const final: State64[] = [];
  m.layers.forEach((p, l) => {
    const D = l === 0 ? V : H;
    const w: Weights64 = { Wx: f64(p.Wx), Wh: f64(p.Wh), b: f64(p.b), p: p.p ? f64(p.p) : null, D };
    const prevHs = below;
    const input = prevHs
      ? (t: number, b: number) => prevHs.subarray((t * B + b) * H, (t * B + b + 1) * H)
      : (t: number, b: number) => { const x = new Float64Array(V); x[ids[t * B + b]] = 1; return x; };
    const r = textbookLayer(cell, w, input, start[l]);
    below = r.hs;
    final.push(r.final);
  });
  const Wy = f64(m.Wy), by = f64(m.by);
  const logits = new Float64Array(T * B * V);
  for (let row = 0; row < T * B; row++) {
    const y = rowTimes(below!.subarray(row * H, (row + 1) * H), Wy, H, V);
    for (let v = 0; v < V; v++) logits[row * V + v] = y[v] + by[v];
  }
  return { logits, final };
}

/**
 * Float32 tolerance, relative to max(1, |value|): every value here is O(1) and passes through
 * LAYERS·T = 16 steps of O(H)-term sums, each op rounding by ≤ 6e-8; the worst error measured is
 * 2.5e-7 (cpu and wasm), so 5e-6 leaves a margin of 20. A wrong equation moves values by far more:
 * the GRU's z and 1 − z swapped, 0.8; the output peephole reading c_{t-1} instead of c_t, 0.08.
 */
const TOL = 5e-6;

function assertClose(got: ArrayLike<number>, want: Float64Array, what: string): void {
  assert.equal(got.length, want.length, `${what}: length`);
  let worst = 0, at = 0;
  for (let k = 0; k < want.length; k++) {
    const err = Math.abs(got[k] - want[k]) / Math.max(1, Math.abs(want[k]));
    if (err > worst) { worst = err; at = k; }
  }
  assert.ok(worst <= TOL, `${what}: differs from the textbook by ${worst.toExponential(2)} at [${at}] (${got[at]} vs ${want[at]})`);
}

for (const backend of ['cpu', 'wasm'] as const) {
  for (const cell of CELL_TYPES) {
    test(`[${backend}] ${cell} × ${LAYERS}: forward pass equals the textbook equations in float64`, async () => {
      if (backend === 'wasm') await useWasm(); else await tf.setBackend('cpu');
      const m = SequenceModel.create({ cell, layers: LAYERS, hiddenSize: H, vocabSize: V, dropout: 0 }, 7);
      // Random biases, peepholes and output bias on top of the initialisation, so that no term of
      // the equations is zero (the initial peepholes are small and the output bias zero), and
      // weights large enough that the gates are not all near ½.
      for (const { variable } of m.named) {
        variable.assign(tf.tidy(() => tf.add(tf.mul(variable, 1.5), tf.tensor(randomArray(variable.size, 100 + variable.size, 0.5), variable.shape))));
      }
      // The same nonzero start state for both: float32 values, read exactly into float64.
      const start: CellState[] = m.layers.map((_, l) => ({
        h: tf.tensor2d(randomArray(B * H, 31 + l, 0.8), [B, H]),
        c: m.cell.hasCellState ? tf.tensor2d(randomArray(B * H, 41 + l, 1.5), [B, H]) : null,
      }));
      const start64: State64[] = start.map((s) => ({ h: f64(s.h), c: s.c ? f64(s.c) : null }));

      const want = textbookModel(m, start64);
      const got = m.logits(ids, B, start);
      assert.deepEqual(got.logits.shape, [T * B, V]);
      assertClose(got.logits.dataSync(), want.logits, 'logits');
      for (let l = 0; l < LAYERS; l++) {
        assertClose(got.final[l].h.dataSync(), want.final[l].h, `layer ${l} final h`);
        if (m.cell.hasCellState) assertClose(got.final[l].c!.dataSync(), want.final[l].c!, `layer ${l} final c`);
        else assert.equal(got.final[l].c, null, `layer ${l}: no cell state`);
      }
      got.logits.dispose();
      disposeStates([...got.final, ...start]);
      m.dispose();
    });
  }
}
