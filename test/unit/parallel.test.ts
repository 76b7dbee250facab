/** Data-parallel training over shard workers gives the single-worker run up to float rounding. */
import assert from 'node:assert/strict';
import * as path from 'node:path';
import { before, test } from 'node:test';
import { findBundle, findWasmDir } from '../../src/engine/backend';
import { StreamBatcher } from '../../src/engine/data';
import { SequenceModel } from '../../src/engine/model';
import { ParallelTrainer } from '../../src/engine/parallel/parallelTrainer';
import { shardRanges, sliceStreams } from '../../src/engine/parallel/shared';
import { Trainer } from '../../src/engine/trainer';
import { useWasm } from './helpers/backend';

before(useWasm);

const text = 'It was the best of times, it was the worst of times, it was the age of wisdom. '.repeat(40);
const vocab = [...new Set(text)].sort();
const ids = Int32Array.from(text, (ch) => vocab.indexOf(ch) + 1);

test('shards split the streams evenly and slice windows by stream', () => {
  assert.deepEqual(shardRanges(32, 2), [[0, 16], [16, 32]]);
  assert.deepEqual(shardRanges(5, 2), [[0, 3], [3, 5]]);
  const x = Int32Array.from({ length: 3 * 4 }, (_, k) => k); // T=3, B=4: x[t*4+b]
  assert.deepEqual([...sliceStreams(x, 4, 1, 3)], [1, 2, 5, 6, 9, 10]);
});

for (const cell of ['lstm', 'gru'] as const) {
  test(`${cell}: two workers train exactly like one (up to float rounding)`, async () => {
    const shape = { cell, layers: 2, hiddenSize: 16, vocabSize: vocab.length + 1, dropout: 0 };
    const options = { optimizer: 'adam' as const, learningRate: 5e-3, clipNorm: 1, batch: 6 };
    const single = SequenceModel.create(shape, 9);
    const split = SequenceModel.create(shape, 9);
    const one = new Trainer(single, options);
    const two = await ParallelTrainer.create(split, options, 2, findBundle(__dirname, 'shardWorker.js'), findWasmDir(__dirname));
    const a = new StreamBatcher(ids, 6, 12);
    const b = new StreamBatcher(ids, 6, 12);
    try {
      for (let k = 0; k < 8; k++) {
        const r1 = one.step(a.next(), k === 0);
        const r2 = two.step(b.next(), k === 0);
        assert.ok(Math.abs(r1.loss - r2.loss) <= 1e-5 * Math.abs(r1.loss), `step ${k}: loss ${r1.loss} vs ${r2.loss}`);
        assert.ok(Math.abs(r1.gradNorm - r2.gradNorm) <= 1e-4 * r1.gradNorm, `step ${k}: gradient norm ${r1.gradNorm} vs ${r2.gradNorm}`);
        if (k === 0) {
          // The whole batch's norms by lag, as one worker measures them (not one shard's).
          for (const key of ['h', 'c', 'hTotal', 'cTotal'] as const) {
            const g1 = r1.gradByLag![key];
            const g2 = r2.gradByLag![key];
            assert.equal(g2.length, g1.length, `${key} by lag has as many lags`);
            g1.forEach((v, t) => assert.ok(Math.abs(v - g2[t]) <= 1e-4 * Math.max(v, 1e-12), `${key} at lag ${t}: ${v} vs ${g2[t]}`));
          }
          assert.equal(r2.gradByLag!.h.length, 12);
        }
      }
      const w1 = single.layers[1].Wh.dataSync();
      const w2 = split.layers[1].Wh.dataSync();
      let diff = 0;
      for (let i = 0; i < w1.length; i++) diff = Math.max(diff, Math.abs(w1[i] - w2[i]));
      assert.ok(diff < 1e-4, `weights after 8 steps differ by ${diff}`);
    } finally {
      one.dispose();
      two.dispose();
      single.dispose();
      split.dispose();
    }
  });
}

test('more parts than streams is refused', async () => {
  const m = SequenceModel.create({ cell: 'rnn', layers: 1, hiddenSize: 4, vocabSize: 5, dropout: 0 }, 1);
  await assert.rejects(ParallelTrainer.create(m, { optimizer: 'sgd', learningRate: 0.1, clipNorm: 0, batch: 1 }, 2, path.join(__dirname, 'x.js'), '/nonexistent'), /2 to 1 parts/);
  m.dispose();
});
