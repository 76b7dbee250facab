/**
 * One LSTM layer over a BPTT window, with a hand-written backward pass.
 *
 *   z_t = x_t W_x + h_{t-1} W_h + b          gates in the order i, f, o, g
 *   i, f, o = σ(z_i), σ(z_f), σ(z_o);  g = tanh(z_g)
 *   c_t = f ⊙ c_{t-1} + i ⊙ g;  h_t = o ⊙ tanh(c_t)
 *
 * The input projection is a gather of rows of W_x (inputs are one-hot), done for the whole window
 * at once. The backward pass runs the recursion for dh and dc only and leaves the weight
 * gradients to one matmul (dW_h) and one segment sum (dW_x) over the window; ‖∂L/∂h_t‖ and
 * ‖∂L/∂c_t‖ per time step fall out of it.
 */
import * as tf from '@tensorflow/tfjs';

export interface LstmWeights {
  /** [V, 4H] */ Wx: tf.Tensor2D;
  /** [H, 4H] */ Wh: tf.Tensor2D;
  /** [4H] */ b: tf.Tensor1D;
}

export interface LstmState {
  /** [B, H] */ h: tf.Tensor2D;
  /** [B, H] */ c: tf.Tensor2D;
}

/** Everything the forward pass computes, per time step. */
export interface LstmTrace {
  /** T tensors [B, H]: h_1..h_T */ hs: tf.Tensor2D[];
  /** T tensors [B, H]: c_1..c_T */ cs: tf.Tensor2D[];
  /** T tensors [B, 3H]: σ(i, f, o) */ sig: tf.Tensor2D[];
  /** T tensors [B, H]: g */ g: tf.Tensor2D[];
  /** T tensors [B, H]: tanh(c_t) */ tc: tf.Tensor2D[];
}

/** By-products of one training step's backward pass, kept (caller disposes). */
export interface LstmAux {
  /** Final state of the window, to carry into the next one. */
  final?: LstmState;
  /** [T] ‖∂L/∂h_t‖ over the batch, t = 1..T. */
  dhNorm?: tf.Tensor1D;
  /** [T] ‖∂L/∂c_t‖ over the batch. */
  dcNorm?: tf.Tensor1D;
}

/**
 * Runs the layer over a window. `ids` are time-major token ids (ids[t * B + b]).
 * Returns per-step tensors; nothing is disposed here (wrap in tf.tidy).
 */
export function lstmForward(w: LstmWeights, ids: Int32Array, batch: number, state: LstmState): LstmTrace {
  const B = batch;
  const T = ids.length / B;
  const H = w.Wh.shape[0];
  const xw = tf.add(tf.gather(w.Wx, tf.tensor1d(ids, 'int32')), w.b) as tf.Tensor2D; // [T*B, 4H]
  const rows = T === 1 ? [xw] : (tf.split(xw, T, 0) as tf.Tensor2D[]);
  let { h, c } = state;
  const trace: LstmTrace = { hs: [], cs: [], sig: [], g: [], tc: [] };
  for (let t = 0; t < T; t++) {
    const z = tf.add(rows[t], tf.matMul(h, w.Wh)) as tf.Tensor2D;
    const [zifo, zg] = tf.split(z, [3 * H, H], 1) as [tf.Tensor2D, tf.Tensor2D];
    const s = tf.sigmoid(zifo);
    const g = tf.tanh(zg);
    const [i, f, o] = tf.split(s, 3, 1) as tf.Tensor2D[];
    c = tf.add(tf.mul(f, c), tf.mul(i, g));
    const tc = tf.tanh(c);
    h = tf.mul(o, tc);
    trace.hs.push(h);
    trace.cs.push(c);
    trace.sig.push(s);
    trace.g.push(g);
    trace.tc.push(tc);
  }
  return trace;
}

/**
 * The layer as a differentiable op with respect to (W_x, W_h, b): returns H_all [T*B, H].
 * The incoming state is a constant (truncated BPTT). `aux` receives the final state and the
 * per-step gradient norms (kept; the caller disposes them).
 */
