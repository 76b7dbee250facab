/**
 * The fused WebAssembly kernels against the tfjs reference (the Trainer with the hand-written
 * BPTT, on the cpu backend): the same losses, gradient norms, gradient flow by lag, weights after
 * several Adam steps with clipping, and Adam's state in a layout either path can resume from.
 * Both builds (plain SIMD and relaxed SIMD) run where the runtime takes them.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import * as tf from '@tensorflow/tfjs-core';
import { findBundle, findWasmDir, initBackend } from '../../src/engine/backend';
import type { Window } from '../../src/engine/data';
import { FusedTrainer } from '../../src/engine/fused/fusedTrainer';
import { enableRelaxedSimd, FusedModule, type SimdVariant } from '../../src/engine/fused/module';
import { FusedModel } from '../../src/engine/fused/fusedModel';
import { FusedParallelTrainer } from '../../src/engine/fused/fusedParallel';
import { Rng } from '../../src/engine/rng';
import { SequenceModel } from '../../src/engine/model';
import { startTrainer } from '../../src/engine/parallel/startTrainer';
import { prepareRun } from '../../src/engine/run';
import { copyOptimizerState } from '../../src/engine/snapshot';
import { Trainer, type StepResult } from '../../src/engine/trainer';
import { CELL_TYPES, DEFAULT_TRAIN_CONFIG, type CellName } from '../../src/protocol/runConfig';
import { maxAbs, maxAbsDiff } from './helpers/backend';

const wasmDir = () => findWasmDir(__dirname);

before(async () => {
  await initBackend('cpu');
  await tf.setBackend('cpu');
});

/** The builds this runtime can run (Node 20 takes relaxed SIMD after the flag the loader sets). */
async function variants(): Promise<SimdVariant[]> {
  enableRelaxedSimd();
  const out: SimdVariant[] = ['simd'];
  try {
    await FusedModule.load(wasmDir(), 'relaxed');
    out.push('relaxed');
  } catch {
    // Not in this runtime: the plain build is the one that runs.
  }
  return out;
}

function windows(V: number, B: number, T: number, count: number, seed: number): Window[] {
  let s = seed;
  const next = () => { s = (s * 1103515245 + 12345) % 2147483648; return s; };
  return Array.from({ length: count }, (_, k) => {
    const x = new Int32Array(T * B).map(() => next() % V);
    const y = new Int32Array(T * B).map(() => next() % V);
    return { x, y, resetState: k === 0 };
  });
}

const weightsOf = (m: SequenceModel) => m.named.map((n) => ({ key: n.key, data: n.variable.dataSync() as Float32Array }));

/** Differences relative to the larger of the two values' scales, so that tiny entries do not dominate. */
function relErr(a: ArrayLike<number>, b: ArrayLike<number>): number {
  return maxAbsDiff(a, b) / Math.max(maxAbs(a), maxAbs(b), 1e-12);
}

interface CompareShape { V: number; H: number; B: number; T: number; cell?: CellName; layers?: number }

async function compare(variant: SimdVariant, shape: CompareShape, steps: number, clipNorm: number) {
  const { V, H, B, T, cell = 'lstm', layers = 1 } = shape;
  const modelShape = { cell, layers, hiddenSize: H, vocabSize: V, dropout: 0 };
  const refModel = SequenceModel.create(modelShape, 7);
  const fusedModel = SequenceModel.create(modelShape, 7);
  const options = { optimizer: 'adam' as const, learningRate: 0.01, clipNorm, batch: B };
  const ref = new Trainer(refModel, options);
  const fused = await FusedTrainer.create(fusedModel, options, T, wasmDir(), variant);
  assert.equal(fused.variant, variant);
  const ws = windows(V, B, T, steps, 3 + V);
  const pairs: [StepResult, StepResult][] = ws.map((w) => [ref.step(w, true), fused.step(w, true)]);
  const result = { pairs, ref, fused, refModel, fusedModel };
  return result;
}

