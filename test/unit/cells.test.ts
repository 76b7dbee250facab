/**
 * Every cell's hand-written backward pass, in one and two layers, against tfjs autodiff through
 * the same forward ops and against central finite differences; the per-step gradient norms
 * against zero "probe" tensors added to each h_t.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import * as tf from '@tensorflow/tfjs-core';
import { type CellState } from '../../src/engine/cells/cell';
import { CELL_TYPES, type CellName } from '../../src/protocol/runConfig';
import type { LayerAux } from '../../src/engine/layer';
import { crossEntropy, disposeStates, SequenceModel } from '../../src/engine/model';
import { maxAbs, maxAbsDiff, randomArray, useWasm } from './helpers/backend';

const V = 6, H = 5, B = 3, T = 6;
const ids = Int32Array.from({ length: T * B }, (_, k) => (k * 7 + 3) % V);
const targets = Int32Array.from({ length: T * B }, (_, k) => (k * 5 + 1) % V);

function model(cell: CellName, layers: number, seed: number): SequenceModel {
  const m = SequenceModel.create({ cell, layers, hiddenSize: H, vocabSize: V, dropout: 0 }, seed);
  // Random biases and peepholes too, so that no gradient is trivially zero.
  for (const { variable } of m.named) variable.assign(tf.add(variable, tf.tensor(randomArray(variable.size, seed + variable.size, 0.3), variable.shape)));
  return m;
}

function startState(m: SequenceModel): CellState[] {
  return m.layers.map((_, l) => ({
    h: tf.tensor2d(randomArray(B * H, 11 + l, 0.3), [B, H]),
    c: m.cell.hasCellState ? tf.tensor2d(randomArray(B * H, 21 + l, 0.3), [B, H]) : null,
  }));
}

/** The loss through the hand-written backward pass. */
function customLoss(m: SequenceModel, aux: LayerAux[] = []): tf.Scalar {
  const s = startState(m);
  const loss = m.windowLoss(ids, targets, B, s, aux, 1);
  disposeStates(aux.map((a) => a.final!).filter(Boolean));
  return loss;
}

/**
 * The same model's loss by autodiff: the cells' forward steps run directly, with optional zero
 * probes added to the top layer's h_t (dL/dprobe_t = dL/dh_t), and the loss optionally taken at
 * the last time step only.
 */
function autodiffLoss(m: SequenceModel, probes?: tf.Tensor2D[], lastStepOnly = false): tf.Scalar {
  const states = startState(m);
  let below: tf.Tensor2D | null = null;
  let hs: tf.Tensor2D[] = [];
  m.layers.forEach((p, l) => {
    const xw = tf.add(below ? tf.matMul(below, p.Wx) : tf.gather(p.Wx, tf.tensor1d(ids, 'int32')), p.b) as tf.Tensor2D;
    const rows = tf.split(xw, T, 0) as tf.Tensor2D[];
    const w = { Wh: p.Wh as tf.Tensor2D, p: p.p as tf.Tensor2D | null, extra: m.cell.prepare(p.Wh, H) };
    let prev = states[l];
    hs = [];
    for (let t = 0; t < T; t++) {
      const s = m.cell.step(rows[t], prev, w);
      const h = probes && l === m.layers.length - 1 ? tf.add(s.h, probes[t]) as tf.Tensor2D : s.h;
      hs.push(h);
      prev = { h, c: s.c };
    }
    below = tf.concat(hs, 0) as tf.Tensor2D;
  });
  const logits = tf.add(tf.matMul(below!, m.Wy), m.by) as tf.Tensor2D;
  if (!lastStepOnly) return crossEntropy(logits, targets, V);
  // The last step's share of the window's mean loss, as the layer's last-step recursion sees it.
  const last = tf.slice(logits, [(T - 1) * B, 0], [B, V]) as tf.Tensor2D;
  return tf.div(crossEntropy(last, targets.subarray((T - 1) * B), V), T) as tf.Scalar;
}

function relErr(a: ArrayLike<number>, b: ArrayLike<number>): number {
  return maxAbsDiff(a, b) / Math.max(maxAbs(b), 1e-8);
}

