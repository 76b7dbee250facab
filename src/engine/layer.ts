/**
 * One recurrent layer over a BPTT window, for any cell, with a hand-written backward pass.
 *
 * Forward: the input projection x_t W_x + b is one gather (one-hot input) or one matmul for the
 * whole window, then the cell steps through time. Backward: the cell's `backStep` walks the
 * window in reverse carrying only ∂L/∂h and ∂L/∂c; the weight gradients are one segment sum or
 * matmul (W_x), one matmul (W_h) and one sum (b) over the window. The per-step gradient norms
 * are by-products.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { Cell, CellState, RecurrentWeights, StepResult } from './cells/cell';

export interface LayerWeights {
  /** [D, blocks·H] (D = vocabulary size for the first layer) */ Wx: tf.Tensor2D;
  /** [H, blocks·H] */ Wh: tf.Tensor2D;
  /** [blocks·H] */ b: tf.Tensor1D;
  /** [3, H] peepholes, or null */ p: tf.Tensor2D | null;
}

/** The first layer reads token ids (one-hot); the others read the layer below, [T·B, D]. */
export type LayerInput = { ids: Int32Array; x?: undefined } | { x: tf.Tensor2D; ids?: undefined };

/** By-products of a training step's backward pass. Tensors here are kept; the caller disposes. */
export interface LayerAux {
  /** Final state of the window, to carry into the next one. */
  final?: CellState;
  /** [T] ‖∂L/∂h_t‖ of the window loss, t = 1..T */ dhNorm?: tf.Tensor1D;
  /** [T] ‖∂L/∂c_t‖ (cells with a cell state) */ dcNorm?: tf.Tensor1D;
  /** Set to ask for the gradient of the last step's loss alone, by lag. */
  wantLastStep?: boolean;
  /** [T] ‖∂ℓ_T/∂h_t‖: how much of the last step's loss reaches h_t */ dhLast?: tf.Tensor1D;
  /** [T] ‖∂ℓ_T/∂c_t‖ */ dcLast?: tf.Tensor1D;
}

export interface LayerTrace {
  /** T tensors [B, H] */ hs: tf.Tensor2D[];
  /** T tensors [B, H], or empty */ cs: tf.Tensor2D[];
  steps: StepResult[];
}

function inputProjection(w: LayerWeights, input: LayerInput): tf.Tensor2D {
  const xw = input.ids ? tf.gather(w.Wx, tf.tensor1d(input.ids, 'int32')) : tf.matMul(input.x, w.Wx);
  return tf.add(xw, w.b) as tf.Tensor2D;
}

function rowsOf(x: tf.Tensor2D, parts: number): tf.Tensor2D[] {
  return parts === 1 ? [x] : (tf.split(x, parts, 0) as tf.Tensor2D[]);
}

/** Forward only (differentiable by autodiff too). Nothing is disposed: wrap in tf.tidy. */
export function layerForward(cell: Cell, w: LayerWeights, input: LayerInput, batch: number, state: CellState): LayerTrace {
  const xw = inputProjection(w, input);
  const T = xw.shape[0] / batch;
  const H = w.Wh.shape[0];
  const rw: RecurrentWeights = { Wh: w.Wh, p: w.p, extra: cell.prepare(w.Wh, H) };
  let prev = state;
  const trace: LayerTrace = { hs: [], cs: [], steps: [] };
  for (const zx of rowsOf(xw, T)) {
    const s = cell.step(zx, prev, rw);
    trace.hs.push(s.h);
    if (s.c) trace.cs.push(s.c);
    trace.steps.push(s);
    prev = s;
  }
  return trace;
}

/**
 * The layer as a differentiable op: returns H [T·B, H]. Gradients flow to the weights and, for
 * upper layers, to the input x; the incoming state is a constant (truncated BPTT).
 */
export function recurrentLayer(cell: Cell, w: LayerWeights, input: LayerInput, batch: number, state: CellState, aux: LayerAux): tf.Tensor2D {
  const B = batch;
  const H = w.Wh.shape[0];
  const hasC = cell.hasCellState;
  const usesX = input.x !== undefined;
  const inputs: tf.Tensor[] = [...(usesX ? [input.x] : []), w.Wx, w.Wh, w.b, ...(w.p ? [w.p] : [])];
  const op = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
    const save = args.pop() as tf.GradSaveFunc;
    const t = args as tf.Tensor[];
    let k = 0;
    const x = usesX ? (t[k++] as tf.Tensor2D) : undefined;
    const lw: LayerWeights = { Wx: t[k++] as tf.Tensor2D, Wh: t[k++] as tf.Tensor2D, b: t[k++] as tf.Tensor1D, p: w.p ? (t[k++] as tf.Tensor2D) : null };
    const trace = layerForward(cell, lw, x ? { x } : { ids: input.ids! }, B, state);
    const T = trace.hs.length;
    const hAll = tf.concat([state.h, ...trace.hs], 0); // [(T+1)·B, H]
    const cAll = hasC ? tf.concat([state.c!, ...trace.cs], 0) : null;
    const width = trace.steps[0].saved.length;
    const savedAll = Array.from({ length: width }, (_, j) => tf.concat(trace.steps.map((s) => s.saved[j]), 0));
    save([lw.Wx, lw.Wh, ...(lw.p ? [lw.p] : []), ...(x ? [x] : []), hAll, ...(cAll ? [cAll] : []), ...savedAll]);
    aux.final = { h: tf.keep(trace.hs[T - 1]), c: hasC ? tf.keep(trace.cs[T - 1]) : null };
    return {
      value: tf.concat(trace.hs, 0) as tf.Tensor2D,
      gradFunc: (dy: tf.Tensor | tf.Tensor[], saved: tf.Tensor[]) => {
        let j = 0;
        const Wx = saved[j++] as tf.Tensor2D;
        const Wh = saved[j++] as tf.Tensor2D;
        const p = lw.p ? (saved[j++] as tf.Tensor2D) : null;
        const xs = x ? (saved[j++] as tf.Tensor2D) : null;
        const hA = saved[j++] as tf.Tensor2D;
        const cA = hasC ? (saved[j++] as tf.Tensor2D) : null;
        const sA = saved.slice(j) as tf.Tensor2D[];
        const grads = backward(cell, { Wx, Wh, p, x: xs, hAll: hA, cAll: cA, savedAll: sA }, dy as tf.Tensor2D, input.ids, B, H, aux);
        return [...(usesX ? [grads.dX!] : []), grads.dWx, grads.dWh, grads.db, ...(p ? [grads.dp!] : [])];
      },
    };
  });
  return op(...inputs) as tf.Tensor2D;
}