for (const cell of CELL_TYPES) {
  for (const layers of [1, 2]) {
    test(`fused ${cell} × ${layers} steps match the tfjs trainer: losses, norms, gradient by lag and weights after Adam with clipping`, async () => {
      for (const variant of await variants()) {
        // Clipping at 0.05 engages on these random windows, so the clipped update is compared too.
        const { pairs, ref, fused, refModel, fusedModel } = await compare(variant, { V: 11, H: 16, B: 4, T: 5, cell, layers }, 4, 0.05);
        for (const [k, [r, f]] of pairs.entries()) {
          assert.ok(Math.abs(r.loss - f.loss) < 1e-5 * r.loss, `${variant} step ${k}: loss ${r.loss} vs ${f.loss}`);
          assert.ok(Math.abs(r.gradNorm - f.gradNorm) < 1e-4 * r.gradNorm, `${variant} step ${k}: norm ${r.gradNorm} vs ${f.gradNorm}`);
          assert.equal(f.clipped, r.clipped, `${variant} step ${k}: clipped`);
          for (const key of ['h', 'c', 'hTotal', 'cTotal'] as const) {
            const a = r.gradByLag![key];
            const b = f.gradByLag![key];
            assert.equal(b.length, a.length, `${variant} ${key} by lag has as many entries (T, or none without a cell state)`);
            if (a.length) assert.ok(relErr(a, b) < 1e-4, `${variant} step ${k}: ${key} by lag ${a.slice(0, 3)} vs ${b.slice(0, 3)}`);
          }
        }
        assert.ok(pairs.some(([r]) => r.clipped), 'clipping engaged in at least one step');
        const a = weightsOf(refModel);
        const b = weightsOf(fusedModel);
        assert.equal(b.length, a.length);
        for (let i = 0; i < a.length; i++) {
          assert.equal(b[i].key, a[i].key);
          assert.ok(relErr(a[i].data, b[i].data) < 1e-4, `${variant} ${a[i].key} after ${pairs.length} steps: ${relErr(a[i].data, b[i].data)}`);
        }
        ref.dispose();
        fused.dispose();
        refModel.dispose();
        fusedModel.dispose();
      }
    });
  }
}

test('a word-sized vocabulary (803 tokens, not a multiple of 8) trains the same on both paths', async () => {
  const [variant] = (await variants()).slice(-1);
  const { pairs, ref, fused, refModel, fusedModel } = await compare(variant, { V: 803, H: 24, B: 8, T: 6, cell: 'cifg', layers: 2 }, 3, 5);
  for (const [k, [r, f]] of pairs.entries()) {
    assert.ok(Math.abs(r.loss - f.loss) < 1e-5 * r.loss, `step ${k}: loss ${r.loss} vs ${f.loss}`);
    assert.ok(Math.abs(r.gradNorm - f.gradNorm) < 1e-4 * r.gradNorm, `step ${k}: norm ${r.gradNorm} vs ${f.gradNorm}`);
  }
  const a = weightsOf(refModel);
  const b = weightsOf(fusedModel);
  for (let i = 0; i < a.length; i++) assert.ok(relErr(a[i].data, b[i].data) < 1e-4, `${a[i].key}: ${relErr(a[i].data, b[i].data)}`);
  ref.dispose();
  fused.dispose();
  refModel.dispose();
  fusedModel.dispose();
});

test('at the reference shape (vocabulary 65, 128 units, batch 32, 64 steps) one step agrees with tfjs', async () => {
  const [variant] = (await variants()).slice(-1);
  const { pairs, refModel, fusedModel, ref, fused } = await compare(variant, { V: 65, H: 128, B: 32, T: 64 }, 1, 5);
  const [r, f] = pairs[0];
  assert.ok(Math.abs(r.loss - f.loss) < 1e-5 * r.loss, `loss ${r.loss} vs ${f.loss}`);
  assert.ok(Math.abs(r.gradNorm - f.gradNorm) < 1e-4 * r.gradNorm, `norm ${r.gradNorm} vs ${f.gradNorm}`);
  const a = weightsOf(refModel);
  const b = weightsOf(fusedModel);
  for (let i = 0; i < a.length; i++) assert.ok(relErr(a[i].data, b[i].data) < 1e-4, `${a[i].key}: ${relErr(a[i].data, b[i].data)}`);
  ref.dispose();
  fused.dispose();
  refModel.dispose();
  fusedModel.dispose();
});

