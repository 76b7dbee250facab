/**
 * The fused WebAssembly kernels against the tfjs reference (the Trainer with the hand-written
 * BPTT, on the cpu backend): the same losses, gradient norms, gradient flow by lag, weights after
 * several Adam steps with clipping, and Adam's state in a layout either path can resume from.
 * Both builds (plain SIMD and relaxed SIMD) run where the runtime takes them.
 */
import assert from 'node:assert/strict';
import { before, test } from 'node:test';
import * as tf from '@tensorflow/tfjs-core';
import { findBundle, findWasmDir, initBackend } from '../../src/engine/backend';
import type { Window } from '../../src/engine/data';
import { FusedTrainer } from '../../src/engine/fused/fusedTrainer';
import { enableRelaxedSimd, FusedModule, type SimdVariant } from '../../src/engine/fused/module';
import { SequenceModel } from '../../src/engine/model';
import { startTrainer } from '../../src/engine/parallel/startTrainer';
import { prepareRun } from '../../src/engine/run';
import { copyOptimizerState } from '../../src/engine/snapshot';
import { Trainer, type StepResult } from '../../src/engine/trainer';
import { DEFAULT_TRAIN_CONFIG } from '../../src/protocol/runConfig';
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

async function compare(variant: SimdVariant, shape: { V: number; H: number; B: number; T: number }, steps: number, clipNorm: number) {
  const { V, H, B, T } = shape;
  const modelShape = { cell: 'lstm' as const, layers: 1, hiddenSize: H, vocabSize: V, dropout: 0 };
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

test('fused LSTM steps match the tfjs trainer: losses, norms, gradient by lag and weights after Adam with clipping', async () => {
  for (const variant of await variants()) {
    // Clipping at 0.05 engages on these random windows, so the clipped update is compared too.
    const { pairs, ref, fused, refModel, fusedModel } = await compare(variant, { V: 11, H: 16, B: 4, T: 5 }, 4, 0.05);
    for (const [k, [r, f]] of pairs.entries()) {
      assert.ok(Math.abs(r.loss - f.loss) < 1e-5 * r.loss, `${variant} step ${k}: loss ${r.loss} vs ${f.loss}`);
      assert.ok(Math.abs(r.gradNorm - f.gradNorm) < 1e-4 * r.gradNorm, `${variant} step ${k}: norm ${r.gradNorm} vs ${f.gradNorm}`);
      assert.equal(f.clipped, r.clipped, `${variant} step ${k}: clipped`);
      for (const key of ['h', 'c', 'hTotal', 'cTotal'] as const) {
        const a = r.gradByLag![key];
        const b = f.gradByLag![key];
        assert.equal(b.length, a.length, `${variant} ${key} by lag has T entries`);
        assert.ok(relErr(a, b) < 1e-4, `${variant} step ${k}: ${key} by lag ${a.slice(0, 3)} vs ${b.slice(0, 3)}`);
      }
    }
    assert.ok(pairs.some(([r]) => r.clipped), 'clipping engaged in at least one step');
    const a = weightsOf(refModel);
    const b = weightsOf(fusedModel);
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

test('the run chooses the fused kernels for a one-layer LSTM and says why it does not for other models', async () => {
  const text = 'the quick brown fox jumps over the lazy dog. '.repeat(60);
  const shards = { shardScript: findBundle(__dirname, 'shardWorker.js'), wasmDir: wasmDir() };
  const base = { ...DEFAULT_TRAIN_CONFIG, hiddenSize: 16, batchSize: 8, seqLength: 16 };
  const cases = [
    { config: { ...base }, fused: true, note: /fused WebAssembly kernels/ },
    { config: { ...base, kernels: 'tfjs' as const }, fused: false, note: null },
    { config: { ...base, cell: 'gru' as const }, fused: false, note: /do not cover the gru cell/ },
    { config: { ...base, layers: 2 }, fused: false, note: /do not cover 2 layers/ },
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