interface SavedWindow {
  Wx: tf.Tensor2D;
  Wh: tf.Tensor2D;
  p: tf.Tensor2D | null;
  x: tf.Tensor2D | null;
  hAll: tf.Tensor2D;
  cAll: tf.Tensor2D | null;
  savedAll: tf.Tensor2D[];
}

function backward(cell: Cell, s: SavedWindow, dy: tf.Tensor2D, ids: Int32Array | undefined, B: number, H: number, aux: LayerAux) {
  const T = dy.shape[0] / B;
  const hasC = cell.hasCellState;
  const rw = { Wh: s.Wh, p: s.p, extra: cell.prepare(s.Wh, H), WhT: tf.transpose(s.Wh) as tf.Tensor2D };
  const hs = rowsOf(s.hAll, T + 1);
  const cs = s.cAll ? rowsOf(s.cAll, T + 1) : [];
  const savedSteps = s.savedAll.map((a) => rowsOf(a, T));
  const savedAt = (t: number) => savedSteps.map((a) => a[t]);
  const prevAt = (t: number) => ({ h: hs[t], c: hasC ? cs[t] : null });
  const dHs = rowsOf(dy, T);

  const walk = (inject: (t: number) => tf.Tensor2D | null, keep: (t: number, dh: tf.Tensor2D, dc: tf.Tensor2D | null, dz: tf.Tensor2D) => void) => {
    let dh: tf.Tensor2D = tf.zeros([B, H]);
    let dc: tf.Tensor2D | null = hasC ? tf.zeros([B, H]) : null;
    for (let t = T - 1; t >= 0; t--) {
      const extra = inject(t);
      if (extra) dh = tf.add(dh, extra);
      const r = cell.backStep(dh, dc, savedAt(t), prevAt(t), hasC ? cs[t + 1] : null, rw);
      keep(t, dh, r.dc, r.dz);
      dh = r.dhPrev;
      dc = r.dcPrev;
    }
  };

  const dzs = new Array<tf.Tensor2D>(T);
  const dhTotal = new Array<tf.Tensor2D>(T);
  const dcTotal = new Array<tf.Tensor2D>(T);
  walk((t) => dHs[t], (t, dh, dc, dz) => { dzs[t] = dz; dhTotal[t] = dh; if (dc) dcTotal[t] = dc; });
  const norms = (xs: tf.Tensor2D[]) => tf.keep(tf.sqrt(tf.sum(tf.square(tf.stack(xs)), [1, 2])) as tf.Tensor1D);
  aux.dhNorm = norms(dhTotal);
  if (hasC) aux.dcNorm = norms(dcTotal);
  if (aux.wantLastStep) {
    // The same recursion with only the last step's loss injected: the vanishing/exploding picture.
    const dhLast = new Array<tf.Tensor2D>(T);
    const dcLast = new Array<tf.Tensor2D>(T);
    walk((t) => (t === T - 1 ? dHs[t] : null), (t, dh, dc) => { dhLast[t] = dh; if (dc) dcLast[t] = dc; });
    aux.dhLast = norms(dhLast);
    if (hasC) aux.dcLast = norms(dcLast);
  }

  const dZ = tf.concat(dzs, 0) as tf.Tensor2D; // [T·B, blocks·H]
  const { dWh, dp } = cell.weightGrads({
    hPrev: tf.slice(s.hAll, [0, 0], [T * B, H]),
    cPrev: s.cAll ? tf.slice(s.cAll, [0, 0], [T * B, H]) : null,
    c: s.cAll ? tf.slice(s.cAll, [B, 0], [T * B, H]) : null,
    saved: s.savedAll,
    dZ,
  }, rw);
  const dWx = ids ? tf.unsortedSegmentSum(dZ, tf.tensor1d(ids, 'int32'), s.Wx.shape[0]) : tf.matMul(s.x!, dZ, true, false);
  const dX = s.x ? tf.matMul(dZ, s.Wx, false, true) : null;
  return { dWx, dWh, db: tf.sum(dZ, 0), dp, dX };
}