for (const backend of ['cpu', 'wasm'] as const) {
  for (const cell of CELL_TYPES) {
    for (const layers of [1, 2]) {
      test(`[${backend}] ${cell} × ${layers}: hand-written BPTT equals autodiff`, async () => {
        if (backend === 'wasm') await useWasm(); else await tf.setBackend('cpu');
        const m = model(cell, layers, 3);
        const vars = m.variables;
        const aux: LayerAux[] = [];
        const mine = tf.variableGrads(() => customLoss(m, aux), vars);
        const ref = tf.variableGrads(() => autodiffLoss(m), vars);
        assert.ok(Math.abs(mine.value.dataSync()[0] - ref.value.dataSync()[0]) < 1e-5, 'same loss');
        for (const { key, variable } of m.named) {
          const err = relErr(mine.grads[variable.name].dataSync(), ref.grads[variable.name].dataSync());
          assert.ok(err < 2e-4, `${key}: relative error ${err}`);
          assert.ok(maxAbs(ref.grads[variable.name].dataSync()) > 0, `${key} gets a gradient`);
        }
        tf.dispose([mine.value, ref.value, ...Object.values(mine.grads), ...Object.values(ref.grads), ...aux.flatMap((a) => [a.dhNorm, a.dcNorm])]);
        m.dispose();
      });
    }

    test(`[${backend}] ${cell}: per-step ‖∂L/∂h_t‖ and ‖∂ℓ_T/∂h_t‖ equal probe gradients`, async () => {
      if (backend === 'wasm') await useWasm(); else await tf.setBackend('cpu');
      const m = model(cell, 1, 4);
      const aux: LayerAux[] = [{ wantLastStep: true }];
      const mine = tf.variableGrads(() => customLoss(m, aux), m.variables);
      for (const [lastOnly, got] of [[false, aux[0].dhNorm!], [true, aux[0].dhLast!]] as const) {
        const probes = Array.from({ length: T }, () => tf.zeros([B, H]) as tf.Tensor2D);
        const d = tf.grads((...ps: tf.Tensor[]) => autodiffLoss(m, ps as tf.Tensor2D[], lastOnly))(probes);
        const expected = d.map((g) => Math.sqrt(tf.sum(tf.square(g)).dataSync()[0]));
        const norms = got.dataSync();
        for (let t = 0; t < T; t++) {
          assert.ok(Math.abs(norms[t] - expected[t]) <= 1e-6 + 2e-4 * expected[t], `${lastOnly ? 'last-step' : 'window'} t=${t}: ${norms[t]} vs ${expected[t]}`);
        }
        const sum = expected.reduce((a, b) => a + b, 0);
        assert.ok(Math.abs(Array.from(norms).reduce((a, b) => a + b, 0) - sum) <= 2e-4 * sum, 'sums over the window agree');
        tf.dispose([...probes, ...d]);
      }
      tf.dispose([mine.value, ...Object.values(mine.grads), ...aux.flatMap((a) => [a.dhNorm, a.dcNorm, a.dhLast, a.dcLast])]);
      m.dispose();
    });
  }
}

for (const cell of CELL_TYPES) {
  test(`[cpu] ${cell} × 2: gradients match central finite differences`, async () => {
    await tf.setBackend('cpu');
    const m = model(cell, 2, 5);
    const { value, grads } = tf.variableGrads(() => customLoss(m), m.variables);
    const eps = 1e-2;
    let checked = 0;
    for (const { key, variable: v } of m.named) {
      const analytic = grads[v.name].dataSync();
      const base = v.dataSync().slice();
      for (let k = 0; k < base.length; k += Math.max(1, Math.floor(base.length / 4))) {
        const at = (delta: number) => {
          const w = base.slice();
          w[k] += delta;
          v.assign(tf.tensor(w, v.shape));
          return tf.tidy(() => customLoss(m).dataSync()[0]);
        };
        const numeric = (at(eps) - at(-eps)) / (2 * eps);
        v.assign(tf.tensor(base, v.shape));
        assert.ok(Math.abs(numeric - analytic[k]) <= 2e-3 + 3e-2 * Math.abs(numeric), `${key}[${k}]: numeric ${numeric}, analytic ${analytic[k]}`);
        checked++;
      }
    }
    assert.ok(checked >= 20);
    tf.dispose([value, ...Object.values(grads)]);
    m.dispose();
  });
}