test('Adam state moves between the paths: a tfjs trainer continues a fused run as the fused one does', async () => {
  const [variant] = (await variants()).slice(-1);
  const { fused, fusedModel, ref, refModel } = await compare(variant, { V: 9, H: 8, B: 4, T: 6 }, 3, 0);
  // A tfjs trainer on a copy of the fused model's weights, given the fused trainer's Adam state.
  const copy = SequenceModel.create(fusedModel.shape, 99);
  copy.named.forEach((n, k) => n.variable.assign(fusedModel.named[k].variable));
  const cont = new Trainer(copy, ref.options);
  await copyOptimizerState(fused, cont);
  const next = windows(9, 4, 6, 2, 77);
  next[0].resetState = true;
  for (const w of next) {
    fused.step(w);
    cont.step(w);
  }
  const a = weightsOf(fusedModel);
  const b = weightsOf(copy);
  for (let i = 0; i < a.length; i++) assert.ok(relErr(a[i].data, b[i].data) < 1e-4, `${a[i].key}: ${relErr(a[i].data, b[i].data)}`);
  // And a fused trainer takes a tfjs trainer's state: the step count comes along.
  const back = await FusedTrainer.create(copy, ref.options, 6, wasmDir(), variant);
  await copyOptimizerState(cont, back);
  const moments = await back.optimizerWeights();
  const iter = moments.find((m) => m.name === 'iter')!;
  assert.equal(iter.tensor.dataSync()[0], 5, 'three fused steps and two tfjs steps');
  assert.equal(moments.length, 1 + 2 * copy.named.length);
  tf.dispose(moments.map((m) => m.tensor));
  for (const t of [fused, ref, cont, back]) t.dispose();
  for (const m of [fusedModel, refModel, copy]) m.dispose();
});

test('the run chooses the fused kernels for every cell and depth, and says why it does not for other models', async () => {
  const text = 'the quick brown fox jumps over the lazy dog. '.repeat(60);
  const shards = { shardScript: findBundle(__dirname, 'shardWorker.js'), wasmDir: wasmDir() };
  const base = { ...DEFAULT_TRAIN_CONFIG, hiddenSize: 16, batchSize: 8, seqLength: 16 };
  const cases = [
    { config: { ...base }, fused: true, note: /fused WebAssembly kernels/ },
    { config: { ...base, kernels: 'tfjs' as const }, fused: false, note: null },
    { config: { ...base, cell: 'gru' as const }, fused: true, note: /fused WebAssembly kernels/ },
    { config: { ...base, cell: 'peephole' as const, layers: 2, dropout: 0.2 }, fused: true, note: /fused WebAssembly kernels/ },
    { config: { ...base, optimizer: 'sgd' as const }, fused: false, note: /do not cover the sgd optimizer/ },
    { config: { ...base, hiddenSize: 12 }, fused: false, note: /12 hidden units/ },
  ];
  for (const c of cases) {
    const run = prepareRun(text, c.config);
    const notes: string[] = [];
    const trainer = await startTrainer(run, c.config, shards, undefined, (n) => notes.push(n));
    assert.equal(trainer instanceof FusedTrainer, c.fused, JSON.stringify(c.config));
    if (c.note) assert.match(notes.join(' '), c.note);
    else assert.deepEqual(notes, []);
    trainer.dispose();
    run.model.dispose();
  }
});

test('validation on the fused kernels equals tfjs\'s evaluation and leaves the training state as it was', async () => {
  const [variant] = (await variants()).slice(-1);
  const shape = { cell: 'lstm' as const, layers: 1, hiddenSize: 16, vocabSize: 13, dropout: 0 };
  const options = { optimizer: 'adam' as const, learningRate: 0.01, clipNorm: 5, batch: 4 };
  const modelA = SequenceModel.create(shape, 5);
  const modelB = SequenceModel.create(shape, 5);
  const a = await FusedTrainer.create(modelA, options, 8, wasmDir(), variant);
  const b = await FusedTrainer.create(modelB, options, 8, wasmDir(), variant);
  const ws = windows(13, 4, 8, 3, 21);
  for (const w of ws.slice(0, 2)) { a.step(w); b.step(w); }
  const val = new Int32Array(300).map((_, i) => (i * 7 + (i >> 3)) % 13);
  let yields = 0;
  const fusedLoss = await a.evaluate(val, 8, async () => { yields++; });
  const reference = new Trainer(modelA, options);
  const tfjsLoss = await reference.evaluate(val, 8, async () => undefined);
  reference.dispose();
  assert.ok(fusedLoss !== null && tfjsLoss !== null);
  assert.ok(Math.abs(fusedLoss - tfjsLoss) < 1e-5 * tfjsLoss, `fused ${fusedLoss} vs tfjs ${tfjsLoss}`);
  assert.ok(yields > 3, `yielded between windows (${yields})`);
  // Trainer a validated, b did not: their next steps must still agree (the carried state was put back).
  const ra = a.step(ws[2]);
  const rb = b.step(ws[2]);
  assert.equal(ra.loss, rb.loss);
  a.dispose();
  b.dispose();
  modelA.dispose();
  modelB.dispose();
});

