/**
 * The encoder–decoder on the fused kernels against the same model written out in tfjs ops and
 * differentiated by tfjs (every cell, 1–2 layers, each attention, one and two directions), against
 * directional differences of its own loss, and padding that must not change anything.
 */
import assert from 'node:assert/strict';
import { before, test } from 'node:test';
import * as tf from '@tensorflow/tfjs-core';
import { findWasmDir } from '../../src/engine/backend';
import type { CellState } from '../../src/engine/cells/cell';
import { cellOf } from '../../src/engine/cells/registry';
import { FusedModule } from '../../src/engine/fused/module';
import { Rng } from '../../src/engine/rng';
import { bMajor } from '../../src/engine/seq2seq/layout';
import { FusedSeq2Seq, type AttentionKind, type ModelBatch, type Seq2SeqShape } from '../../src/engine/seq2seq/model';
import { CELL_TYPES, type CellName } from '../../src/protocol/runConfig';
import { maxAbs, maxAbsDiff, randomArray, useWasm } from './helpers/backend';

before(useWasm);

const V = 11, H = 8, B = 4, Ts = 5, Tt = 6;

async function makeModel(shape: Partial<Seq2SeqShape>, seed = 3): Promise<FusedSeq2Seq> {
  const mod = await FusedModule.load(findWasmDir(__dirname));
  const m = new FusedSeq2Seq(mod, { cell: 'lstm', layers: 1, hidden: H, vocab: V, attention: 'dot', bidirectional: false, ...shape }, B, 8, 9, seed);
  // Larger weights than the initial ones, so that no path is negligible.
  m.params.forEach((p, k) => {
    const noise = randomArray(p.n, seed * 100 + k, 0.4);
    const v = m.values(p);
    for (let j = 0; j < p.n; j++) v[j] += noise[j];
  });
  return m;
}

/** A batch with targets of different lengths: row b's target is Tt − b tokens, the rest padding. */
function makeBatchData(seed: number, tt = Tt): ModelBatch {
  const rng = new Rng(seed);
  const id = () => 4 + Math.floor(rng.next() * (V - 4));
  const source = Int32Array.from({ length: Ts * B }, id);
  const decoderTarget = new Int32Array(tt * B).fill(1);
  const decoderInput = new Int32Array(tt * B).fill(1);
  const mask = new Float32Array(tt * B);
  for (let b = 0; b < B; b++) {
    const len = Math.max(1, Tt - b);
    for (let t = 0; t < len; t++) {
      decoderTarget[t * B + b] = t === len - 1 ? 3 : id();
      decoderInput[t * B + b] = t === 0 ? 2 : decoderTarget[(t - 1) * B + b];
      mask[t * B + b] = 1;
    }
  }
  return { sourceSteps: Ts, targetSteps: tt, source, decoderInput, decoderTarget, mask };
}

