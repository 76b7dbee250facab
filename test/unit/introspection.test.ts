import assert from 'node:assert/strict';
import { before, test } from 'node:test';
import * as tf from '@tensorflow/tfjs-core';
import { buildCodec } from '../../src/engine/codec';
import { StreamBatcher } from '../../src/engine/data';
import { DEFAULT_TRAIN_CONFIG } from '../../src/protocol/runConfig';
import { nextDistribution, sampleIds, saturation, surprisal, traceSpan } from '../../src/engine/infer';
import { SequenceModel } from '../../src/engine/model';
import { captureCheckpoint, restoreOptimizer, restoreRun } from '../../src/engine/snapshot';
import { decodeCheckpoint } from '../../src/engine/checkpointReader';
import { encodeCheckpoint } from '../../src/engine/checkpointFormat';
import { Trainer } from '../../src/engine/trainer';
import { useWasm } from './helpers/backend';

before(useWasm);

const text = 'She sells sea shells by the sea shore. 🐚 The shells she sells are sea shells, I\'m sure. '.repeat(30);
const codec = buildCodec('char', text);

test('traces: every gate, c and h per layer, [tokens × units], gates in (0, 1), continuous across chunks', () => {
  for (const cell of ['lstm', 'gru', 'rnn', 'peephole'] as const) {
    const m = SequenceModel.create({ cell, layers: 2, hiddenSize: 6, vocabSize: codec.vocab.size, dropout: 0 }, 1);
    const ids = codec.encode(text.slice(0, 300)); // longer than one inference chunk
    const traces = traceSpan(m, ids);
    assert.equal(traces.length, 2);
    const expected = [...m.cell.gateNames, ...(m.cell.hasCellState ? ['c'] : []), 'h'];
    for (const t of traces) {
      assert.deepEqual(Object.keys(t.values).sort(), [...expected].sort());
      assert.equal(t.tokens, ids.length);
      for (const name of expected) assert.equal(t.values[name].length, ids.length * 6);
      for (const g of m.cell.sigmoidGates) assert.ok(t.values[g].every((v) => v > 0 && v < 1), `${cell} ${g} in (0, 1)`);
      assert.ok(t.values.h.every((v) => Math.abs(v) < 1));
    }
    // The top layer's h at the last token equals a plain forward pass over the same ids.
    const { logits, final } = m.logits(ids, 1, m.zeroState(1));
    const h = final[1].h.dataSync();
    const traced = traces[1].values.h.subarray((ids.length - 1) * 6);
    for (let u = 0; u < 6; u++) assert.ok(Math.abs(h[u] - traced[u]) < 1e-5);
    tf.dispose([logits, ...final.flatMap((s) => [s.h, s.c ?? []].flat())]);
    m.dispose();
  }
});

test('saturation counts the fraction of steps below 0.1 and above 0.9 per unit', () => {
  const trace = { units: 2, tokens: 4, values: { forget: Float32Array.from([0.05, 0.5, 0.95, 0.5, 0.95, 0.99, 0.5, 0.01]) } };
  const s = saturation(trace, 'forget');
  assert.deepEqual([...s.left], [0.25, 0.25]);
  assert.deepEqual([...s.right], [0.5, 0.25]);
  assert.throws(() => saturation(trace, 'input'), /no gate/);
});

test('surprisal of each token equals −log2 of its predicted probability', () => {
  const m = SequenceModel.create({ cell: 'lstm', layers: 1, hiddenSize: 8, vocabSize: codec.vocab.size, dropout: 0 }, 2);
  const ids = codec.encode(text.slice(0, 40));
  const bits = surprisal(m, ids);
  assert.ok(Number.isNaN(bits[0]));
  for (const t of [1, 7, 39]) {
    const p = nextDistribution(m, ids.subarray(0, t));
    assert.ok(Math.abs(bits[t] + Math.log2(p[ids[t]])) < 1e-4, `t=${t}`);
  }
  m.dispose();
});

test('top-k sampling only draws among the k most likely tokens', () => {
  const m = SequenceModel.create({ cell: 'gru', layers: 1, hiddenSize: 8, vocabSize: codec.vocab.size, dropout: 0 }, 3);
  const prime = codec.encode('She');
  const p = nextDistribution(m, prime);
  const top2 = [...p.keys()].filter((i) => i !== 0).sort((a, b) => p[b] - p[a]).slice(0, 2);
  for (let seed = 1; seed <= 20; seed++) {
    const [first] = sampleIds(m, codec.vocab, { length: 1, temperature: 1, seed, prime, topK: 2 });
    assert.ok(top2.includes(first), `seed ${seed} drew ${first}`);
  }
  m.dispose();
});