test('the fused gradient norm of large but finite gradients is finite (squares summed in float64)', async () => {
  for (const variant of await variants()) {
    const mod = await FusedModule.load(wasmDir(), variant);
    const at = mod.alloc(8 * 4);
    mod.f32(at, 8).set([3e20, 4e20, 0, 0, 1, 2, 0, 0]);
    const sq = mod.exports.sumSquares(at, 8);
    assert.ok(Math.abs(Math.sqrt(sq) - 5e20) < 1e-5 * 5e20, `${variant}: ‖g‖ = ${Math.sqrt(sq)}`);
  }
});

test('fused dropout: the gradients are the masked loss\'s (directional derivative), masks change with the seed, evaluation drops nothing', async () => {
  const [variant] = (await variants()).slice(-1);
  const mod = await FusedModule.load(wasmDir(), variant);
  const dims = { layers: 2, hidden: 16, batch: 4, steps: 5 };
  const model = new FusedModel(mod, { cell: 'lstm', vocab: 11, dropout: 0.4, ...dims });
  const plain = new FusedModel(mod, { cell: 'lstm', vocab: 11, dropout: 0, ...dims });
  const reference = SequenceModel.create({ cell: 'lstm', layers: 2, hiddenSize: 16, vocabSize: 11, dropout: 0.4 }, 3);
  const base = reference.named.map((n) => (n.variable.dataSync() as Float32Array).slice());
  reference.dispose();
  model.setWeights(base);
  plain.setWeights(base);
  const [w] = windows(11, 4, 5, 1, 8);
  const { loss } = model.gradients(w.x, w.y, false, 42);
  const grads = model.gradientViews().map((g, k) => model.unpadded(k, g));
  // Unit directions, half along the computed gradient (so the loss moves measurably), half random
  // (so an error orthogonal to it shows too): over every parameter, and over the first layer's
  // alone (below the dropout site, where a wrong mask in the backward pass would show most).
  const rng = new Rng(9);
  const sumSq = (xs: Float32Array[]) => xs.reduce((s, d) => s + d.reduce((a, x) => a + x * x, 0), 0);
  const check = (which: (k: number) => boolean, what: string) => {
    const r = base.map((b, k) => Float32Array.from(b, () => (which(k) ? rng.normal() : 0)));
    const g = grads.map((d, k) => (which(k) ? d : new Float32Array(d.length)));
    const rn = Math.sqrt(sumSq(r));
    const gn = Math.sqrt(sumSq(g));
    const u = r.map((d, k) => d.map((x, i) => x / rn + g[k][i] / gn));
    const norm = Math.sqrt(sumSq(u));
    u.forEach((d) => d.forEach((x, i) => { d[i] = x / norm; }));
    const analytic = g.reduce((s, d, k) => s + d.reduce((a, x, i) => a + x * u[k][i], 0), 0);
    const lossAt = (eps: number) => {
      model.setWeights(base.map((b, k) => b.map((x, i) => x + eps * u[k][i])));
      return model.gradients(w.x, w.y, false, 42).loss;
    };
    // ε = 1e-2 on a unit direction: float32 losses (~2.4, error ~3e-7) give ~3e-5 of noise.
    const numeric = (lossAt(1e-2) - lossAt(-1e-2)) / 2e-2;
    model.setWeights(base);
    assert.ok(Math.abs(analytic) > 1e-2, `${what}: a direction the loss moves along (${analytic})`);
    assert.ok(Math.abs(numeric - analytic) <= 2e-3 * Math.abs(analytic) + 1e-4, `${what}: numeric ${numeric} vs analytic ${analytic}`);
  };
  check(() => true, 'all parameters');
  check((k) => k < 3, 'first layer');
  assert.equal(model.gradients(w.x, w.y, false, 42).loss, loss, 'the same seed draws the same masks');
  assert.notEqual(model.gradients(w.x, w.y, false, 43).loss, loss, 'another seed draws other masks');
  const undropped = plain.gradients(w.x, w.y).loss;
  assert.notEqual(loss, undropped, 'dropout changes the training loss');
  assert.equal(model.windowLoss(w.x, w.y), undropped, 'evaluation runs without dropout');
});