/** The same model in tfjs ops, for autodiff: parameters `w` in `m.params` order. */
function referenceLoss(m: FusedSeq2Seq, batch: ModelBatch, w: tf.Tensor[]): tf.Scalar {
  const { cell: name, layers: L, bidirectional } = m.shape;
  const cell = cellOf(name);
  const T1 = batch.sourceSteps;
  const T2 = batch.targetSteps;
  let k = 0;
  const takeStack = () => Array.from({ length: L }, () => {
    const Wx = w[k++] as tf.Tensor2D;
    const Wh = w[k++] as tf.Tensor2D;
    const b = w[k++] as tf.Tensor1D;
    const p = cell.peepholes ? (w[k++] as tf.Tensor2D) : null;
    return { Wx, Wh, b, p };
  });
  const enc = takeStack();
  const encb = bidirectional ? takeStack() : [];
  const dec = takeStack();
  const head = w.slice(k);
  const run = (stack: ReturnType<typeof takeStack>, ids: Int32Array, T: number, init: CellState[] | null) => {
    let inputs: tf.Tensor2D[] = [];
    const finals: CellState[] = [];
    stack.forEach((layer, l) => {
      let state: CellState = init ? init[l] : { h: tf.zeros([B, H]), c: cell.hasCellState ? tf.zeros([B, H]) : null };
      const extra = cell.prepare(layer.Wh, H);
      const outs: tf.Tensor2D[] = [];
      for (let t = 0; t < T; t++) {
        const x = l === 0 ? tf.cast(tf.oneHot(tf.tensor1d(ids.subarray(t * B, (t + 1) * B), 'int32'), V), 'float32') as tf.Tensor2D : inputs[t];
        const zx = tf.add(tf.matMul(x, layer.Wx), layer.b) as tf.Tensor2D;
        const r = cell.step(zx, state, { Wh: layer.Wh, p: layer.p, extra });
        state = { h: r.h, c: r.c };
        outs.push(r.h);
      }
      finals.push(state);
      inputs = outs;
    });
    return { outs: inputs, finals };
  };
  const forward = run(enc, batch.source, T1, null);
  let henc = forward.outs;
  let init = forward.finals;
  if (bidirectional) {
    const reversed = new Int32Array(T1 * B);
    for (let t = 0; t < T1; t++) reversed.set(batch.source.subarray(t * B, (t + 1) * B), (T1 - 1 - t) * B);
    const back = run(encb, reversed, T1, null);
    henc = henc.map((h, t) => tf.concat([h, back.outs[T1 - 1 - t]], 1));
    init = init.map((s, l) => ({ h: tf.add(s.h, back.finals[l].h), c: s.c ? tf.add(s.c, back.finals[l].c!) : null }));
  }
  const decoded = run(dec, batch.decoderInput, T2, init);
  const S = tf.reshape(tf.transpose(tf.stack(decoded.outs), [1, 0, 2]), [B * T2, H]) as tf.Tensor2D;
  const Hs = tf.transpose(tf.stack(henc), [1, 0, 2]) as tf.Tensor3D;
  const targets = tf.tensor1d(bMajor(batch.decoderTarget, T2, B, 1), 'int32');
  const mask = bMajor(batch.mask, T2, B, 1);
  const tokens = mask.reduce((a, b) => a + b, 0);
  return FusedSeq2Seq.maskedLoss(m.headForward(S, Hs, T2, head).logits, targets, tf.tensor1d(mask), tokens);
}

function checkAgainstAutodiff(m: FusedSeq2Seq, batch: ModelBatch, label: string): void {
  const { loss } = m.gradients(batch);
  const fused = m.params.map((p) => m.gradient(p).slice());
  const { value, grads } = tf.tidy(() => {
    const w = m.params.map((p) => tf.tensor(m.values(p), p.shape));
    const r = tf.valueAndGrads((...xs: tf.Tensor[]) => referenceLoss(m, batch, xs))(w);
    return { value: r.value.dataSync()[0], grads: r.grads.map((g) => g.dataSync() as Float32Array) };
  });
  assert.ok(Math.abs(loss - value) < 1e-5 * Math.max(1, Math.abs(value)), `${label}: loss ${loss} vs ${value}`);
  m.params.forEach((p, k) => {
    const scale = Math.max(maxAbs(grads[k]), 1e-3);
    const d = maxAbsDiff(fused[k], grads[k]);
    assert.ok(d < 2e-4 * scale + 1e-6, `${label}: ∂L/∂${p.key} differs by ${d} (largest ${scale})`);
  });
  // Every encoder parameter gets gradient (through attention and through the decoder's start state).
  for (const p of m.params.filter((q) => q.key.startsWith('enc'))) assert.ok(maxAbs(m.gradient(p)) > 1e-6, `${label}: ${p.key} gets no gradient`);
}

for (const cell of CELL_TYPES) {
  test(`seq2seq gradients equal tfjs autodiff: ${cell}, 2 layers, dot attention`, async () => {
    const m = await makeModel({ cell, layers: 2, attention: 'dot' });
    checkAgainstAutodiff(m, makeBatchData(1), `${cell} 2×dot`);
  });
}

for (const [cell, attention, bidirectional] of [['lstm', 'none', false], ['lstm', 'additive', false], ['lstm', 'additive', true], ['gru', 'dot', true], ['peephole', 'none', true], ['rnn', 'additive', true]] as [CellName, AttentionKind, boolean][]) {
  test(`seq2seq gradients equal tfjs autodiff: ${cell}, ${attention} attention, ${bidirectional ? 'bidirectional' : 'one direction'}`, async () => {
    for (const layers of [1, 2]) {
      const m = await makeModel({ cell, layers, attention, bidirectional });
      checkAgainstAutodiff(m, makeBatchData(2), `${cell} ${layers}×${attention}${bidirectional ? ' bi' : ''}`);
    }
  });
}