export function lstmLayer(w: LstmWeights, ids: Int32Array, batch: number, state: LstmState, aux: LstmAux): tf.Tensor2D {
  const B = batch;
  const T = ids.length / B;
  const V = w.Wx.shape[0];
  const H = w.Wh.shape[0];
  const op = tf.customGrad((Wx, Wh, b, save) => {
    const trace = lstmForward({ Wx: Wx as tf.Tensor2D, Wh: Wh as tf.Tensor2D, b: b as tf.Tensor1D }, ids, B, state);
    const Hall = tf.stack([state.h, ...trace.hs]) as tf.Tensor3D; // [T+1, B, H]
    const Call = tf.stack([state.c, ...trace.cs]) as tf.Tensor3D; // [T+1, B, H]
    const S = tf.stack(trace.sig) as tf.Tensor3D; // [T, B, 3H]
    const G = tf.stack(trace.g) as tf.Tensor3D; // [T, B, H]
    const TC = tf.stack(trace.tc) as tf.Tensor3D; // [T, B, H]
    (save as tf.GradSaveFunc)([Wh as tf.Tensor, Hall, Call, S, G, TC]);
    aux.final = { h: tf.keep(trace.hs[T - 1]), c: tf.keep(trace.cs[T - 1]) };
    const value = tf.reshape(tf.concat(trace.hs, 0), [T * B, H]) as tf.Tensor2D;
    return {
      value,
      gradFunc: (dy: tf.Tensor | tf.Tensor[], saved: tf.Tensor[]) => {
        const [WhS, HallS, CallS, SS, GS, TCS] = saved as [tf.Tensor2D, tf.Tensor3D, tf.Tensor3D, tf.Tensor3D, tf.Tensor3D, tf.Tensor3D];
        return lstmBackward(dy as tf.Tensor2D, { Wh: WhS, Hall: HallS, Call: CallS, S: SS, G: GS, TC: TCS }, ids, B, V, aux);
      },
    };
  });
  return op(w.Wx, w.Wh, w.b) as tf.Tensor2D;
}

interface Saved {
  Wh: tf.Tensor2D;
  Hall: tf.Tensor3D;
  Call: tf.Tensor3D;
  S: tf.Tensor3D;
  G: tf.Tensor3D;
  TC: tf.Tensor3D;
}

/** Backpropagation through time for one window; returns [dW_x, dW_h, db]. */
function lstmBackward(dy: tf.Tensor2D, s: Saved, ids: Int32Array, B: number, V: number, aux: LstmAux): tf.Tensor[] {
  const [T1, , H] = s.Hall.shape;
  const T = T1 - 1;
  const [i, f, o] = tf.split(s.S, 3, 2) as tf.Tensor3D[];
  const g = s.G;
  const cPrev = tf.slice(s.Call, [0, 0, 0], [T, B, H]);
  // Local derivatives of z (per gate) with respect to dc or dh, for the whole window at once:
  //   dz_i = dc ⊙ g ⊙ i(1-i), dz_f = dc ⊙ c_{t-1} ⊙ f(1-f), dz_o = dh ⊙ tanh(c) ⊙ o(1-o),
  //   dz_g = dc ⊙ i ⊙ (1-g²)
  const dsig = (x: tf.Tensor) => tf.mul(x, tf.sub(1, x));
  const K = tf.unstack(tf.concat([
    tf.mul(g, dsig(i)),
    tf.mul(cPrev, dsig(f)),
    tf.mul(s.TC, dsig(o)),
    tf.mul(i, tf.sub(1, tf.square(g))),
  ], 2)) as tf.Tensor2D[];
  // dc_t += dh_t ⊙ o ⊙ (1 - tanh²(c_t))
  const E = tf.unstack(tf.mul(o, tf.sub(1, tf.square(s.TC)))) as tf.Tensor2D[];
  const F = tf.unstack(f) as tf.Tensor2D[];
  const dHs = T === 1 ? [dy] : (tf.split(dy, T, 0) as tf.Tensor2D[]);
  const WhT = tf.transpose(s.Wh);
  let dh: tf.Tensor2D = tf.zeros([B, H]);
  let dc: tf.Tensor2D = tf.zeros([B, H]);
  const dzs = new Array<tf.Tensor2D>(T);
  const dhAll = new Array<tf.Tensor2D>(T);
  const dcAll = new Array<tf.Tensor2D>(T);
  for (let t = T - 1; t >= 0; t--) {
    dh = tf.add(dh, dHs[t]);
    dhAll[t] = dh;
    dc = tf.add(dc, tf.mul(dh, E[t]));
    dcAll[t] = dc;
    const dz = tf.mul(tf.concat([dc, dc, dh, dc], 1), K[t]) as tf.Tensor2D;
    dzs[t] = dz;
    dc = tf.mul(dc, F[t]);
    dh = tf.matMul(dz, WhT);
  }
  const dZ = tf.concat(dzs, 0) as tf.Tensor2D; // [T*B, 4H]
  const hPrev = tf.reshape(tf.slice(s.Hall, [0, 0, 0], [T, B, H]), [T * B, H]) as tf.Tensor2D;
  const dWh = tf.matMul(hPrev, dZ, true, false);
  const dWx = tf.unsortedSegmentSum(dZ, tf.tensor1d(ids, 'int32'), V);
  const db = tf.sum(dZ, 0);
  const norm = (xs: tf.Tensor2D[]) => tf.keep(tf.sqrt(tf.sum(tf.square(tf.stack(xs)), [1, 2])) as tf.Tensor1D);
  aux.dhNorm = norm(dhAll);
  aux.dcNorm = norm(dcAll);
  return [dWx, dWh, db];
}