test('fused data-parallel on 2 threads equals one fused trainer over all streams: losses, norms, gradient by lag, weights', async () => {
  const [variant] = (await variants()).slice(-1);
  const shardScript = findBundle(__dirname, 'shardWorker.js');
  for (const cell of ['lstm', 'gru'] as const) {
    const shape = { cell, layers: 2, hiddenSize: 16, vocabSize: 13, dropout: 0 };
    const options = { optimizer: 'adam' as const, learningRate: 0.01, clipNorm: 0.5, batch: 8 };
    const oneModel = SequenceModel.create(shape, 4);
    const twoModel = SequenceModel.create(shape, 4);
    const one = await FusedTrainer.create(oneModel, options, 6, wasmDir(), variant);
    const two = await FusedParallelTrainer.createParallel(twoModel, options, 6, 2, shardScript, wasmDir(), variant);
    // The shard worker must go even when an assertion fails, or it keeps the test process alive.
    after(() => two.dispose());
    assert.equal(two.parts, 2);
    for (const [k, w] of windows(13, 8, 6, 4, 31).entries()) {
      const a = one.step(w, true);
      const b = two.step(w, true);
      assert.ok(Math.abs(a.loss - b.loss) < 1e-5 * a.loss, `${cell} step ${k}: loss ${a.loss} vs ${b.loss}`);
      assert.ok(Math.abs(a.gradNorm - b.gradNorm) < 1e-4 * a.gradNorm, `${cell} step ${k}: norm ${a.gradNorm} vs ${b.gradNorm}`);
      assert.equal(b.clipped, a.clipped);
      for (const key of ['h', 'c', 'hTotal', 'cTotal'] as const) {
        assert.equal(b.gradByLag![key].length, a.gradByLag![key].length);
        if (a.gradByLag![key].length) assert.ok(relErr(a.gradByLag![key], b.gradByLag![key]) < 1e-4, `${cell} step ${k}: ${key} by lag ${a.gradByLag![key].slice(0, 3)} vs ${b.gradByLag![key].slice(0, 3)}`);
      }
    }
    const wa = weightsOf(oneModel);
    const wb = weightsOf(twoModel);
    for (let i = 0; i < wa.length; i++) assert.ok(relErr(wa[i].data, wb[i].data) < 1e-4, `${cell} ${wa[i].key}: ${relErr(wa[i].data, wb[i].data)}`);
    // Validation reads the same model either way.
    const val = new Int32Array(400).map((_, i) => (i * 5 + (i >> 2)) % 13);
    const va = await one.evaluate(val, 6, async () => undefined);
    const vb = await two.evaluate(val, 6, async () => undefined);
    // Validation reads all 8 streams, as one trainer would.
    const reference = new Trainer(twoModel, options);
    const vr = await reference.evaluate(val, 6, async () => undefined);
    reference.dispose();
    assert.ok(va !== null && vb !== null && vr !== null);
    assert.ok(Math.abs(vb - vr) < 1e-5 * vr, `2-thread validation ${vb} vs tfjs on its model ${vr}`);
    const referenceOne = new Trainer(oneModel, options);
    const vra = await referenceOne.evaluate(val, 6, async () => undefined);
    referenceOne.dispose();
    assert.ok(Math.abs(va - vra!) < 1e-5 * vra!, `1-thread validation ${va} vs ${vra}`);
    one.dispose();
    two.dispose();
    oneModel.dispose();
    twoModel.dispose();
  }
});