test('seq2seq gradient along random directions matches central differences of the loss', async () => {
  const m = await makeModel({ cell: 'lstm', layers: 2, attention: 'additive', bidirectional: true }, 5);
  const batch = makeBatchData(4);
  m.gradients(batch);
  const grads = m.params.map((p) => m.gradient(p).slice());
  const base = m.params.map((p) => m.values(p).slice());
  const lossAt = (u: Float32Array[], eps: number) => {
    m.params.forEach((p, k) => {
      const v = m.values(p);
      for (let j = 0; j < p.n; j++) v[j] = base[k][j] + eps * u[k][j];
    });
    return m.gradients(batch).loss;
  };
  for (let trial = 0; trial < 3; trial++) {
    const u = m.params.map((p, k) => randomArray(p.n, 1000 * trial + k, 1));
    const analytic = grads.reduce((s, g, k) => s + g.reduce((a, x, j) => a + x * u[k][j], 0), 0);
    const scale = grads.reduce((s, g, k) => s + g.reduce((a, x, j) => a + Math.abs(x * u[k][j]), 0), 0);
    // Richardson: two step sizes cancel the h² term of the central difference.
    const d = (eps: number) => (lossAt(u, eps) - lossAt(u, -eps)) / (2 * eps);
    const numeric = (4 * d(5e-3) - d(1e-2)) / 3;
    assert.ok(Math.abs(numeric - analytic) < 2e-2 * scale, `trial ${trial}: ${numeric} vs ${analytic} (scale ${scale})`);
  }
  m.params.forEach((p, k) => m.values(p).set(base[k]));
});

test('padding changes nothing: longer padded targets and masked rows give the same loss and gradients', async () => {
  const m = await makeModel({ cell: 'gru', layers: 2, attention: 'dot' });
  const batch = makeBatchData(7);
  const a = m.gradients(batch).loss;
  const ga = m.params.map((p) => m.gradient(p).slice());
  // Three more steps of padding after every target.
  const padded = makeBatchData(7, Tt + 3);
  const b = m.gradients(padded).loss;
  assert.ok(Math.abs(a - b) < 1e-6, `${a} vs ${b}`);
  m.params.forEach((p, k) => assert.ok(maxAbsDiff(m.gradient(p), ga[k]) < 1e-6, `${p.key} changed with padding`));
  // A masked row's tokens do not count: change what row 3 reads and writes, keep it masked.
  const masked = makeBatchData(7);
  for (let t = 0; t < Tt; t++) masked.mask[t * B + 3] = 0;
  const before1 = m.gradients(masked).loss;
  const g1 = m.params.map((p) => m.gradient(p).slice());
  for (let t = 0; t < Tt; t++) {
    masked.decoderInput[t * B + 3] = 5;
    masked.decoderTarget[t * B + 3] = 6;
  }
  assert.ok(Math.abs(m.gradients(masked).loss - before1) < 1e-6);
  m.params.filter((p) => p.key.startsWith('dec') || p.key.startsWith('out') || p.key.startsWith('att') || p.key.startsWith('comb'))
    .forEach((p) => assert.ok(maxAbsDiff(m.gradient(p), g1[m.params.indexOf(p)]) < 1e-6, `${p.key} saw a masked row`));
});

test('training lowers the loss on a fixed batch; gradient norms by source position are reported', async () => {
  const m = await makeModel({ cell: 'lstm', layers: 1, attention: 'dot' }, 9);
  const batch = makeBatchData(8);
  const first = m.step(batch, { learningRate: 0.02, clipNorm: 5 });
  assert.equal(first.sourceGradNorms.length, Ts);
  assert.ok(first.sourceGradNorms.every((x) => x > 0 && Number.isFinite(x)));
  let last = first;
  for (let i = 0; i < 60; i++) last = m.step(batch, { learningRate: 0.02, clipNorm: 5 });
  assert.ok(last.loss < first.loss * 0.3, `${first.loss} → ${last.loss}`);
});