test('a checkpoint restores the model and the optimizer: training goes on exactly as without the interruption', async () => {
  const config = { ...DEFAULT_TRAIN_CONFIG, cell: 'cifg' as const, layers: 2, hiddenSize: 8, batchSize: 4, seqLength: 8 };
  const shape = { cell: config.cell, layers: 2, hiddenSize: 8, vocabSize: codec.vocab.size, dropout: 0 };
  const ids = codec.encode(text);
  const a = SequenceModel.create(shape, 5);
  const ta = new Trainer(a, { optimizer: 'adam', learningRate: 1e-2, clipNorm: 5, batch: 4 });
  const batcher = new StreamBatcher(ids, 4, 8);
  for (let k = 0; k < 3; k++) ta.step(batcher.next());
  const bytes = encodeCheckpoint(await captureCheckpoint({ model: a, codec, config, trainer: ta, step: 3, metrics: { train: [], val: [] }, bestValLoss: null }));
  const ckpt = decodeCheckpoint(bytes);
  const restored = await restoreRun(ckpt, config);
  assert.equal(restored.step, 3);
  const tb = new Trainer(restored.model, { optimizer: 'adam', learningRate: 1e-2, clipNorm: 5, batch: 4 });
  assert.equal(await restoreOptimizer(tb, ckpt), null);
  assert.deepEqual([...restored.codec.vocab.tokens], [...codec.vocab.tokens]);
  // Carry the same recurrent state into the next window for both.
  const next = batcher.next();
  const stateless = { ...next, resetState: true };
  const la = ta.step(stateless).loss;
  const lb = tb.step(stateless).loss;
  assert.ok(Math.abs(la - lb) < 1e-6, `${la} vs ${lb}`);
  const again = batcher.next();
  assert.ok(Math.abs(ta.step(again).loss - tb.step(again).loss) < 1e-5, 'Adam moments were restored too');
  ta.dispose();
  tb.dispose();
  a.dispose();
  restored.model.dispose();
});

test('a checkpoint whose weights do not fit the model, or whose optimizer slots are out of order, is refused', async () => {
  const config = { ...DEFAULT_TRAIN_CONFIG, cell: 'gru' as const, layers: 1, hiddenSize: 6, batchSize: 2, seqLength: 4 };
  const m = SequenceModel.create({ cell: 'gru', layers: 1, hiddenSize: 6, vocabSize: codec.vocab.size, dropout: 0 }, 1);
  const t = new Trainer(m, { optimizer: 'adam', learningRate: 1e-2, clipNorm: 5, batch: 2 });
  t.step(new StreamBatcher(codec.encode(text), 2, 4).next());
  const ckpt = await captureCheckpoint({ model: m, codec, config, trainer: t, step: 1, metrics: { train: [], val: [] }, bestValLoss: null });
  const before = tf.memory().numTensors;
  await assert.rejects(restoreRun(ckpt, { ...config, hiddenSize: 7 }), /"layer0.Wx" has shape \[\d+, 18\] but the model needs \[\d+, 21\]/);
  await assert.rejects(restoreRun(ckpt, { ...config, cell: 'lstm' }), /shape/);
  await assert.rejects(restoreRun({ ...ckpt, weights: [...ckpt.weights, { name: 'layer9.Wx', shape: [1], data: new Float32Array(1) }] }, config), /does not: layer9.Wx/);
  assert.equal(tf.memory().numTensors, before, 'a refused restore leaves no tensors behind');
  const restored = await restoreRun(ckpt, config);
  const fresh = new Trainer(restored.model, { optimizer: 'adam', learningRate: 1e-2, clipNorm: 5, batch: 2 });
  const swapped = { ...ckpt, optimizer: { ...ckpt.optimizer!, slots: [...ckpt.optimizer!.slots].reverse() } };
  assert.match((await restoreOptimizer(fresh, swapped))!, /does not match weight/);
  assert.match((await restoreOptimizer(fresh, { ...ckpt, optimizer: { ...ckpt.optimizer!, name: 'sgd' } }))!, /optimizer is sgd, not adam/);
  fresh.dispose();
  t.dispose();
  m.dispose();
  restored.model.dispose();
});
