/**
 * The hand-written LSTM backward pass against two oracles: tfjs autodiff through an independent
 * reference cell written with plain ops, and central finite differences. Also the per-step
 * gradient norms against "probe" tensors added to each h_t.
 */
import assert from 'node:assert/strict';
import { before, test } from 'node:test';
import * as tf from '@tensorflow/tfjs';
import { lstmForward, lstmLayer, type LstmAux } from '../../src/engine/lstm';
import { maxAbs, maxAbsDiff, randomArray, useWasm } from './helpers/backend';

const V = 6, H = 5, B = 3, T = 7;

interface Params { Wx: tf.Variable; Wh: tf.Variable; b: tf.Variable; Wy: tf.Variable; by: tf.Variable }

function makeParams(seed: number): Params {
  return {
    Wx: tf.variable(tf.tensor2d(randomArray(V * 4 * H, seed, 0.5), [V, 4 * H])),
    Wh: tf.variable(tf.tensor2d(randomArray(H * 4 * H, seed + 1, 0.5), [H, 4 * H])),
    b: tf.variable(tf.tensor1d(randomArray(4 * H, seed + 2, 0.5))),
    Wy: tf.variable(tf.tensor2d(randomArray(H * V, seed + 3, 0.5), [H, V])),
    by: tf.variable(tf.tensor1d(randomArray(V, seed + 4, 0.1))),
  };
}

const ids = Int32Array.from({ length: T * B }, (_, k) => (k * 7 + 3) % V);
const targets = Int32Array.from({ length: T * B }, (_, k) => (k * 5 + 1) % V);
const state0 = () => ({ h: tf.tensor2d(randomArray(B * H, 11, 0.3), [B, H]), c: tf.tensor2d(randomArray(B * H, 12, 0.3), [B, H]) });

function outputLoss(hs: tf.Tensor2D, p: Params): tf.Scalar {
  const logits = tf.add(tf.matMul(hs, p.Wy), p.by);
  return tf.losses.softmaxCrossEntropy(tf.oneHot(tf.tensor1d(targets, 'int32'), V), logits as tf.Tensor2D) as tf.Scalar;
}

/** The loss through the hand-written backward pass. */
function customLoss(p: Params, aux: LstmAux): tf.Scalar {
  const s = state0();
  return outputLoss(lstmLayer({ Wx: p.Wx, Wh: p.Wh, b: p.b } as never, ids, B, s, aux), p);
}

/**
 * An independent reference cell written directly from the equations, differentiated by autodiff.
 * `probes[t]` (zeros) is added to h_t so that dL/dprobe_t = dL/dh_t.
 */
function referenceLoss(p: Params, probes?: tf.Tensor2D[]): tf.Scalar {
  let { h, c } = state0();
  const hs: tf.Tensor2D[] = [];
  const x = tf.oneHot(tf.tensor1d(ids, 'int32'), V).toFloat();
  for (let t = 0; t < T; t++) {
    const xt = tf.slice(x, [t * B, 0], [B, V]);
    const z = tf.add(tf.add(tf.matMul(xt, p.Wx as tf.Tensor2D), tf.matMul(h, p.Wh as tf.Tensor2D)), p.b);
    const i = tf.sigmoid(tf.slice(z, [0, 0], [B, H]));
    const f = tf.sigmoid(tf.slice(z, [0, H], [B, H]));
    const o = tf.sigmoid(tf.slice(z, [0, 2 * H], [B, H]));
    const g = tf.tanh(tf.slice(z, [0, 3 * H], [B, H]));
    c = tf.add(tf.mul(f, c), tf.mul(i, g));
    h = tf.mul(o, tf.tanh(c));
    if (probes) h = tf.add(h, probes[t]);
    hs.push(h);
  }
  return outputLoss(tf.concat(hs, 0) as tf.Tensor2D, p);
}

const names = ['Wx', 'Wh', 'b', 'Wy', 'by'] as const;

for (const backend of ['cpu', 'wasm'] as const) {
  test(`[${backend}] forward: shapes of h, c and gates`, async () => {
    if (backend === 'wasm') await useWasm(); else await tf.setBackend('cpu');
    const p = makeParams(1);
    tf.tidy(() => {
      const trace = lstmForward({ Wx: p.Wx, Wh: p.Wh, b: p.b } as never, ids, B, state0());
      assert.equal(trace.hs.length, T);
      assert.deepEqual(trace.hs[0].shape, [B, H]);
      assert.deepEqual(trace.cs[T - 1].shape, [B, H]);
      assert.deepEqual(trace.sig[0].shape, [B, 3 * H]);
      assert.deepEqual(trace.g[0].shape, [B, H]);
      const s = trace.sig[3].dataSync();
      assert.ok(s.every((v) => v > 0 && v < 1), 'gates lie in (0, 1)');
    });
    tf.dispose(Object.values(p));
  });

  test(`[${backend}] hand-written BPTT equals autodiff of an independent reference cell`, async () => {
    if (backend === 'wasm') await useWasm(); else await tf.setBackend('cpu');
    const p = makeParams(2);
    const vars = names.map((n) => p[n]);
    const aux: LstmAux = {};
    const mine = tf.variableGrads(() => customLoss(p, aux), vars);
    const ref = tf.variableGrads(() => referenceLoss(p), vars);
    assert.ok(Math.abs(mine.value.dataSync()[0] - ref.value.dataSync()[0]) < 1e-5, 'same loss');
    names.forEach((name, k) => {
      const a = mine.grads[vars[k].name].dataSync();
      const r = ref.grads[vars[k].name].dataSync();
      const err = maxAbsDiff(a, r) / Math.max(maxAbs(r), 1e-8);
      assert.ok(err < 1e-4, `gradient of ${name}: relative error ${err}`);
    });
    tf.dispose([mine.value, ref.value, ...Object.values(mine.grads), ...Object.values(ref.grads), aux.dhNorm, aux.dcNorm, aux.final?.h, aux.final?.c, ...vars]);
  });

  test(`[${backend}] per-step ‖∂L/∂h_t‖ equals the gradient reaching a probe on h_t`, async () => {
    if (backend === 'wasm') await useWasm(); else await tf.setBackend('cpu');
    const p = makeParams(3);
    const vars = names.map((n) => p[n]);
    const aux: LstmAux = {};
    const mine = tf.variableGrads(() => customLoss(p, aux), vars);
    const probes = Array.from({ length: T }, () => tf.zeros([B, H]) as tf.Tensor2D);
    const dProbes = tf.grads((...ps: tf.Tensor[]) => referenceLoss(p, ps as tf.Tensor2D[]))(probes);
    const expected = dProbes.map((d) => Math.sqrt(tf.sum(tf.square(d)).dataSync()[0]));
    const got = aux.dhNorm!.dataSync();
    assert.equal(got.length, T);
    for (let t = 0; t < T; t++) {
      assert.ok(Math.abs(got[t] - expected[t]) <= 1e-5 + 1e-4 * expected[t], `t=${t}: ${got[t]} vs ${expected[t]}`);
    }
    // Summed over the window, the probe gradients are what autodiff gives for all h_t at once.
    const sum = expected.reduce((a, b) => a + b, 0);
    assert.ok(Math.abs([...got].reduce((a, b) => a + b, 0) - sum) < 1e-4 * sum);
    tf.dispose([mine.value, ...Object.values(mine.grads), ...probes, ...dProbes, aux.dhNorm, aux.dcNorm, aux.final?.h, aux.final?.c, ...vars]);
  });
}

test('[cpu] hand-written gradients match central finite differences', async () => {
  await tf.setBackend('cpu');
  const p = makeParams(4);
  const vars = names.map((n) => p[n]);
  const aux: LstmAux = {};
  const { value, grads } = tf.variableGrads(() => customLoss(p, aux), vars);
  const eps = 1e-2;
  let checked = 0;
  for (const [index, v] of vars.entries()) {
    const analytic = grads[v.name].dataSync();
    const base = v.dataSync().slice();
    // A spread of entries from each parameter.
    for (let k = 0; k < base.length; k += Math.max(1, Math.floor(base.length / 6))) {
      const at = (delta: number) => {
        const w = base.slice();
        w[k] += delta;
        v.assign(tf.tensor(w, v.shape));
        const scratch: LstmAux = {};
        const l = tf.tidy(() => customLoss(p, scratch).dataSync()[0]);
        tf.dispose([scratch.final?.h, scratch.final?.c]);
        return l;
      };
      const numeric = (at(eps) - at(-eps)) / (2 * eps);
      v.assign(tf.tensor(base, v.shape));
      assert.ok(Math.abs(numeric - analytic[k]) <= 2e-3 + 2e-2 * Math.abs(numeric), `${names[index]}[${k}]: numeric ${numeric}, analytic ${analytic[k]}`);
      checked++;
    }
  }
  assert.ok(checked >= 25);
  tf.dispose([value, ...Object.values(grads), aux.dhNorm, aux.dcNorm, aux.final?.h, aux.final?.c, ...vars]);
});

before(() => tf.setBackend('cpu'));
